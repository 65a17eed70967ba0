"""Settings: precedence, typed values, secrets only by reference, errors that name the path."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_settings, resolve_smtp_tls
from monitor.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_need_nothing():
    s = load_settings(env={})
    assert s.db_url == "sqlite:///var/monitor.db"
    assert s.sources_path == Path("sources.yaml")
    assert s.smtp.tls == "none" and s.slack.bot_token is None


def test_option_beats_environment_beats_file(tmp_path):
    path = write(tmp_path, "db: sqlite:///file.db\nsources: from-file.yaml\nbackfill_hours: 24\n")
    env = {"RIGHTS_MONITOR_DB": "sqlite:///env.db"}
    assert load_settings(path, env=env).db_url == "sqlite:///env.db"
    assert load_settings(path, db="sqlite:///opt.db", env=env).db_url == "sqlite:///opt.db"
    s = load_settings(path, env={})
    assert s.db_url == "sqlite:///file.db" and s.sources_path == Path("from-file.yaml")
    assert s.backfill_hours == 24.0


def test_settings_file_from_environment(tmp_path):
    path = write(tmp_path, "fetch:\n  per_host_concurrency: 4\n")
    assert load_settings(env={"RIGHTS_MONITOR_SETTINGS": str(path)}).fetch.per_host_concurrency == 4


def test_secret_by_reference(tmp_path):
    path = write(tmp_path, "slack:\n  bot_token: {$env: MY_TOKEN}\n")
    assert load_settings(path, env={"MY_TOKEN": "xoxb-1"}).slack.bot_token == "xoxb-1"


def test_literal_secret_is_refused_with_its_path(tmp_path):
    path = write(tmp_path, "smtp:\n  password: hunter2\n")
    with pytest.raises(ConfigError, match=r"smtp\.password: secrets only by reference"):
        load_settings(path, env={})


def test_unknown_key_and_bad_type_name_the_path(tmp_path):
    with pytest.raises(ConfigError, match=r"fetch\.timeout: unknown setting"):
        load_settings(write(tmp_path, "fetch:\n  timeout: 3\n"), env={})
    with pytest.raises(ConfigError, match=r"smtp\.port: must be a whole number, not 'lots'"):
        load_settings(write(tmp_path, "smtp:\n  port: lots\n"), env={})


def test_environment_lists_and_smtp_tls_rule():
    s = load_settings(env={"RIGHTS_MONITOR_DIGEST_TO": "a@x.org, b@x.org", "SMTP_PORT": "465"})
    assert s.digest.recipients == ("a@x.org", "b@x.org")
    assert s.smtp.tls == "ssl"
    assert resolve_smtp_tls(None, 587) == "starttls" and resolve_smtp_tls("", 25) == "none"
    with pytest.raises(ConfigError, match="smtp.tls"):
        load_settings(env={"SMTP_TLS": "maybe"})


def test_missing_settings_file_is_clear(tmp_path):
    with pytest.raises(ConfigError, match="settings file not found"):
        load_settings(tmp_path / "nope.yaml", env={})
