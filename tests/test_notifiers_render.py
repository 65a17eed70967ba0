"""Rendering of alerts for Slack, email and the console: limits and escaping of hostile feed text."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from monitor.types import Alert, Evidence, Incident, Message, Severity
from notifiers.render import (
    clip_mrkdwn,
    console_text,
    email_parts,
    escape_mrkdwn,
    mrkdwn_link,
    safe_url,
    slack_blocks,
)
from tests.slackserver import validate_blocks

HOSTILE_TITLE = "<!channel> *Huawei* & <script>alert(1)</script> <http://evil.example|click> <@U123>"
HOSTILE_QUOTE = '`rm -rf` ~gone~ _it_ \x1b[31mred\x1b[0m <!here> said "the operator"'
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def make_message(
    kind: str = "new",
    title: str = "MTN Nigeria shuts down mobile internet in Lagos",
    url: str = "https://news.example.org/lagos-shutdown?a=1&b=2",
    quote: str = "MTN Nigeria confirmed the shutdown on Monday",
    **incident_changes: object,
) -> Message:
    """Build a realistic message; override any Incident field by keyword."""
    incident = Incident(
        id=42, title=title, url=url, labels=("shutdown", "election_interference"),
        companies=("MTN Nigeria",), inferred_companies=("Airtel Nigeria",), countries=("NG",),
        first_seen=NOW, last_seen=NOW, source_count=3, item_count=5, severity=Severity.HIGH,
        severity_reasons=("nationwide", "3 independent sources"), evidence=(Evidence("shutdown", quote),),
    )  # fmt: skip
    incident = dataclasses.replace(incident, **incident_changes)
    alert = Alert(
        incident_id=42, subscription="investors-africa", kind=kind, severity=Severity.HIGH,
        why="company MTN Nigeria (parent MTN Group) on watchlist africa-telcos", created_at=NOW,
        note="3 more sources" if kind == "update" else "",
    )  # fmt: skip
    return Message(
        incident=incident, alert=alert, company_tickers={"MTN Nigeria": ("MTNN",)},
        thread_ref="1700000000.000001" if kind == "update" else None,
        unsubscribe="https://monitor.example.org/unsubscribe/abc",
    )  # fmt: skip


def hostile_message(kind: str = "new") -> Message:
    return make_message(kind, title=HOSTILE_TITLE, url="javascript:alert(1)", quote=HOSTILE_QUOTE)


def all_slack_text(message: Message) -> str:
    text, blocks = slack_blocks(message)
    return text + json.dumps(blocks, ensure_ascii=False)


# --------------------------------------------------------------------------- escaping


def test_escape_mrkdwn_defuses_mentions_links_and_formatting():
    out = escape_mrkdwn("<!channel> <@U1> <http://x|y> a & b *bold* _it_ ~s~ `c`")
    assert "<" not in out and ">" not in out
    assert out.count("&amp;") == 1 and "&lt;!channel&gt;" in out
    assert not any(ch in out for ch in "*_~`")


def test_clip_never_cuts_an_entity_in_half():
    clipped = clip_mrkdwn(escape_mrkdwn("a" * 8 + "&&&&"), 12)
    assert clipped.endswith("\u2026") and len(clipped) <= 12
    assert "&amp" not in clipped.replace("&amp;", "")


def test_safe_url_keeps_only_http_links():
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for bad in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "http://",
        "http://a b",
        "",
    ):
        assert safe_url(bad) is None


def test_link_target_cannot_close_the_link_early():
    link = mrkdwn_link("https://e.org/x|y>z", "label")
    assert link == "<https://e.org/x%7Cy%3Ez|label>"


@given(st.text(max_size=400))
def test_escaped_text_has_no_slack_control_sequences(text):
    out = escape_mrkdwn(text)
    assert "<" not in out and ">" not in out
    assert "&" not in out.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")


# --------------------------------------------------------------------------- Slack


def test_slack_blocks_carry_every_fact_within_limits():
    text, blocks = slack_blocks(make_message())
    assert validate_blocks({"text": text, "blocks": blocks}) == []
    flat = json.dumps(blocks)
    assert blocks[0]["type"] == "header" and "HIGH" in blocks[0]["text"]["text"]
    assert "<https://news.example.org/lagos-shutdown?a=1&amp;b=2|MTN Nigeria shuts down" in flat
    for fact in (
        "MTN Nigeria (MTNN)",
        "Airtel Nigeria",
        "*Countries*\\nNigeria",  # country names, not codes (issue 11)
        "3 sources (5 reports)",
        "confirmed the shutdown",
    ):
        assert fact in flat
    assert "watchlist africa-telcos" in flat and "nationwide" in flat


def test_slack_hostile_feed_text_cannot_inject():
    everything = all_slack_text(hostile_message())
    for injected in ("<!channel>", "<!here>", "<@U123>", "<http://evil", "<script>", "javascript:", "\x1b"):
        assert injected not in everything
    assert "&lt;!channel&gt;" in everything  # shown, not executed
    assert "*Huawei*" not in everything and "`rm -rf`" not in everything


def test_slack_update_is_a_short_message_saying_what_changed():
    text, blocks = slack_blocks(make_message("update"))
    assert validate_blocks({"text": text, "blocks": blocks}) == []
    assert text.startswith("Update (3 more sources): [HIGH]") and len(blocks) == 2
    assert "3 more sources" in blocks[0]["text"]["text"]


def test_slack_blocks_stay_within_limits_for_huge_text():
    huge = make_message(title="&<" * 5000, quote="x" * 10000, companies=tuple(f"Co{i}" for i in range(800)))
    text, blocks = slack_blocks(huge)
    assert validate_blocks({"text": text, "blocks": blocks}) == []


# --------------------------------------------------------------------------- email and console


def test_email_parts_escape_html_and_keep_text_readable():
    subject, text, html = email_parts(hostile_message())
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html and '<a href="https://monitor.example.org/unsubscribe/abc"' in html
    assert "<script>alert(1)</script>" in text  # plain text shows it literally: no markup there
    assert "\x1b" not in text and "\x1b" not in html
    assert "\n" not in subject and subject.startswith("[HIGH] shutdown, election interference")


def test_email_subject_names_company_and_title():
    subject, _, _ = email_parts(make_message())
    assert subject == (
        "[HIGH] shutdown, election interference \u00b7 MTN Nigeria (MTNN): MTN Nigeria shuts down mobile internet in Lagos"
    )


def test_console_text_is_readable_and_free_of_terminal_escapes():
    out = console_text(hostile_message("update"))
    assert "\x1b" not in out
    assert out.splitlines()[0] == "[HIGH] UPDATE shutdown, election interference"
    assert "(no link)" in out and "Update: 3 more sources" in out


def test_long_titles_are_cut_at_a_word_not_mid_word():
    from notifiers.render import clip

    title = "Authorities order operators to suspend mobile internet across the northern provinces " * 5
    cut = clip(title, 100)
    assert len(cut) <= 100 and cut.endswith("…")
    assert cut[:-1].rstrip().split(" ")[-1] in title.split(" ")
