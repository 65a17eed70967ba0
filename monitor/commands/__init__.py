"""The subcommands of `rights-monitor`, one module per area; importing registers them on `cli`."""

from monitor.commands import (  # noqa: F401
    classify,
    config,
    demo,
    digest,
    incidents,
    outbox,
    polling,
    storage,
    subscriptions,
    workspace,
)
from monitor.commands.root import cli

__all__ = ["cli"]
