"""One poll: fetch -> parse -> store -> classify -> incident -> alert decision -> outbox.

The flow floor: the only place besides delivery that talks to the network and the store. Every
decision it takes is made by a pure function of another module; this module wires them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from monitor import alerts, failpoints, incidents
from monitor.backfill import is_alertable
from monitor.clock import Clock
from monitor.config import Settings, SlackSettings
from monitor.errors import SourceError
from monitor.hygiene import clean_line
from monitor.registry import Deps, build
from monitor.sources import SOURCES
from monitor.sources.backoff import next_delay_s
from monitor.sources.parsing import ParsedDocument, dedup_keys, parse_document
from monitor.types import (
    ChannelSpec,
    Classification,
    ClassifyInput,
    CycleReport,
    Incident,
    Item,
    NewItem,
    PollResult,
    RawItem,
    SourceConfig,
    SourceHealth,
    Subscription,
)

if TYPE_CHECKING:  # types only: `import monitor.pipeline` stays light
    import httpx

    from classifiers.base import Classifier
    from monitor.activity import Activity
    from monitor.classifying import ClassifyPool
    from monitor.sources.fetch import Fetcher
    from monitor.sources.parsing import ParsePool
    from monitor.store import Store
    from monitor.watchlist import Watchlist
    from notifiers.base import Notifier

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Runtime:
    """The dependencies of one monitor process, built once by the CLI and passed down."""

    settings: Settings
    store: Store
    clock: Clock
    fetcher: Fetcher
    watchlist: Watchlist
    sources: Sequence[SourceConfig]
    classifier_factory: Callable[[], Classifier]
    notifiers: Mapping[str, Notifier] = field(default_factory=dict)  # a Family: also says why each other is off
    deps: Deps = field(default_factory=Deps)  # what component factories get (sources: the clock); see wiring
    channels: Mapping[str, ChannelSpec] = field(default_factory=dict)  # each channel's description, by kind
    http_client: httpx.AsyncClient | None = None  # the client behind the fetcher, closed by aclose()
    parser: ParsePool | None = None  # None parses inline
    classify_pool: ClassifyPool | None = None  # the worker process that classifies; None: this process does
    _classifier: Classifier | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    activity: Activity | None = None  # what `run` reports from; None for one-off commands
    announce: Callable[[str], None] | None = None  # says when the model loads (seconds): `poll --once`

    async def aclose(self) -> None:
        """Close the HTTP client, the worker processes and the store."""
        if self.http_client is not None:
            await self.http_client.aclose()
        if self.parser is not None:
            self.parser.close()
        if self.classify_pool is not None:
            self.classify_pool.close()
        self.store.close()

    @property
    def classifier(self) -> Classifier:
        """The classifier in this process (loaded on first use: `check-config` and `deliver` never pay for it)."""
        if self._classifier is None:
            self._classifier = self._announced(self.classifier_factory)
        return self._classifier

    def classify_worker(self) -> ClassifyPool | None:
        """The worker process that classifies for this runtime, or None where this process must.

        A worker builds the classifier from its recipe: a runtime given another factory classifies itself.
        """
        pool = self.classify_pool
        if pool is None or not pool.available or pool.recipe is not self.classifier_factory:
            return None
        return pool

    def load_classifier(self) -> None:
        """Load the classifier now, in its worker process where there is one (else, or failing that, here)."""
        pool = self.classify_worker()
        if pool is None or not (pool.started or self._announced(pool.start)):
            _ = self.classifier

    def _announced(self, load: Callable[[], T]) -> T:
        if self.announce is None:
            return load()
        self.announce(f"loading the classifier ({self.settings.classifier.kind})...")
        started = time.monotonic()
        loaded = load()
        self.announce(f"classifier ready in {time.monotonic() - started:.1f}s")
        return loaded


# --------------------------------------------------------------------------- fetch and store


async def poll_source(source: SourceConfig, rt: Runtime, *, force: bool = True,
                      health: SourceHealth | None = None) -> PollResult:
    """Fetch one source, store its unseen items and record its health; never raises for a bad source.

    `health` is the source's stored health record when the caller read it already (else it is read here).
    """
    started, now = time.monotonic(), rt.clock.now()
    health = health or rt.store.get_health(source.name)
    if not force and health.next_due and health.next_due > now:
        return PollResult(source.name, "skipped")
    try:
        result, parsed = await _guarded_fetch_and_parse(source, rt, health)
    except SourceError as exc:
        rt.store.save_health(_failed(health, source, exc, now, rt.settings))
        # said once per minute by `run`'s summary (and per poll at -v); a warning each would flood an offline start
        log.debug("source %s failed: %s", source.name, clean_line(str(exc)))
        return PollResult(source.name, "failed", error=str(exc), http_status=exc.status,
                          took_s=time.monotonic() - started)
    with rt.store.transaction():  # the items and the validators that say "seen" commit together
        new = _store_items(source, parsed, health, rt, now)
        rt.store.save_health(_succeeded(health, source, result, now, rt.settings, parsed.warning))
    failpoints.reached("items-stored")
    status = "not_modified" if result.not_modified else "ok"
    return PollResult(source.name, status, new_items=len(new), seen_items=len(parsed.items),
                      new_item_ids=tuple(i.id for i in new),
                      took_s=time.monotonic() - started, http_status=result.status)


async def _guarded_fetch_and_parse(source: SourceConfig, rt: Runtime, health: SourceHealth):
    """Turn any failure of one source, even a bug in a parser, into a SourceError for its health record.

    The source's network work (the feed, its article pages) has one deadline, counted from the moment its
    request gets a connection slot: a slow source is reported, not waited on, while time spent queued behind
    the global and per-host limits (10,000 sources due at once) or behind other documents in the parse
    pool is not the source's fault and never fails it.
    """
    deadline = rt.settings.fetch.source_deadline_s
    try:
        async with asyncio.timeout(None) as limit:
            return await _fetch_and_parse(source, rt, health, _DeadlineClock(limit, deadline))
    except TimeoutError as exc:
        raise SourceError(f"no complete answer within the {deadline:g}s deadline") from exc
    except SourceError:
        raise
    except Exception as exc:
        log.exception("unexpected failure polling %s", source.name)
        raise SourceError(f"unexpected {type(exc).__name__}: {exc}") from exc


class _DeadlineClock:
    """One source's deadline: armed when its request starts, paused while its document waits to be parsed."""

    def __init__(self, limit: asyncio.Timeout, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.ends: float | None = None

    def start(self) -> None:
        if self.ends is None:
            self.ends = asyncio.get_running_loop().time() + self.seconds
        self.limit.reschedule(self.ends)

    def pause(self) -> None:
        self.limit.reschedule(None)


async def _fetch_and_parse(source: SourceConfig, rt: Runtime, health: SourceHealth, clock: _DeadlineClock):
    kind = build(SOURCES, source.kind, source, rt.deps)
    result = await rt.fetcher.fetch(kind.request_url(), etag=health.etag, last_modified=health.last_modified,
                                    trusted=source.trusted, on_start=clock.start)
    clock.start()  # (a fetcher that never said when it started: from now)
    if result.not_modified:
        return result, ParsedDocument((), ())
    clock.pause()
    parsed = await rt.parser.parse(source, result) if rt.parser else parse_document(source, result)
    if source.fetch_article:
        clock.start()  # the rest of the same deadline
        raws = await _with_article_text(list(parsed.items), rt)
        parsed = ParsedDocument(tuple(raws), tuple(dedup_keys(raws)), parsed.warning)
    return result, parsed


async def _with_article_text(raws: list[RawItem], rt: Runtime) -> list[RawItem]:
    from monitor.sources.article import fetch_article_text

    async def fill(raw: RawItem) -> RawItem:
        if raw.summary or not raw.url:
            return raw
        try:
            return dataclasses.replace(raw, summary=await fetch_article_text(rt.fetcher, raw.url))
        except SourceError:
            return raw  # the title alone still counts

    return list(await asyncio.gather(*(fill(r) for r in raws)))


def _store_items(source: SourceConfig, parsed: ParsedDocument, health: SourceHealth, rt: Runtime, now) -> list[Item]:
    first_polled = health.first_polled or now
    first_poll = health.first_polled is None
    entries = [
        NewItem(
            raw,
            url_key,
            hash_key,
            is_alertable(raw.published, first_polled, first_poll=first_poll,
                         backfill_hours=rt.settings.backfill_hours),
            raw.lang or source.lang,
        )
        for raw, (url_key, hash_key) in zip(parsed.items, parsed.keys, strict=True)
        if raw.title or raw.summary
    ]
    return rt.store.add_items(source.name, entries, now)


def _succeeded(health: SourceHealth, source: SourceConfig, result, now, settings: Settings,
               warning: str | None = None) -> SourceHealth:
    delay = next_delay_s(source.interval_s, 0, retry_after_s=result.retry_after_s, max_age_s=result.max_age_s,
                         max_backoff_s=settings.fetch.max_backoff_s)
    return dataclasses.replace(
        health, last_attempt=now, last_success=now, consecutive_failures=0, last_error=None,
        last_status=result.status, next_due=now + timedelta(seconds=delay),
        first_polled=health.first_polled or now,
        # a 304 is the same document as before: its warning stands
        last_warning=health.last_warning if result.not_modified else (clean_line(warning)[:500] if warning else None),
        etag=result.etag or health.etag, last_modified=result.last_modified or health.last_modified,
    )


def _failed(health: SourceHealth, source: SourceConfig, exc: SourceError, now, settings: Settings) -> SourceHealth:
    failures = health.consecutive_failures + 1
    delay = next_delay_s(source.interval_s, failures, retry_after_s=exc.retry_after_s,
                         max_backoff_s=settings.fetch.max_backoff_s)
    return dataclasses.replace(
        health, last_attempt=now, consecutive_failures=failures, last_error=clean_line(str(exc))[:500],
        last_status=exc.status, next_due=now + timedelta(seconds=delay),
    )


async def poll_sources(sources: Sequence[SourceConfig], rt: Runtime, *, force: bool = True,
                       progress: Callable[[PollResult], None] | None = None) -> list[PollResult]:
    """Poll many sources concurrently (the fetcher enforces global and per-host limits).

    Every source's health record is read in one query first. Read one by one, each poll's read ran before its
    first wait, so with 10,000 sources the loop spent seconds on them before it served the first requests'
    connections, and those (the first 32) failed with a connect timeout although the servers had answered.
    """
    stored = {h.source: h for h in rt.store.list_health()}

    async def one(source: SourceConfig) -> PollResult:
        health = stored.get(source.name) or SourceHealth(source.name)
        result = await poll_source(source, rt, force=force, health=health)
        if progress:
            progress(result)
        return result

    return list(await asyncio.gather(*(one(s) for s in sources if s.enabled)))


# --------------------------------------------------------------------------- classify, merge, decide


@dataclass(frozen=True)
class ProcessReport:
    classified: int = 0
    incidents: int = 0
    alerts: int = 0
    held: int = 0  # alerts whose deliveries wait out quiet hours
    to_digest: int = 0  # alerts routed to the digest (digest mode, or over a daily cap)


def process_new_items(rt: Runtime, batch: int = 256, item_ids: Sequence[int] | None = None) -> ProcessReport:
    """Classify every unprocessed item, fold incidents and queue the alerts they raise, a batch at a time.

    Classifying (the slow part) happens outside any transaction; then one transaction claims the batch's
    still-unprocessed items, stores their classifications, folds their incidents, queues the alerts and
    marks them processed. A crash anywhere leaves them unprocessed, and the next run does them again;
    another process working on the same store skips what this one committed.
    """
    if item_ids is not None:  # a scale-out worker classifies the items one poll stored, not everyone's
        items = [i for i in (rt.store.get_item(item_id) for item_id in item_ids) if i and i.processed_at is None]
        return _process_batch(items, rt) if items else ProcessReport()
    totals, after = ProcessReport(), 0
    while items := rt.store.unprocessed_items(limit=batch, after_id=after):
        after = items[-1].id
        totals = _added(totals, _process_batch(items, rt))
    return totals


def _added(a: ProcessReport, b: ProcessReport) -> ProcessReport:
    return ProcessReport(*(x + y for x, y in zip(dataclasses.astuple(a), dataclasses.astuple(b))))


def _process_batch(items: list[Item], rt: Runtime) -> ProcessReport:
    name, classified = _classify_here(_classify_inputs(items), rt)
    return _fold_batch([item.id for item in items], name, classified, rt, {item.id: item for item in items})


def _classify_inputs(items: Sequence[Item]) -> list[ClassifyInput]:
    return [ClassifyInput(id=str(i.id), title=i.title, summary=i.summary, url=i.url, lang=i.lang) for i in items]


def _classify_here(inputs: list[ClassifyInput], rt: Runtime) -> tuple[str, list[Classification]]:
    """Classify in this process: (the classifier's name, one classification per input)."""
    from monitor.classifying import classifier_name

    return classifier_name(rt.classifier), rt.classifier.classify_many(inputs)


def _fold_batch(item_ids: list[int], classifier_name: str, classified: Sequence[Classification], rt: Runtime,
                items: Mapping[int, Item] | None = None) -> ProcessReport:
    """In one transaction: claim the batch's still-unprocessed items, store their classifications, fold the
    incidents, queue the alerts and mark the items processed. An item with labels (an incident) or a
    tentative label (a possible follow-up) is read from the store unless `items` has it; the others never
    are: their ids and classifications are all a fold needs."""
    results = dict(zip(item_ids, classified, strict=True))
    with rt.store.transaction():
        claimed = rt.store.claim_items(item_ids)
        touched: dict[int, Incident] = {}
        rt.store.save_classifications([(item_id, results[item_id]) for item_id in claimed], classifier_name,
                                      rt.clock.now())
        for item_id in claimed:
            cls = results[item_id]
            if cls.labels:
                incident = _fold_into_incident(items[item_id] if items is not None else _stored(item_id, rt), cls, rt)
                touched[incident.id] = incident
            elif incidents.tentative_label(cls):  # no incident alone, but perhaps a follow-up of an open one
                item = items[item_id] if items is not None else _stored(item_id, rt)
                if followed := _join_follow_up(item, cls, rt):
                    touched[followed.id] = followed
        queued = [decision for incident in touched.values() for decision in _queue_alerts(incident, rt)]
        rt.store.mark_processed(claimed, rt.clock.now())
        failpoints.reached("before-fold-commit")
    failpoints.reached("after-fold-commit")
    held = sum(1 for d in queued if d.route == "instant" and d.delivery_status == "held")
    return ProcessReport(classified=len(claimed), incidents=len(touched), alerts=len(queued), held=held,
                         to_digest=sum(1 for d in queued if d.route != "instant"))


def _stored(item_id: int, rt: Runtime) -> Item:
    item = rt.store.get_item(item_id)
    assert item is not None, "a claimed item is stored"
    return item


class Arrivals:
    """What a cycle's polls stored so far, for the classification that follows them while they go on."""

    def __init__(self) -> None:
        self.stored = 0  # items stored by the polls that finished
        self.done = False  # every poll finished
        self._changed = asyncio.Event()

    def add(self, result: PollResult) -> None:
        """Count one finished poll's new items."""
        self.stored += result.new_items
        self._changed.set()

    def finish(self) -> None:
        """Say that no poll of the cycle will store anything more."""
        self.done = True
        self._changed.set()

    async def wait(self, more: int) -> None:
        """Wait until polls have stored `more` items after this call, or polling is over."""
        target = self.stored + more
        while self.stored < target and not self.done:
            self._changed.clear()
            await self._changed.wait()

    async def wait_done(self) -> None:
        """Wait until polling is over."""
        await self.wait(sys.maxsize)


async def process_stored_items(rt: Runtime, arrivals: Arrivals | None = None, batch: int = 256) -> ProcessReport:
    """`process_new_items` with its classification in the worker process, where there is one.

    With `arrivals` (a cycle's polls in progress) it follows the polls: each full batch of what they stored
    is classified in the worker while later sources are still fetched, and the rest once polling is over.
    The batches are `process_new_items`'s (the unprocessed items by id, `batch` at a time, a crash's leftovers
    first) and are folded in that order, each in its own transaction in this process: the same
    classifications, incidents and alerts, and a crash leaves what was not folded for the next run. While
    the worker classifies one batch, the one before it is folded.
    Without a worker it waits for polling to end and runs `process_new_items` in a thread, as before.
    """
    if rt.classify_worker() is None:
        if arrivals is not None:
            await arrivals.wait_done()
        return await asyncio.to_thread(process_new_items, rt, batch)
    totals, after = ProcessReport(), 0
    queued: deque[tuple[list[ClassifyInput], asyncio.Task]] = deque()
    try:
        while inputs := await _next_batch(rt, after, batch, arrivals):
            if not after:
                await asyncio.to_thread(rt.load_classifier)  # only once there is something to classify
            after = int(inputs[-1].id)
            queued.append((inputs, asyncio.create_task(_classify_in_worker(inputs, rt))))
            if len(queued) > 1:  # the worker classifies this batch while the one before it is folded
                totals = _added(totals, await _fold_next(queued, rt))
        while queued:
            totals = _added(totals, await _fold_next(queued, rt))
    finally:
        for _, task in queued:
            task.cancel()
    return totals


async def _next_batch(rt: Runtime, after: int, size: int, arrivals: Arrivals | None) -> list[ClassifyInput]:
    """The next `size` unprocessed items after id `after` (what the classifier reads): fewer only when polling
    is over."""
    while True:
        # On the loop's thread, like the polls' writes: what this reads and what `arrivals` counted agree.
        inputs = rt.store.unprocessed_inputs(limit=size, after_id=after)
        if len(inputs) == size or arrivals is None or arrivals.done:
            return inputs
        await arrivals.wait(size - len(inputs))


async def _classify_in_worker(inputs: list[ClassifyInput], rt: Runtime) -> tuple[str, list[Classification]] | None:
    pool = rt.classify_worker()
    return await pool.classify(inputs) if pool is not None else None


async def _fold_next(queued: deque[tuple[list[ClassifyInput], asyncio.Task]], rt: Runtime) -> ProcessReport:
    inputs, classifying = queued.popleft()
    classified = await classifying
    if classified is None:  # the worker is gone: this process classifies the batch, as process_new_items does
        classified = await asyncio.to_thread(_classify_here, inputs, rt)
    name, results = classified
    # On the loop's thread: the polls' writes and this one take turns, none waits on SQLite's lock in between.
    return _fold_batch([int(i.id) for i in inputs], name, results, rt)


def _fold_into_incident(item: Item, cls: Classification, rt: Runtime) -> Incident:
    now = rt.clock.now()
    candidate = incidents.incident_from_report(item, cls, _host(item), now)
    window = timedelta(days=rt.settings.incident_window_days)
    since = now - incidents.lookback(window)
    recent = rt.store.recent_incidents(since, status=None)  # dismissed ones too: their reports stay quiet
    match = incidents.match_incident(candidate, recent, now, window=window)
    return _save_with_report(incidents.merge_report(match, candidate, now) if match else candidate, item, rt)


def _join_follow_up(item: Item, cls: Classification, rt: Runtime) -> Incident | None:
    """Join a report that is no incident on its own to the open incident it follows up, if there is one."""
    now = rt.clock.now()
    candidate = incidents.follow_up_from_report(item, cls, _host(item), now)
    if candidate is None:
        return None
    since = now - incidents.lookback(timedelta(days=rt.settings.incident_window_days))
    match = incidents.match_follow_up(candidate, rt.store.recent_incidents(since, status=None), now)
    if match is None:
        return None
    return _save_with_report(incidents.merge_follow_up(match, candidate, now), item, rt)


def _save_with_report(incident: Incident, item: Item, rt: Runtime) -> Incident:
    severity, reasons = alerts.score_severity(incident)
    saved = rt.store.save_incident(dataclasses.replace(incident, severity=severity, severity_reasons=reasons))
    rt.store.link_item(item.id, saved.id)
    return saved


def _host(item: Item) -> str:
    host = urlsplit(item.canonical_url or item.url).hostname or item.source
    return host.removeprefix("www.")


def _queue_alerts(incident: Incident, rt: Runtime) -> list[alerts.AlertDecision]:
    """Decide the alerts for one incident and write each, with its deliveries, to the outbox."""
    now = rt.clock.now()
    from monitor.subscriptions import expand_watchlists, with_channel_defaults

    named = {w.name: w.companies for w in rt.store.list_watchlists()}
    subscriptions = with_channel_defaults(expand_watchlists(rt.store.list_subscriptions(), named), rt.channels)
    # counted from the store, so alerts queued earlier in this cycle count towards the daily cap too
    sent_today = {s.name: rt.store.count_alerts_since(s.name, alerts.day_start(s, now)) for s in subscriptions}
    prior = rt.store.alerts_for_incident(incident.id)
    decisions = alerts.decide_alerts(incident, prior, subscriptions, rt.watchlist, now, sent_today,
                                     slack_webhook_mode=webhook_mode(rt.settings.slack))
    for decision in decisions:  # stored as decided: the routing decision names every row
        rt.store.add_alert(decision.alert, decision.deliveries, route=decision.route)
    return decisions


def webhook_mode(slack: SlackSettings) -> bool:
    """Tell whether Slack runs in webhook mode: a webhook URL and no bot token."""
    return bool(slack.webhook_url and not slack.bot_token)


def in_slack_mode(subscriptions: Sequence[Subscription], slack: SlackSettings) -> list[Subscription]:
    """Return the subscriptions as routed with these Slack settings (webhook mode rewrites Slack channels)."""
    return alerts.slack_route(subscriptions, webhook_mode(slack))


# --------------------------------------------------------------------------- one whole cycle


async def run_cycle(rt: Runtime, *, force: bool = True,
                    progress: Callable[[PollResult], None] | None = None) -> CycleReport:
    """Poll every source, classify what is new, update incidents, queue alerts, drain what is due.

    Classification follows the polls (`process_stored_items`): in the worker process, what the first
    sources stored is classified while later ones are still fetched.
    """
    from monitor.delivery import drain_outbox

    started = time.monotonic()
    arrivals = Arrivals()

    def polled(result: PollResult) -> None:
        arrivals.add(result)
        if progress:
            progress(result)

    async with rt.lock:
        following = asyncio.create_task(process_stored_items(rt, arrivals))
        try:
            results = await poll_sources(rt.sources, rt, force=force, progress=polled)
        except BaseException:
            following.cancel()
            raise
        finally:
            arrivals.finish()
        report = await following
        drained = await asyncio.to_thread(
            drain_outbox, rt.store, rt.notifiers, rt.watchlist, rt.clock.now(), sender=rt.settings.smtp.sender,
            public_url=rt.settings.public_url,
        )
    return CycleReport(tuple(results), time.monotonic() - started, incidents=report.incidents,
                       alerts=report.alerts, delivered=drained.delivered, retrying=drained.retried,
                       delivery_failed=drained.failed, held=report.held, to_digest=report.to_digest,
                       delivery_problems=drained.problems)
