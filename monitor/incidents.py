"""One real event, one incident: match a new classified report to an open incident and merge it.

Pure: data and a clock in, data out. The pipeline turns each classified item into a candidate
(`incident_from_report`), asks `match_incident` for an open incident of the last days, and
either stores the candidate as a new incident or stores `merge_report(found, candidate, now)`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from monitor.types import LABELS, Classification, Evidence, Incident, Item

try:  # the sources wing's near-duplicate fingerprints, when that module is present
    from monitor.dedup import fingerprint, similarity, title_key
except ImportError:  # token overlap alone decides
    fingerprint = similarity = None  # type: ignore[assignment]

    def title_key(title: str) -> str:
        return title

WINDOW = timedelta(days=7)
SAME_TITLE_JACCARD = 0.4  # content-word overlap of two headlines about one event
SAME_FINGERPRINT = 0.9  # simhash similarity of near-duplicate texts
SHUTDOWN_SAME_EVENT = timedelta(days=3)  # one country's shutdown reports this close are one event
# One event or two? A logistic model over a pair of incidents' features (`pair_features`), fitted on
# real report pairs of one event and of look-alike events (classifiers/data/event_pairs.jsonl, with
# `scripts/evaluate_pairs.py --fit`; figures in docs/classifier.md). It needs both reports' meaning
# vectors (multilingual-e5, so a French and an English report of one shutdown land close); without
# them the older rules below decide alone.
PAIR_FEATURES = (
    "meaning", "meaning_across_languages", "across_languages", "shared_country", "country_conflict",
    "shared_company", "shared_label", "log_days", "within_3_days", "title_overlap",
)
PAIR_WEIGHTS = (44.7411, 1.9115, 1.2953, -0.5714, -2.9509, 0.3875, 3.8105, -1.0906, 0.6309, -2.4435)
PAIR_BIAS = -40.2350
SAME_EVENT_PROBABILITY = 0.8148  # joins at most 2% of the look-alike pairs it was fitted on
LONG_WINDOW = timedelta(days=30)  # how far back a report may still find its event (a follow-up weeks later)
# A report that is no incident on its own may still follow one up ("internet restored", "the blackout enters
# its second week"): it joins an open incident when a label reads at least FOLLOW_UP_SCORE likely and the pair
# model is surer than for two incident reports. Of the 757 real pairs it joins 7 same-event pairs that would
# otherwise stay apart and no look-alike (`make eval-pairs`).
FOLLOW_UP_SCORE = 0.3
FOLLOW_UP_PROBABILITY = 0.9

_STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into", "is",
    "it", "its", "of", "on", "or", "over", "says", "said", "the", "to", "after", "amid", "new", "report",
    "reports", "with", "was", "were", "will", "this", "that", "than",
))
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def incident_from_report(item: Item, cls: Classification, host: str, now: datetime) -> Incident:
    """Make a candidate incident (id 0) of one classified report from outlet `host`."""
    seen = _report_time(item, now)
    return Incident(
        id=0,
        title=item.title,
        url=item.url,
        labels=_ordered_labels(cls.labels),
        companies=tuple(sorted(set(cls.companies))),
        inferred_companies=tuple(sorted(set(cls.inferred_companies) - set(cls.companies))),
        countries=tuple(sorted({c.upper() for c in cls.countries})),
        first_seen=seen,
        last_seen=seen,
        evidence=_unique_evidence(cls.evidence),
        scores=dict(cls.scores),
        alertable=item.alertable,
        sources=(host,) if host else (),
        source_count=1 if host else 0,
        urls=(item.url,) if item.url else (),
        lang=cls.lang or item.lang,
        vector=tuple(cls.vector),
    )


def match_incident(
    candidate: Incident, recent: Sequence[Incident], now: datetime, window: timedelta = WINDOW
) -> Incident | None:
    """Return the incident that reports the same event, or None.

    The pair model weighs the time since an incident's last report itself, up to `LONG_WINDOW` (a
    shutdown lifted three weeks later); the rules without vectors look back `window`."""
    best: tuple[float, Incident] | None = None
    for incident in recent:
        score = same_event_score(candidate, incident, gap=now - incident.last_seen, window=window)
        if score > 0 and (best is None or score > best[0]):
            best = (score, incident)
    return best[1] if best else None


def follow_up_from_report(item: Item, cls: Classification, host: str, now: datetime) -> Incident | None:
    """A candidate follow-up (id 0): a report the classifier read in full (it has a vector) but did not take
    for an incident on its own, such as "internet restored" or "the blackout enters its second week". It
    carries its likeliest label as a tentative one, for matching only; None for any other report, and for one
    whose every label reads unlikely (a 4G rollout in the country of a shutdown)."""
    label = tentative_label(cls)
    return incident_from_report(item, replace(cls, labels=(label,)), host, now) if label else None


def tentative_label(cls: Classification) -> str | None:
    """The label a follow-up candidate is matched under: its likeliest, for a report read in full (a vector)
    without labels of its own whose likeliest label reads at least FOLLOW_UP_SCORE likely; else None."""
    if cls.labels or not cls.vector:
        return None
    likeliest = max(LABELS, key=lambda label: cls.scores.get(label, 0.0))
    return likeliest if cls.scores.get(likeliest, 0.0) >= FOLLOW_UP_SCORE else None


def match_follow_up(candidate: Incident, recent: Sequence[Incident], now: datetime) -> Incident | None:
    """The incident a follow-up reports on, or None: the pair model alone decides (no headline rules), at a
    higher bar than for a report that is an incident, and never across two countries' events."""
    best: tuple[float, Incident] | None = None
    for incident in recent:
        gap = now - incident.last_seen
        if gap > LONG_WINDOW or not (candidate.vector and incident.vector) or not related(candidate, incident):
            continue
        if _countries_conflict(candidate, incident):
            continue
        probability = same_event_probability(candidate, incident, gap)
        if probability >= FOLLOW_UP_PROBABILITY and (best is None or probability > best[0]):
            best = (probability, incident)
    return best[1] if best else None


