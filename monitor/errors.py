"""The exception tree of rights-monitor.

    MonitorError
     +-- ConfigError        bad settings, sources.yaml, subscriptions or watchlist (names the YAML path)
     +-- NotConfigured      a component switched off for lack of settings (no Slack token, ...)
     +-- SourceError        a source could not be fetched or parsed (kept in its health record)
     +-- ClassifierError    a classifier could not load or run
     +-- StoreError         the store is unreachable or its schema is wrong
     +-- DeliveryError      a notifier failed; `retryable` says whether the outbox tries again

Foreign errors are wrapped with `raise ... from exc`.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error rights-monitor raises on purpose."""


class ConfigError(MonitorError):
    """Configuration is invalid; `path` is where in the file (e.g. `sources[4].url`)."""

    def __init__(self, message: str, path: str = "", file: str = "") -> None:
        self.path = path
        self.file = file
        where = ":".join(p for p in (file, path) if p)
        super().__init__(f"{where}: {message}" if where else message)


class NotConfigured(MonitorError):
    """A component has no configuration and switches itself off."""


class SourceError(MonitorError):
    """A source failed; `status` is the HTTP status where there was one."""

    def __init__(self, message: str, status: int | None = None, retry_after_s: float | None = None) -> None:
        self.status = status
        self.retry_after_s = retry_after_s
        super().__init__(message)

    def __reduce__(self):  # keep status and Retry-After when a parse worker process sends it back
        return (type(self), (str(self), self.status, self.retry_after_s))


class ClassifierError(MonitorError):
    """A classifier could not be loaded or run."""


class StoreError(MonitorError):
    """The store is unreachable or inconsistent."""


class DeliveryError(MonitorError):
    """A notifier failed to deliver; retryable errors go back to the outbox with backoff.

    `unreachable` says the service itself did not answer (refused, timed out): the outbox then stops
    trying that channel for the rest of the drain, so a hung server costs one timeout, not one per message.
    """

    def __init__(self, message: str, retryable: bool = True, retry_after_s: float | None = None,
                 unreachable: bool = False) -> None:
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.unreachable = unreachable
        super().__init__(message)
