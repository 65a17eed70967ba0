"""Take the README's workspace screenshots: the demo's incidents, served and shown in headless Chromium.

    .venv/bin/python scripts/screenshots.py [--out docs/img]

Runs the offline demo into a scratch SQLite store, adds an analyst, starts the workspace on loopback
and saves the incident list and one incident page as PNG files.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.clock import SystemClock
from monitor.config import load_settings
from monitor.demo import run_demo
from monitor.store import Store
from monitor.web.auth import hash_password
from monitor.web.serve import build_app
from tests.browser import LiveServer, chromium

EMAIL, PASSWORD = "analyst@example.org", "demo password"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db = f"sqlite:///{Path(folder) / 'demo.db'}"
        settings = dataclasses.replace(load_settings(env={}), db_url=db, subscriptions_path=None)
        asyncio.run(run_demo(settings, say=lambda line: print(line, file=sys.stderr)))
        store = Store.open(db)
        store.add_user(EMAIL, "analyst", hash_password(PASSWORD), SystemClock().now())
        first = store.list_incidents(limit=1)[0]
        store.close()
        with LiveServer(build_app(settings)) as server, chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(server.url("/login"))
            page.fill("#email", EMAIL)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.goto(server.url("/incidents"))
            page.screenshot(path=str(out / "workspace-incidents.png"))
            page.goto(server.url(f"/incidents/{first.id}"))
            page.screenshot(path=str(out / "workspace-incident.png"), full_page=False)
    print(f"saved {out / 'workspace-incidents.png'} and {out / 'workspace-incident.png'}")


if __name__ == "__main__":
    main()
