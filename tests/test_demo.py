"""`demo` runs the whole pipeline offline and shows incidents and alerts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitor.config import load_settings
from monitor.demo import run_demo


def test_demo_shows_incidents_alerts_and_an_update(tmp_path, monkeypatch, classifier_factory):
    from monitor import wiring

    monkeypatch.setattr(wiring, "classifier_factory", lambda settings, watchlist: classifier_factory)
    settings = load_settings(env={"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'demo.db'}",
                                  "RIGHTS_MONITOR_SOURCES": str(Path(__file__).resolve().parents[1] / "sources.yaml")})
    lines: list[str] = []
    result = asyncio.run(run_demo(settings, say=lines.append))
    assert result["first"]["ok"] == 3 and result["first"]["alerts"] >= 5
    assert result["second"]["not_modified"] == 2 and result["second"]["new_items"] == 1
    assert result["incidents"] >= 5
