"""Severity: an ordered scale, explained by short human reasons."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.alerts import apply_severity, score_severity
from monitor.types import Evidence, Incident, Severity

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def incident(title: str, labels=("shutdown",), companies=("MTN Nigeria",), sources=1, evidence=()) -> Incident:
    return Incident(id=1, title=title, url="https://a.example/1", labels=tuple(labels), companies=tuple(companies),
                    inferred_companies=(), countries=("NG",), first_seen=NOW, last_seen=NOW,
                    source_count=sources, evidence=tuple(Evidence(labels[0], e) for e in evidence))


def test_nationwide_shutdown_is_at_least_high():
    severity, reasons = score_severity(incident("Authorities impose nationwide internet shutdown"))
    assert severity >= Severity.HIGH
    assert "nationwide shutdown" in reasons


def test_regional_shutdown_stays_medium_and_says_so():
    severity, reasons = score_severity(incident("Internet cut in Oromia region"))
    assert (severity, reasons) == (Severity.MEDIUM, ("regional shutdown",))


@pytest.mark.parametrize("text, reason", [
    ("Mobile data cut for three days in Tigray", "lasting 3 days"),
    ("Internet blackout enters 72 hours in Tigray", "lasting 3 days"),
    ("Internet blackout in Tigray for 5 hours", "lasting 5 hours"),
    ("Internet down in Tigray since March", "ongoing since march"),
])
def test_stated_duration_is_a_reason(text, reason):
    assert reason in score_severity(incident(text, companies=()))[1]


def test_long_duration_raises_severity_short_does_not():
    long = score_severity(incident("Mobile data cut for three days", companies=()))[0]
    short = score_severity(incident("Mobile data cut for 5 hours", companies=()))[0]
    assert long > short == Severity.MEDIUM


def test_independent_sources_raise_severity():
    one = score_severity(incident("Mobile data cut", sources=1))
    three = score_severity(incident("Mobile data cut", sources=3))
    assert three[0] > one[0]
    assert "3 independent sources" in three[1]


def test_company_role_comes_from_cue_words_in_title_or_evidence():
    _, reasons = score_severity(incident("Internet cut", evidence=["MTN complied with the order to suspend data"]))
    assert "company complied with order" in reasons
    _, reasons = score_severity(incident("Vendor sold spyware to Serbia", labels=("surveillance",)))
    assert "company supplied the technology" in reasons


def test_role_needs_a_company():
    _, reasons = score_severity(incident("Police complied with the order", companies=()))
    assert not any(r.startswith("company") for r in reasons)


def test_election_context_from_label_or_words():
    assert "election context" in score_severity(incident("Data cut before presidential vote"))[1]
    assert "election context" in score_severity(
        incident("Troll farm on Facebook", labels=("election_interference",), companies=("Meta",)))[1]


def test_spyware_against_journalists_is_high():
    severity, reasons = score_severity(
        incident("Pegasus spyware found on phones of two journalists", labels=("surveillance",), companies=("NSO Group",)))
    assert severity >= Severity.HIGH
    assert "spyware against journalists" in reasons


def test_plain_block_is_low_and_grave_combination_is_critical():
    assert score_severity(incident("Telegram blocked", labels=("censorship",), companies=()))[0] == Severity.LOW
    worst = incident("Nationwide internet shutdown on election day", sources=4)
    assert score_severity(worst)[0] == Severity.CRITICAL


def test_apply_severity_records_the_score_on_the_incident():
    scored = apply_severity(incident("Authorities impose nationwide internet shutdown"))
    assert (scored.severity, scored.severity_reasons) == score_severity(scored)