def merge_follow_up(incident: Incident, candidate: Incident, now: datetime) -> Incident:
    """Fold a follow-up into its incident: one more outlet, item and URL, and its time. What the incident
    says (labels, companies, countries, evidence, scores, headline) stays as the incident reports gave it,
    and a follow-up never makes a backfilled incident alertable."""
    merged = merge_report(incident, replace(candidate, labels=(), evidence=(), scores={}), now)
    return replace(merged, title=incident.title, url=incident.url, alertable=incident.alertable,
                   companies=incident.companies, inferred_companies=incident.inferred_companies,
                   countries=incident.countries)


def lookback(window: timedelta = WINDOW) -> timedelta:
    """How far back `match_incident` may find an incident: the store query's horizon."""
    return max(window, LONG_WINDOW)


def same_event_score(a: Incident, b: Incident, gap: timedelta = timedelta(0), window: timedelta = WINDOW) -> float:
    """Score how surely two incidents report one event (0 = not the same), `gap` after b's last report."""
    if gap > LONG_WINDOW or not related(a, b):
        return 0.0
    if a.vector and b.vector and not _countries_conflict(a, b):
        probability = same_event_probability(a, b, gap)
        if probability >= SAME_EVENT_PROBABILITY:
            return probability
    if gap > window or _countries_conflict(a, b) or not (_shares_subject(a, b) and set(a.labels) & set(b.labels)):
        return 0.0  # two countries' events stay two, however alike their headlines (Kenya's and Nigeria's)
    if set(a.urls) & set(b.urls):
        return 1.0
    words = title_similarity(a.title, b.title)
    if words >= SAME_TITLE_JACCARD:
        return words
    if _fingerprint_similarity(a, b) >= SAME_FINGERPRINT:
        return SAME_FINGERPRINT
    if not (a.vector and b.vector) and _same_shutdown(a, b):
        return SAME_TITLE_JACCARD / 2  # weaker than a headline match, still one event
    return 0.0


def _countries_conflict(a: Incident, b: Incident) -> bool:
    # Both placed, nowhere in common: two countries' events, however alike their reports read.
    return bool(a.countries and b.countries) and not set(a.countries) & set(b.countries)


def related(a: Incident, b: Incident) -> bool:
    """Have anything in common worth comparing: a label, a country or a company."""
    return bool(set(a.labels) & set(b.labels)) or _shares_subject(a, b)


def pair_features(a: Incident, b: Incident, gap: timedelta) -> tuple[float, ...]:
    """The features of `PAIR_FEATURES` for two incidents, `gap` apart in time."""
    meaning = meaning_similarity(a, b)
    across = float((a.lang or "").split("-")[0] != (b.lang or "").split("-")[0])
    shared_country = float(bool(set(a.countries) & set(b.countries)))
    conflict = float(bool(a.countries and b.countries) and not shared_country)
    companies = set(a.companies + a.inferred_companies) & set(b.companies + b.inferred_companies)
    days = abs(gap.total_seconds()) / 86400
    return (meaning, meaning * across, across, shared_country, conflict, float(bool(companies)),
            float(bool(set(a.labels) & set(b.labels))), math.log1p(days), float(days <= 3),
            title_similarity(a.title, b.title))


def same_event_probability(a: Incident, b: Incident, gap: timedelta) -> float:
    """The pair model's probability that `a` and `b` report one event."""
    z = PAIR_BIAS + sum(w * x for w, x in zip(PAIR_WEIGHTS, pair_features(a, b, gap)))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def meaning_similarity(a: Incident, b: Incident) -> float:
    """Cosine of the two incidents' report vectors (0 when either has none)."""
    if not a.vector or not b.vector or len(a.vector) != len(b.vector):
        return 0.0
    dot = sum(x * y for x, y in zip(a.vector, b.vector))
    norm = (sum(x * x for x in a.vector) * sum(y * y for y in b.vector)) ** 0.5
    return dot / norm if norm else 0.0


