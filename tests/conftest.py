"""Shared fixtures: an injected clock, offline model loading, and services that must not silently skip."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

import pytest

from monitor.clock import FrozenClock

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

pytest_plugins = ["tests.pgdb"]  # the `store_url` and `store` fixtures of the repository tests

REQUIRE_SERVICES = os.environ.get("RIGHTS_MONITOR_REQUIRE_SERVICES") == "1"


def service_up(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a local service is down, unless CI demands it (RIGHTS_MONITOR_REQUIRE_SERVICES=1)."""
    if service_up(host, port):
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} on {host}:{port} is required (RIGHTS_MONITOR_REQUIRE_SERVICES=1) but is down")
    pytest.skip(f"{name} on {host}:{port} is not running")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def classifier_factory():
    """The default classifier, loaded once per test session; a factory as `Runtime` expects."""
    from classifiers import build_classifier
    from monitor.config import ClassifierSettings
    from monitor.registry import Deps
    from monitor.watchlist import load_watchlist

    classifier = build_classifier(ClassifierSettings(), Deps(watchlist=load_watchlist()))
    return lambda: classifier
