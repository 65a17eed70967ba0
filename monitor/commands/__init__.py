"""The subcommands of `rights-monitor`, one module per area; importing registers them on `cli`."""

from monitor.commands import classify, config, demo, digest, incidents, outbox, polling, subscriptions  # noqa: F401
