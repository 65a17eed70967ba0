"""Every setting is documented in the README: each settings-file key (dotted path) and each environment variable."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

from monitor.config import ENV, FILE_ALIASES, Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def setting_paths(cls: type = Settings, prefix: str = "") -> list[str]:
    """Return the dotted path of every leaf setting."""
    hints = typing.get_type_hints(cls)
    paths = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            paths += setting_paths(hint, f"{prefix}{f.name}.")
        else:
            paths.append(prefix + f.name)
    return paths


def test_every_settings_key_is_in_the_readme():
    key_of = {path: alias for alias, path in FILE_ALIASES.items()}  # the settings file says `db`, not `db_url`
    missing = [path for path in setting_paths() if f"`{key_of.get(path, path)}`" not in README]
    assert not missing, f"settings not documented in README.md: {missing}"


def test_every_environment_variable_is_in_the_readme():
    missing = [name for name in ENV if f"`{name}`" not in README]
    assert not missing, f"environment variables not documented in README.md: {missing}"


def test_the_settings_walk_sees_the_nested_groups():
    paths = setting_paths()
    assert "smtp.host" in paths and "fetch.allow_hosts" in paths and "db_url" in paths
