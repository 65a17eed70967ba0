"""Heavy libraries stay lazy: the CLI starts fast and `check-config` never loads a model."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["torch", "transformers", "PIL", "sklearn", "aiosmtpd", "celery", "kombu", "redis"]


def test_importing_the_cli_loads_no_heavy_library():
    code = ("import json, sys; import monitor, monitor.cli, monitor.pipeline, monitor.scaleout, classifiers, notifiers; "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
