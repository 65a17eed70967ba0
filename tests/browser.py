"""A real workspace server and headless Debian Chromium for browser tests.

    with LiveServer(app) as server, chromium() as browser:
        page = browser.new_page(); page.goto(server.url("/login"))

Chromium is Debian's (/usr/bin/chromium), driven by Playwright's Python package; no browser is downloaded.
Without it the test is skipped, unless RIGHTS_MONITOR_REQUIRE_SERVICES=1, where it fails.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def require_chromium() -> None:
    """Skip (or fail under RIGHTS_MONITOR_REQUIRE_SERVICES=1) when Chromium or Playwright is missing."""
    missing = None
    if not Path(CHROMIUM).exists():
        missing = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed (make install)"
    if missing is None:
        return
    if os.environ.get("RIGHTS_MONITOR_REQUIRE_SERVICES") == "1":
        pytest.fail(f"browser tests are required but {missing}")
    pytest.skip(missing)


def use_system_node() -> None:
    """Point Playwright at the system Node.js when `make install` removed its bundled copy (saves 144 MB)."""
    import playwright

    bundled = Path(playwright.__file__).parent / "driver" / "node"
    if not bundled.exists() and "PLAYWRIGHT_NODEJS_PATH" not in os.environ and shutil.which("node"):
        os.environ["PLAYWRIGHT_NODEJS_PATH"] = shutil.which("node") or ""


@contextmanager
def chromium():
    """Yield a headless Chromium browser."""
    from playwright.sync_api import sync_playwright

    use_system_node()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class LiveServer:
    """Uvicorn serving an app on 127.0.0.1 on a free port, in a thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def url(self, path: str = "/") -> str:
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the workspace server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
