"""Analysts' review of incidents, as pure decisions: what a review does to an incident, how often the
classifier agreed with reviewers, and the labeled lines `export-labels` writes for training.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from monitor.types import LABELS, REVIEW_ACTIONS, Incident, Item, Review


class ReviewError(ValueError):
    """A review that cannot apply (unknown action or label)."""


def apply_review(
    incident: Incident,
    action: str,
    reviewer: str,
    now: datetime,
    labels: Sequence[str] | None = None,
    companies: Sequence[str] | None = None,
    note: str = "",
) -> tuple[Incident, Review]:
    """Return the incident after the review and the review to store.

    confirm keeps the labels (or takes the given ones), dismiss silences the incident for good,
    relabel replaces labels and/or companies, reopen undoes a dismissal.
    """
    if action not in REVIEW_ACTIONS:
        raise ReviewError(f"unknown action {action!r} ({', '.join(REVIEW_ACTIONS)})")
    new_labels = _checked_labels(labels) if labels else incident.labels
    new_companies = _clean(companies) if companies is not None else incident.companies
    if action == "relabel" and not labels and companies is None:
        raise ReviewError("relabel needs labels or companies")
    if action == "relabel" and not new_labels:
        raise ReviewError("an incident keeps at least one label; dismiss it instead")
    state, status = {"dismiss": ("dismissed", "dismissed"), "reopen": ("new", "open")}.get(action, ("confirmed", "open"))
    updated = replace(incident, labels=new_labels, companies=new_companies, review=state, status=status,
                      inferred_companies=tuple(c for c in incident.inferred_companies if c not in new_companies))
    review = Review(incident_id=incident.id, action=action, reviewer=reviewer, created_at=now,
                    labels=updated.labels, companies=updated.companies, note=note.strip()[:2000],
                    before_labels=incident.labels)
    return updated, review


def _checked_labels(labels: Iterable[str]) -> tuple[str, ...]:
    wanted = set(_clean(labels))
    unknown = wanted - set(LABELS)
    if unknown:
        raise ReviewError(f"unknown label {min(unknown)!r} ({', '.join(LABELS)})")
    return tuple(label for label in LABELS if label in wanted)


def _clean(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if str(value).strip():
            seen[str(value).strip()] = None
    return tuple(seen)


def agrees(review: Review) -> bool | None:
    """Say whether the classifier agreed with a reviewer (None for a reopen, which judges nothing)."""
    if review.action == "reopen":
        return None
    if review.action == "dismiss":
        return False  # the classifier called it an incident; the reviewer said no
    return set(review.labels) == set(review.before_labels)


def agreement(reviews: Iterable[Review]) -> tuple[int, int]:
    """Return (agreed, judged) over the reviews, counting only each incident's latest word."""
    latest: dict[int, Review] = {}
    for review in reviews:
        latest[review.incident_id] = review
    verdicts = [v for v in (agrees(r) for r in latest.values()) if v is not None]
    return sum(verdicts), len(verdicts)


def labeled_line(incident: Incident, item: Item, review: Review | None = None) -> dict:
    """Return an item of a reviewed incident in the dev_items.jsonl format (dismissed: ["none"])."""
    dismissed = incident.review == "dismissed"
    note = f"reviewed {incident.review}"
    if review is not None:
        note += f" by {review.reviewer} on {review.created_at:%Y-%m-%d}" + (f": {review.note}" if review.note else "")
    return {
        "id": f"review-{item.id}",
        "lang": item.lang,
        "url": item.url,
        "published": item.published.isoformat() if item.published else None,
        "title": item.title,
        "summary": item.summary,
        "labels": ["none"] if dismissed else list(incident.labels),
        "companies": [] if dismissed else list(incident.companies),
        "countries": [] if dismissed else list(incident.countries),
        "notes": note,
    }


def labeled_jsonl(pairs: Iterable[tuple[Incident, Item]], latest: dict[int, Review]) -> str:
    """Return the JSONL text of every (incident, item) pair."""
    return "".join(json.dumps(labeled_line(i, item, latest.get(i.id)), ensure_ascii=False) + "\n" for i, item in pairs)
