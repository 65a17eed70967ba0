"""Notifiers: deliver alerts and digests to Slack (bot or webhook), email, Teams, signed JSON webhooks, the console.

A channel is one module. Every module of this package registers its kinds in NOTIFIERS on import, and so
does every module named by an entry point of the group `rights_monitor.notifiers` (a third-party plugin):

    [project.entry-points."rights_monitor.notifiers"]
    pager = "rm_pager"          # a module whose class registers `@NOTIFIERS.register("pager")`

`load_channels()` imports them all (once); `channel_specs()` then says what each channel's subscriptions
look like, and `build_notifiers` builds the configured ones through the one family builder.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from importlib.metadata import entry_points

from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.registry import Deps, Family, build_family
from monitor.types import ChannelSpec
from notifiers.base import NOTIFIERS, Notifier, NotifierKind, NotifierLimits, Pacer

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "rights_monitor.notifiers"
NOT_CHANNELS = frozenset({"base", "render"})  # the package's helpers, not channels

__all__ = [
    "ENTRY_POINT_GROUP",
    "NOTIFIERS",
    "Notifier",
    "NotifierKind",
    "NotifierLimits",
    "Pacer",
    "build_notifiers",
    "channel_specs",
    "load_channels",
    "notifier_family",
]

_loaded = False


def load_channels() -> None:
    """Import every channel module: this package's, then each `rights_monitor.notifiers` entry point's."""
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if module.name not in NOT_CHANNELS and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            point.load()  # importing the module registers its kinds
        except Exception as exc:  # any failure of foreign code: said once, naming the plugin
            raise ConfigError(f"notifier plugin {point.name} ({point.value}) cannot be loaded: {exc}",
                              file=f"entry point {ENTRY_POINT_GROUP}") from exc
    _loaded = True


def channel_specs() -> dict[str, ChannelSpec]:
    """Every channel a subscription may name, by kind (built-in and plugins), in a stable order."""
    load_channels()
    return {kind: NOTIFIERS.get(kind).channel for kind in NOTIFIERS}


def notifier_family(settings: Settings, deps: Deps) -> Family[Notifier]:
    """Build every notifier that its settings switch on; the others are kept with the reason they are off."""
    load_channels()
    return build_family(NOTIFIERS, settings, deps)


def build_notifiers(settings: Settings, deps: Deps) -> Family[Notifier]:
    """Build every registered notifier that its settings switch on, keyed by kind (switched-off ones logged)."""
    return notifier_family(settings, deps)
