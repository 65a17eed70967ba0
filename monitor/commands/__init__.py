"""The subcommands of `rights-monitor`, one module per area; importing registers them on `cli`."""

from monitor.commands import classify, config, demo, digest, incidents, polling, subscriptions  # noqa: F401
