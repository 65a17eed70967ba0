"""One extension pattern for sources, classifiers and notifiers: a registry keyed by `kind`.

Built-ins register the way a plugin would:

    SOURCES = Registry("source")

    @SOURCES.register("rss")
    class RssSource: ...

    SOURCES.get("rss")  # -> RssSource
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from monitor.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named factories of one family (sources, classifiers, notifiers)."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._entries: dict[str, T] = {}

    def register(self, kind: str) -> Callable[[T], T]:
        def decorate(entry: T) -> T:
            if kind in self._entries:
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
