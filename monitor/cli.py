"""The command line: builds the dependencies once and passes them down.

The group and its options live in `monitor.commands.root`; importing `monitor.commands` registers every
subcommand on it. Imports point one way: cli -> commands -> commands.root.
"""

from __future__ import annotations

from monitor.commands import cli
from monitor.commands.root import MonitorGroup, Options, _settings, configure_logging, secrets_of

__all__ = ["MonitorGroup", "Options", "_settings", "cli", "configure_logging", "main", "secrets_of"]


def main() -> None:
    cli(prog_name="rights-monitor")
