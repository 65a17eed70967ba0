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


# --------------------------------------------------------------------------- a re-run keeps the workspace's accounts

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a long password"


def demo_cli(tmp_path, monkeypatch, classifier_factory, *args, input=None):
    """The real command line on a real SQLite store, with the session's classifier (loaded once)."""
    from click.testing import CliRunner

    from monitor import wiring
    from monitor.cli import cli

    monkeypatch.setattr(wiring, "classifier_factory", lambda settings, watchlist: classifier_factory)
    env = {"RIGHTS_MONITOR_SOURCES": str(ROOT / "sources.yaml"), "RIGHTS_MONITOR_SETTINGS": "", "SMTP_HOST": "127.0.0.1",
           "COLUMNS": "200"}
    return CliRunner().invoke(cli, list(args), env=env, input=input, terminal_width=200)


def test_a_rerun_of_the_demo_keeps_accounts_and_tokens_and_says_what_it_reset(tmp_path, monkeypatch,
                                                                              classifier_factory):
    from fastapi.testclient import TestClient

    from monitor.store import Store
    from monitor.web.serve import build_app

    db = tmp_path / "demo.db"
    url = f"sqlite:///{db}"

    def run(*args, input=None):
        result = demo_cli(tmp_path, monkeypatch, classifier_factory, *args, input=input)
        assert result.exit_code == 0, result.output
        return result.output

    first = run("demo", "--db", str(db))
    assert "rebuilt" not in first  # a first run has nothing to rebuild
    run("--db", url, "user", "add", "ana@example.org", "--role", "analyst", input=PASSWORD + "\n")
    token = run("--db", url, "token", "create", "ci").strip()
    run("--db", url, "subscribe", "ngo-mail", "--email", "ana@example.org")
    run("--db", url, "incidents", "dismiss", "1")

    second = run("demo", "--db", str(db))
    assert (f"rebuilt the demo store {db} with fresh demo incidents: kept its 1 account and 1 API token; "
            "reviews and subscriptions made in it were reset (1 reviewed incident, 1 subscription)") in second

    store = Store.open(url)
    try:
        assert [u.email for u in store.list_users()] == ["ana@example.org"]
        assert [s.name for s in store.list_subscriptions()] == ["console"]  # the demo's own, as on a first run
        assert all(i.status == "open" for i in store.list_incidents(limit=100))
    finally:
        store.close()
    settings = load_settings(env={"RIGHTS_MONITOR_DB": url, "RIGHTS_MONITOR_SOURCES": str(ROOT / "sources.yaml")})
    with TestClient(build_app(settings)) as client:  # the workspace on the rebuilt store: login and token work
        page = client.get("/login").text
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        login = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD, "csrf_token": csrf},
                            follow_redirects=False)
        assert login.status_code == 303, login.text
        api = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200 and api.json()["items"]


def test_a_demo_store_that_cannot_be_read_is_moved_aside_not_deleted(tmp_path, monkeypatch, classifier_factory):
    db = tmp_path / "demo.db"
    db.write_bytes(b"not a database, but somebody's file")
    result = demo_cli(tmp_path, monkeypatch, classifier_factory, "demo", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert f"so it was moved to {db}.unreadable and no account was kept" in result.output
    assert Path(f"{db}.unreadable").read_bytes() == b"not a database, but somebody's file"


# --------------------------------------------------------------------------- the closing hint runs as printed


def test_the_closing_hint_names_the_program_as_the_shell_will_find_it(tmp_path, monkeypatch, classifier_factory):
    from monitor.demo import invocation

    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    program = venv_bin / "rights-monitor"
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    # `make demo` runs .venv/bin/rights-monitor without activating the virtual environment
    assert invocation(".venv/bin/rights-monitor", path_env="/usr/bin:/bin") == ".venv/bin/rights-monitor"
    assert invocation(str(program), path_env="/usr/bin:/bin") == ".venv/bin/rights-monitor"
    # activated: the shell finds this very program by its name
    assert invocation(str(program), path_env=f"{venv_bin}:/usr/bin") == "rights-monitor"
    # the printed hint
    monkeypatch.setattr("sys.argv", [".venv/bin/rights-monitor", "demo"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    result = demo_cli(tmp_path, monkeypatch, classifier_factory, "demo", "--db", "var/demo.db")
    assert result.exit_code == 0, result.output
    assert "review them with `.venv/bin/rights-monitor --db sqlite:///var/demo.db incidents list`" in result.output
