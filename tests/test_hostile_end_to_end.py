"""Hostile feed text never reaches a reader live: feedparser's sanitizer cases, parsed by our rss source,
rendered by every notifier and the digest, carry no script, event handler or javascript: URL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.digest import build_digest, render_html, render_markdown
from monitor.errors import SourceError
from monitor.registry import Deps
from monitor.sources.rss import RssSource
from monitor.types import Alert, Evidence, FetchResult, Incident, Message, Severity, SourceConfig
from notifiers.render import console_text, email_parts, slack_blocks

CASES = sorted((Path(__file__).parent / "fixtures" / "feedparser-tests" / "sanitize").glob("*.xml"))
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
LIVE = re.compile(r"<script|javascript:|\bon[a-z]+\s*=|<iframe|<object|<embed", re.IGNORECASE)


def hostile_texts() -> list[str]:
    source = RssSource.from_config(SourceConfig("hostile", "rss", "https://example.org/feed"), Deps())
    texts = []
    for case in CASES:
        result = FetchResult(url="https://example.org/feed", status=200, body=case.read_bytes(),
                             headers={"content-type": "application/xml"})
        try:
            texts += [f"{i.title} {i.summary}" for i in source.parse(result)]
        except SourceError:
            pass  # a feed we refuse reaches nobody
    return texts


def incident_from(text: str) -> Incident:
    return Incident(id=1, title=text[:300] or "untitled", url="javascript:alert(1)", labels=("censorship",),
                    companies=("Meta",), inferred_companies=(), countries=("RU",), first_seen=NOW, last_seen=NOW,
                    severity=Severity.HIGH, evidence=(Evidence("censorship", text[:500]),), urls=("javascript:x",))


@pytest.fixture(scope="module")
def texts():
    found = hostile_texts()
    assert len(found) > 100  # the sanitizer corpus really went through the parser
    return found


def test_parsed_text_is_plain(texts):
    assert not [t for t in texts if LIVE.search(t) and "<" in t]


def test_no_notifier_or_digest_output_is_live(texts):
    for text in texts:
        incident = incident_from(text)
        message = Message(incident=incident, alert=Alert(1, "s", "new", Severity.HIGH, text[:200], NOW))
        _, blocks = slack_blocks(message)
        subject, plain, html = email_parts(message)
        digest = build_digest("2026-W47", [incident], [], [], [], {"by_lang": {}, "by_source": {}}, NOW)
        outputs = (json.dumps(blocks), subject, plain, html, console_text(message), render_html(digest),
                   render_markdown(digest))
        for output in outputs:
            assert not LIVE.search(output), output[:300]
        assert "<!channel>" not in json.dumps(blocks)
