"""Throwaway PostgreSQL databases for tests, on the server CI starts (127.0.0.1:5432, trust auth).

    with fresh_database() as url:        # postgresql+psycopg://postgres@127.0.0.1:5432/rm_test_...
        store = Store.open(url)

When the server is unreachable the test is skipped, unless RIGHTS_MONITOR_REQUIRE_SERVICES=1,
where it fails: CI must never pass by skipping.
"""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ADMIN_CONNINFO = os.environ.get("RIGHTS_MONITOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
# Parametrise store tests with these: the PostgreSQL half carries the `services` marker.
BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.services))


def services_required() -> bool:
    """Say whether a missing service fails the test instead of skipping it."""
    return os.environ.get("RIGHTS_MONITOR_REQUIRE_SERVICES", "") == "1"


def _admin():
    """Connect to the admin database in autocommit (CREATE DATABASE refuses transactions); skip or fail if down."""
    import psycopg

    try:
        return psycopg.connect(ADMIN_CONNINFO, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL unreachable at {ADMIN_CONNINFO}: {exc}"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)


def _sqlalchemy_url(conninfo: str, database: str) -> str:
    """Return the SQLAlchemy URL of `database` on the admin server."""
    from sqlalchemy.engine import make_url

    url = make_url(conninfo).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def _create(template: str | None = None) -> str:
    """Create a database (a copy of `template` when given) and return its name."""
    name = f"rm_test_{uuid.uuid4().hex[:16]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"{copy}')
    return name


def _drop(name: str) -> None:
    """Drop a database, even with connections left open."""
    with _admin() as admin:
        # FORCE: a pooled connection a failed test left open must not keep the database alive.
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_templates: dict[str, str] = {}


def _migrated_template() -> str:
    """Return a database migrated to head, made once per test process, to copy for each test."""
    if "head" not in _templates:
        from monitor.store import Store

        name = _create()
        atexit.register(_drop, name)
        Store.open(_sqlalchemy_url(ADMIN_CONNINFO, name)).close()
        _templates["head"] = name
    return _templates["head"]


@contextmanager
def fresh_database(migrated: bool = False) -> Iterator[str]:
    """Create a database, empty or already at the newest schema; yield its URL; drop it afterwards."""
    name = _create(_migrated_template() if migrated else None)
    try:
        yield _sqlalchemy_url(ADMIN_CONNINFO, name)
    finally:
        _drop(name)


@contextmanager
def database_url(backend: str, tmp_path: Path, migrated: bool = False) -> Iterator[str]:
    """Yield the URL of a fresh database of `backend`: a SQLite file in tmp_path, or PostgreSQL.

    `migrated` only saves time on PostgreSQL (a copy of a migrated template); Store.open migrates either way.
    """
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'monitor.db'}"
        return
    with fresh_database(migrated) as url:
        yield url


# Fixtures for repository tests (registered for every test module through conftest's pytest_plugins).


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path) -> Iterator[str]:
    """A migrated store URL, once on SQLite and once on PostgreSQL."""
    with database_url(request.param, tmp_path, migrated=True) as fresh:
        yield fresh


@pytest.fixture
def store(store_url):
    """An open Store on `store_url`, closed after the test."""
    from monitor.store import Store

    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()
