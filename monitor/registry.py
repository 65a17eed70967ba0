"""One extension pattern for sources, classifiers and notifiers: a registry keyed by `kind`, one factory shape.

Every kind is a class (or object) with `from_config(config, deps)`: `config` is its typed settings (a
`SourceConfig`, the `ClassifierSettings`, the `Settings` for notifiers), `deps` the one `Deps` the edge
builds (clock, environment, logger, sleep, console stream, watchlist). Nothing is looked up inside. A
kind that its settings switch off raises `NotConfigured(reason)`; `build_family` keeps the others and logs
each switched-off kind with its reason. Built-ins register the way a plugin would:

    SOURCES = Registry("source")

    @SOURCES.register("rss")
    class RssSource:
        @classmethod
        def from_config(cls, config: SourceConfig, deps: Deps) -> RssSource: ...

    build(SOURCES, "rss", config, deps)  # -> an RssSource
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TextIO, TypeVar

from monitor.clock import Clock, SystemClock
from monitor.errors import ConfigError, NotConfigured

T = TypeVar("T")
C_co = TypeVar("C_co", covariant=True)


@dataclass(frozen=True)
class Deps:
    """What a component may need besides its settings, built once at the edge and passed to every factory."""

    clock: Clock = field(default_factory=SystemClock)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)  # secrets named by `$env`/`secret_env`
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("rights_monitor"))
    sleep: Callable[[float], None] = time.sleep  # pacing between sends (tests pass a fake)
    stream: TextIO | None = None  # where the console notifier prints (None: stdout at send time)
    watchlist: Any = None  # the tracked companies (classifiers link items to them)


class Factory(Protocol[C_co]):
    """A registered kind: builds one component from its settings and the dependencies."""

    def from_config(self, config: Any, deps: Deps, /) -> C_co: ...


class Kinds(Protocol[C_co]):
    """What the builders read of a registry: its family's name, its kinds, the factory of each."""

    @property
    def family(self) -> str: ...

    def get(self, kind: str) -> Factory[C_co]: ...

    def __iter__(self) -> Iterator[str]: ...


class Registry(Generic[T]):
    """Named factories of one family (sources, classifiers, notifiers)."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._entries: dict[str, T] = {}

    def register(self, kind: str) -> Callable[[T], T]:
        def decorate(entry: T) -> T:
            if kind in self._entries and self._entries[kind] is not entry:
                raise ValueError(f"{self.family} kind {kind!r} registered twice")
            self._entries[kind] = entry
            return entry

        return decorate

    def get(self, kind: str) -> T:
        try:
            return self._entries[kind]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            raise ConfigError(f"unknown {self.family} kind {kind!r} (known: {known})") from None

    def kinds(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, kind: str) -> bool:
        return kind in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))


class Family(dict[str, T]):
    """The components of one family that their settings switch on (by kind), and why each other one is off."""

    def __init__(self, built: Mapping[str, T], off: Mapping[str, str] | None = None, family: str = "component") -> None:
        super().__init__(built)
        self.off = dict(off or {})  # kind -> the reason it is switched off
        self.family = family

    def why_off(self, kind: str) -> str:
        """Say why `kind` was not built: its own reason, or that no such kind is installed."""
        return self.off.get(kind) or f"no {self.family} of kind {kind!r} is installed"


def build(registry: Kinds[T], kind: str, config: Any, deps: Deps) -> T:
    """Build one component of `kind` (ConfigError for an unknown kind; NotConfigured when switched off)."""
    return registry.get(kind).from_config(config, deps)


def build_family(registry: Kinds[T], config: Any, deps: Deps,
                 kinds: Iterable[str] | None = None) -> Family[T]:
    """Build every kind (or those named) from one config; log each switched-off kind with its reason."""
    built: dict[str, T] = {}
    off: dict[str, str] = {}
    for kind in registry if kinds is None else kinds:
        try:
            built[kind] = build(registry, kind, config, deps)
        except NotConfigured as exc:
            off[kind] = str(exc)
            deps.log.info("%s %s switched off: %s", registry.family, kind, exc)
    return Family(built, off, registry.family)