def title_similarity(a: str, b: str) -> float:
    """Return the Jaccard overlap of two titles' content words."""
    left, right = title_words(a), title_words(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def title_words(title: str) -> frozenset[str]:
    """Return a title's content words (outlet suffix cut), lower-cased, with a plural -s dropped."""
    words = (w.casefold() for w in _WORD.findall(title_key(title)))
    return frozenset(_stem(w) for w in words if w not in _STOPWORDS and len(w) > 1)


def merge_report(incident: Incident, candidate: Incident, now: datetime) -> Incident:
    """Fold a candidate report into an incident: unions, distinct outlets, one more item."""
    reviewed = incident.review != "new"  # an analyst's labels and companies stand against later reports
    companies = incident.companies if reviewed else _union(incident.companies, candidate.companies)
    sources = _union(incident.sources, candidate.sources)
    title, url = _best_title(incident, candidate)
    labels = incident.labels if reviewed else _ordered_labels(incident.labels + candidate.labels)
    return replace(
        incident,
        title=title,
        url=url,
        labels=labels,
        companies=companies,
        inferred_companies=tuple(c for c in _union(incident.inferred_companies, candidate.inferred_companies)
                                 if c not in companies),
        countries=_union(incident.countries, candidate.countries),
        evidence=_unique_evidence(incident.evidence + candidate.evidence),
        scores=_max_scores(incident.scores, candidate.scores),
        sources=sources,
        source_count=len(sources),
        urls=_union(incident.urls, candidate.urls),
        item_count=incident.item_count + 1,
        first_seen=min(incident.first_seen, candidate.first_seen),
        last_seen=max(incident.last_seen, min(candidate.last_seen, now)),
        alertable=incident.alertable or candidate.alertable,
        vector=_mean_vector(incident, candidate),
    )


# --------------------------------------------------------------------------- matching rules


def _shares_subject(a: Incident, b: Incident) -> bool:
    """Share a company (named or inferred) or a country. Labels may differ (one outlet's "blocked"
    is another's "shut down"); the rules without vectors ask for a shared label too. A dismissed
    incident matches as well, so later reports of its event stay quiet with it."""
    companies = set(a.companies + a.inferred_companies) & set(b.companies + b.inferred_companies)
    return bool(companies or set(a.countries) & set(b.countries))


def _same_shutdown(a: Incident, b: Incident) -> bool:
    # Shutdown headlines vary wildly ("Ethiopia pulls the plug" / "Amhara goes dark"), but one
    # country rarely has two separate shutdowns starting within days of each other.
    both = "shutdown" in a.labels and "shutdown" in b.labels
    close = abs(a.first_seen - b.first_seen) <= SHUTDOWN_SAME_EVENT
    return both and close and bool(set(a.countries) & set(b.countries))


def _fingerprint_similarity(a: Incident, b: Incident) -> float:
    if fingerprint is None or similarity is None:
        return 0.0
    try:
        return float(similarity(fingerprint(a.title, _evidence_text(a)), fingerprint(b.title, _evidence_text(b))))
    except Exception:  # noqa: BLE001 - another wing's helper must never sink incident matching
        return 0.0


def _evidence_text(incident: Incident) -> str:
    return " ".join(e.text for e in incident.evidence)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


# --------------------------------------------------------------------------- merging


def _best_title(incident: Incident, candidate: Incident) -> tuple[str, str]:
    """Keep the more specific headline: more of the incident's companies, then more content words."""
    def rank(title: str) -> tuple[int, int]:
        named = sum(1 for c in incident.companies + candidate.companies if c.casefold() in title.casefold())
        return named, min(len(title_words(title)), 14)  # past 14 words a headline is padding

    if candidate.title and rank(candidate.title) > rank(incident.title):
        return candidate.title, candidate.url or incident.url
    return incident.title, incident.url


def _union(*groups: Iterable[str]) -> tuple[str, ...]:
    # Sorted so that the order reports arrive in never changes the merged incident.
    return tuple(sorted({value for group in groups for value in group if value}))


def _ordered_labels(labels: Iterable[str]) -> tuple[str, ...]:
    wanted = set(labels)
    return tuple(label for label in LABELS if label in wanted) + tuple(sorted(wanted - set(LABELS)))


def _unique_evidence(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    return tuple(sorted(set(evidence), key=lambda e: (e.label, e.text)))


def _mean_vector(incident: Incident, candidate: Incident) -> tuple[float, ...]:
    # The running mean of every report's vector: the incident's meaning drifts with its coverage.
    if not candidate.vector or len(candidate.vector) != len(incident.vector):
        return incident.vector or candidate.vector
    n = incident.item_count
    return tuple(round((x * n + y) / (n + 1), 4) for x, y in zip(incident.vector, candidate.vector))


def _max_scores(a: Mapping[str, float], b: Mapping[str, float]) -> dict[str, float]:
    merged = dict(a)
    for label, score in b.items():
        merged[label] = max(float(score), float(merged.get(label, 0.0)))
    return merged


def _report_time(item: Item, now: datetime) -> datetime:
    # A report's own date places it in its week; a future or missing date falls back to now.
    published = item.published
    if published is None or published.tzinfo is None or published > now:
        return now
    return published
