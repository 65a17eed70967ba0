"""Migrations take an empty database to head, and a store that cannot open says why."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from monitor.errors import StoreError
from monitor.store import Store
from monitor.store.tables import metadata
from tests.pgdb import BACKENDS, database_url

TABLES = {
    "alembic_version",
    "sources",
    "source_health",
    "items",
    "classifications",
    "incidents",
    "alerts",
    "deliveries",
    "digests",
    "subscriptions",
    "removed_subscriptions",
    "users",
    "api_tokens",
    "reviews",
    "named_watchlists",
    "source_changes",
    "app_secrets",
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_database_migrates_to_head_matching_the_tables(backend, tmp_path):
    with database_url(backend, tmp_path) as url:
        Store.open(url).close()
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert set(inspect(conn).get_table_names()) == TABLES
                assert MigrationContext.configure(conn).get_current_revision() == "0007_incident_vector"
                assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        finally:
            engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_opening_a_migrated_store_again_keeps_its_data(backend, tmp_path):
    with database_url(backend, tmp_path) as url:
        first = Store.open(url)
        first.save_health(first.get_health("amnesty"))
        first.close()
        again = Store.open(url)
        try:
            assert [h.source for h in again.list_health()] == ["amnesty"]
        finally:
            again.close()


def test_sqlite_store_creates_its_directory_and_uses_wal(tmp_path):
    path = tmp_path / "var" / "deep" / "monitor.db"
    Store.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_store_enforces_foreign_keys(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'monitor.db'}")
    try:
        with pytest.raises(StoreError):
            store.add_alert(_orphan_alert(), [])
    finally:
        store.close()


def _orphan_alert():
    from monitor.types import Alert, Severity

    return Alert(9999, "s", "new", Severity.LOW, "why", datetime(2026, 1, 1, tzinfo=UTC))


def test_unreachable_postgres_raises_store_error_without_the_password():
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StoreError, match="cannot open store") as caught:
        Store.open(f"postgresql://postgres:hunter2@127.0.0.1:{port}/nowhere?connect_timeout=2")
    assert "hunter2" not in str(caught.value)


def test_schema_newer_than_the_code_raises_store_error(tmp_path):
    path = tmp_path / "monitor.db"
    Store.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="schema"):
        Store.open(f"sqlite:///{path}")


def test_a_url_that_is_not_one_raises_store_error():
    with pytest.raises(StoreError, match="not a database URL"):
        Store.open("no such thing")


@pytest.mark.parametrize("backend", BACKENDS)
def test_downgrade_to_base_removes_every_table(backend, tmp_path):
    from alembic import command
    from alembic.config import Config

    from monitor.store.migrate import MIGRATIONS_DIR

    with database_url(backend, tmp_path) as url:
        Store.open(url).close()
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", url)
        command.downgrade(config, "base")
        engine = create_engine(url)
        try:
            assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        finally:
            engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_processes_starting_together_on_an_empty_store_all_open_it(backend, tmp_path):
    code = "import sys; from monitor.store import Store; Store.open(sys.argv[1]).close()"
    root = Path(__file__).resolve().parent.parent
    with database_url(backend, tmp_path) as url:
        starts = [
            subprocess.Popen([sys.executable, "-c", code, url], cwd=root, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        errors = [start.communicate(timeout=120)[1].decode() for start in starts]
        assert [start.returncode for start in starts] == [0, 0], errors


@pytest.mark.parametrize("backend", BACKENDS)
def test_0002_marks_classified_items_processed_and_keeps_the_rest_to_do(backend, tmp_path):
    """An item classified under 0001 was folded the old way; one never classified is still to be processed."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from monitor.store.migrate import MIGRATIONS_DIR

    (tmp_path / "db").mkdir()
    with database_url(backend, tmp_path) as url:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", url)
        command.upgrade(config, "0001")
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                for n in (1, 2):
                    conn.execute(text(
                        "INSERT INTO items (id, source, guid, url, canonical_url, title, summary, fetched_at, "
                        "content_hash, alertable) VALUES (:n, 's', :g, '', '', 't', '', :at, :h, true)"),
                        {"n": n, "g": f"g{n}", "at": datetime(2026, 1, 1, tzinfo=UTC), "h": f"h{n}"})
                conn.execute(text("INSERT INTO classifications (item_id, classifier, classified_at, result) "
                                  "VALUES (1, 'rules', :at, '{}')"), {"at": datetime(2026, 1, 2, tzinfo=UTC)})
        finally:
            engine.dispose()
        store = Store.open(url)
        try:
            assert [i.id for i in store.unprocessed_items()] == [2]
            assert store.get_item(1).processed_at == datetime(2026, 1, 2, tzinfo=UTC)
        finally:
            store.close()
        command.downgrade(config, "0001")
        command.upgrade(config, "head")
