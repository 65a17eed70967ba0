"""Pure workspace decisions: reviews, agreement, sticky reviewed labels, paused subscriptions, signing, throttling."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.alerts import match_subscription
from monitor.incidents import merge_report
from monitor.review import ReviewError, agreement, apply_review, labeled_line
from monitor.signing import sign_recipient, verify_recipient
from monitor.subscriptions import expand_watchlists
from monitor.types import Channel, Item, Subscription
from monitor.web.auth import LoginThrottle, check_password, csrf_ok, csrf_token, hash_password, may
from tests.webapp import incident, watchlist

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def base():
    return replace(incident("Gabon cuts mobile data", NOW), id=7, companies=("Gabon Telecom",), countries=("GA",),
                   inferred_companies=("Airtel Gabon",))


def test_each_action_sets_the_review_state_and_keeps_the_classifier_labels_for_agreement():
    dismissed, review = apply_review(base(), "dismiss", "ana", NOW, note=" no ")
    assert (dismissed.review, dismissed.status, review.note, review.before_labels) == ("dismissed", "dismissed", "no", ("shutdown",))
    relabeled, _ = apply_review(base(), "relabel", "ana", NOW, labels=["censorship"], companies=["Airtel Gabon"])
    assert relabeled.labels == ("censorship",) and relabeled.companies == ("Airtel Gabon",)
    assert relabeled.inferred_companies == ()  # a company named by the reviewer is no longer only inferred
    reopened, _ = apply_review(dismissed, "reopen", "ana", NOW)
    assert (reopened.review, reopened.status) == ("new", "open")
    with pytest.raises(ReviewError):
        apply_review(base(), "relabel", "ana", NOW, labels=["spam"])
    with pytest.raises(ReviewError):
        apply_review(base(), "archive", "ana", NOW)


def test_agreement_counts_each_incidents_latest_review():
    _, confirm = apply_review(base(), "confirm", "a", NOW)
    _, relabel = apply_review(replace(base(), id=8), "relabel", "a", NOW, labels=["censorship"])
    _, dismiss = apply_review(replace(base(), id=9), "dismiss", "a", NOW)
    _, later = apply_review(replace(base(), id=9), "confirm", "a", NOW)
    assert agreement([confirm, relabel, dismiss]) == (1, 3)
    assert agreement([confirm, relabel, dismiss, later]) == (2, 3)


def test_a_reviewed_incident_keeps_its_labels_and_companies_against_later_reports():
    reviewed, _ = apply_review(base(), "relabel", "ana", NOW, labels=["censorship"])
    later = replace(base(), labels=("shutdown", "surveillance"), companies=("Gabon Telecom", "Moov Africa"))
    merged = merge_report(reviewed, later, NOW)
    assert merged.labels == ("censorship",) and merged.companies == ("Gabon Telecom",) and merged.item_count == 2
    assert merge_report(base(), later, NOW).labels == ("surveillance", "shutdown")


def test_labeled_line_marks_a_dismissed_incident_none():
    item = Item(3, "s", "g", "https://e.org/a", "https://e.org/a", "t", "s", None, NOW, "h", lang="fr")
    dismissed, review = apply_review(base(), "dismiss", "ana", NOW, note="opinion piece")
    line = labeled_line(dismissed, item, review)
    assert line["labels"] == ["none"] and line["companies"] == [] and "opinion piece" in line["notes"]
    assert line["id"] == "review-3" and line["lang"] == "fr"


def test_a_paused_subscription_hears_nothing_and_workspace_watchlists_expand():
    sub = Subscription("desk", Channel("console", ("stdout",)))
    assert match_subscription(sub, base(), watchlist()) is not None
    assert match_subscription(replace(sub, paused=True), base(), watchlist()) is None
    by_list = replace(sub, watchlists=("fund", "from-yaml"))
    [expanded] = expand_watchlists([by_list], {"fund": ("Gabon Telecom",)})
    assert expanded.companies == ("Gabon Telecom",) and expanded.watchlists == ("from-yaml",)


def test_signed_recipient_links_refuse_tampering():
    token = sign_recipient("s3cret", "ngo", "ana@example.org")
    assert verify_recipient("s3cret", token) == ("ngo", "ana@example.org")
    assert verify_recipient("other", token) is None
    _body, mac = token.split(".")
    forged = sign_recipient("s3cret", "ngo", "eve@example.org").split(".")[0] + "." + mac
    assert verify_recipient("s3cret", forged) is None
    assert verify_recipient("s3cret", "garbage") is None


def test_passwords_roles_csrf_and_login_throttle():
    hashed = hash_password("hunter22")
    assert hashed.startswith("$argon2id$") and check_password(hashed, "hunter22") and not check_password(hashed, "x")
    assert may("admin", "analyst") and may("analyst", "viewer") and not may("viewer", "analyst") and not may("root", "viewer")
    assert csrf_ok("k", "nonce", csrf_token("k", "nonce")) and not csrf_ok("k", "other", csrf_token("k", "nonce"))
    assert not csrf_ok("k", None, "")
    now = [NOW]
    throttle = LoginThrottle(lambda: now[0], limit=2, window=timedelta(minutes=15))
    throttle.failed("ip:1", "email:a")
    throttle.failed("ip:1", "email:a")
    assert throttle.blocked("ip:2", "email:a") and not throttle.blocked("ip:2", "email:b")
    now[0] += timedelta(minutes=16)
    assert not throttle.blocked("ip:1", "email:a")
