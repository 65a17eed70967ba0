"""Render a Message for Slack, email and the console: pure functions, no I/O.

Feed text is hostile: every format escapes it for its own syntax (mrkdwn, HTML, terminal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from monitor.countries import country_name
from monitor.hygiene import strip_controls, truncate
from monitor.types import DigestEdition, Message, Severity

# Slack's documented Block Kit limits.
SLACK_SECTION_MAX = 3000
SLACK_HEADER_MAX = 150
SLACK_FIELD_MAX = 2000
SLACK_MAX_BLOCKS = 50
SLACK_TEXT_MAX = 3000  # the fallback `text` may be 40k; notifications show far less
TITLE_MAX = 300
QUOTE_MAX = 500
URL_MAX = 2000
SUBJECT_MAX = 200

SEVERITY_MARK = {
    Severity.CRITICAL: ":red_circle:",
    Severity.HIGH: ":large_orange_circle:",
    Severity.MEDIUM: ":large_yellow_circle:",
    Severity.LOW: ":white_circle:",
}

# Look-alikes that cannot pair up into mrkdwn bold, italic, strike or code.
_MRKDWN_NEUTRAL = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_PARTIAL_ENTITY = re.compile(r"&[a-z#0-9]*$")


# --------------------------------------------------------------------------- escaping


def one_line(text: str) -> str:
    """Collapse untrusted text to one line of single spaces."""
    return " ".join(strip_controls(text).split())


def clip(text: str, limit: int) -> str:
    """Shorten text to at most `limit` characters, at a word where one is near, ending with an ellipsis."""
    return truncate(text, limit)


def escape_mrkdwn(text: str) -> str:
    """Escape untrusted text for Slack mrkdwn: no mentions, links or formatting survive."""
    text = strip_controls(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.translate(_MRKDWN_NEUTRAL)


def clip_mrkdwn(escaped: str, limit: int) -> str:
    """Shorten escaped mrkdwn without cutting an `&amp;`-style entity in half."""
    if len(escaped) <= limit:
        return escaped
    return _PARTIAL_ENTITY.sub("", escaped[: limit - 1]).rstrip() + "\u2026"


def safe_url(url: str) -> str | None:
    """Return the URL when it is a plain http(s) link, else None (no javascript:, data:...)."""
    url = (url or "").strip()
    if not url or len(url) > URL_MAX or strip_controls(url) != url or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def mrkdwn_link(url: str | None, label: str) -> str:
    """Render an escaped label as a Slack link when the URL is safe, else as text."""
    if url is None:
        return label
    # `|` and `>` end the link target; percent-encoding keeps the URL valid.
    target = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{target}|{label}>"


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class AlertFacts:
    """What every format says about one alert, as plain unescaped text."""

    kind: str
    severity: str
    mark: str  # Slack emoji for the severity
    labels: str
    title: str
    url: str | None
    companies: str
    matched: str  # the company the subscriber follows, when one is

    inferred: str
    countries: str
    sources: str
    evidence: str
    why: str
    reasons: str
    note: str


def alert_facts(message: Message) -> AlertFacts:
    """Gather the facts of a message as one-line plain text."""
    incident, alert = message.incident, message.alert
    return AlertFacts(
        kind=alert.kind,
        severity=str(alert.severity),
        mark=SEVERITY_MARK.get(alert.severity, ""),
        labels=", ".join(label.replace("_", " ") for label in incident.labels) or "unlabelled",
        title=clip(one_line(incident.title) or "(untitled)", TITLE_MAX),
        url=safe_url(incident.url),
        companies=_company_list(incident.companies, message),
        matched=one_line(message.matched_company or ""),
        inferred=_company_list(incident.inferred_companies, message),
        countries=", ".join(one_line(country_name(c)) for c in incident.countries),
        sources=_sources_line(incident.source_count, incident.item_count),
        evidence=clip(one_line(incident.evidence[0].text), QUOTE_MAX) if incident.evidence else "",
        why=clip(one_line(alert.why), 1000),
        reasons="; ".join(one_line(r) for r in incident.severity_reasons),
        note=one_line(alert.note) or _default_note(incident.source_count),
    )


def _company_list(names: tuple[str, ...], message: Message) -> str:
    return ", ".join(_company_name(name, message.company_tickers.get(name, ())) for name in names)


def _company_name(name: str, tickers: tuple[str, ...]) -> str:
    name = one_line(name)
    return f"{name} ({', '.join(one_line(t) for t in tickers)})" if tickers else name


def _sources_line(source_count: int, item_count: int) -> str:
    line = f"{source_count} source{'s' if source_count != 1 else ''}"
    return f"{line} ({item_count} reports)" if item_count > source_count else line


def _default_note(source_count: int) -> str:
    return f"now {source_count} source{'s' if source_count != 1 else ''}"


# --------------------------------------------------------------------------- Slack


def slack_blocks(message: Message) -> tuple[str, list[dict[str, Any]]]:
    """Return the fallback text and Block Kit blocks for a Slack message."""
    facts = alert_facts(message)
    blocks = _update_blocks(facts) if facts.kind == "update" else _new_blocks(facts)
    return _slack_fallback(facts), blocks[:SLACK_MAX_BLOCKS]


def _slack_fallback(facts: AlertFacts) -> str:
    prefix = f"Update ({facts.note}): " if facts.kind == "update" else ""
    head = f"{prefix}[{facts.severity.upper()}] {facts.labels}: {facts.title}"
    return clip_mrkdwn(escape_mrkdwn(head), SLACK_TEXT_MAX)


def _new_blocks(facts: AlertFacts) -> list[dict[str, Any]]:
    header = f"{facts.severity.upper()} \u00b7 {facts.labels}"
    blocks = [
        {"type": "header", "text": _plain(clip(header, SLACK_HEADER_MAX))},
        _section(f"*{mrkdwn_link(facts.url, _esc(facts.title, TITLE_MAX * 2))}*"),
        {"type": "section", "fields": _fields(facts)},
    ]
    if facts.evidence:
        blocks.append(_section("> " + _esc(facts.evidence, SLACK_SECTION_MAX - 10)))
    blocks.append(_context(facts))
    return blocks


def _update_blocks(facts: AlertFacts) -> list[dict[str, Any]]:
    line = f"{facts.mark} *Update* \u00b7 {_esc(facts.note, 300)} \u00b7 severity {facts.severity}"
    link = mrkdwn_link(facts.url, _esc(facts.title, TITLE_MAX * 2))
    return [_section(f"{line}\n{link}"), _context(facts)]


def _fields(facts: AlertFacts) -> list[dict[str, str]]:
    pairs = [
        ("Severity", f"{facts.mark} {facts.severity}"),
        ("Labels", _esc(facts.labels, 500)),
        ("Companies", _esc(facts.companies, 1500) or "none named"),
        ("Countries", _esc(facts.countries, 1500) or "unknown"),
        ("Sources", facts.sources),
    ]
    if facts.inferred:
        pairs.append(("Operators in the area", _esc(facts.inferred, 1500)))
    return [{"type": "mrkdwn", "text": clip_mrkdwn(f"*{k}*\n{v}", SLACK_FIELD_MAX)} for k, v in pairs]


def _context(facts: AlertFacts) -> dict[str, Any]:
    why = f"Why: {_esc(facts.why, 1200)}"
    if facts.reasons:
        why += f" \u00b7 Severity: {_esc(facts.reasons, 600)}"
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip_mrkdwn(why, 2000)}]}


def _esc(text: str, limit: int) -> str:
    return clip_mrkdwn(escape_mrkdwn(text), limit)


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip_mrkdwn(text, SLACK_SECTION_MAX)}}


# --------------------------------------------------------------------------- compact digest

DIGEST_TOP = 5


def digest_summary(edition: DigestEdition) -> str:
    """Return the digest's counts in one plain line: "7 incidents (+2): 4 shutdown, 3 surveillance"."""
    change = edition.total - edition.previous_total
    counts = ", ".join(f"{n} {label.replace('_', ' ')}" for label, n in edition.by_label)
    head = f"{edition.total} incident{'s' if edition.total != 1 else ''} ({'+' if change >= 0 else ''}{change})"
    return f"{head}: {one_line(counts)}" if counts else head


def digest_blocks(edition: DigestEdition) -> tuple[str, list[dict[str, Any]]]:
    """Return the fallback text and compact Block Kit of a digest: counts, top incidents, the full digest's link."""
    title = clip(one_line(edition.subject), SLACK_HEADER_MAX)
    lines = [f"{SEVERITY_MARK.get(Severity.parse(line.severity), '')} "
             f"{mrkdwn_link(safe_url(line.url), _esc(line.title, TITLE_MAX))} \u00b7 {_esc(line.severity, 20)}"
             for line in edition.top[:DIGEST_TOP]]
    blocks = [{"type": "header", "text": _plain(title)}, _section(_esc(digest_summary(edition), 1000))]
    if lines:
        blocks.append(_section("*Top incidents*\n" + "\n".join(lines)))
    link = safe_url(edition.link or "")
    if link:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn_link(link, "Full digest")}]})
    return clip_mrkdwn(escape_mrkdwn(f"{title}: {digest_summary(edition)}"), SLACK_TEXT_MAX), blocks


def digest_plain(edition: DigestEdition) -> str:
    """Return the compact digest as plain text lines (console, Teams)."""
    lines = [one_line(edition.subject), digest_summary(edition)]
    lines += [f"- [{line.severity}] {one_line(line.title)} {safe_url(line.url) or ''}".rstrip()
              for line in edition.top[:DIGEST_TOP]]
    if edition.link and safe_url(edition.link):
        lines.append(f"Full digest: {safe_url(edition.link)}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- email


def email_subject(facts: AlertFacts) -> str:
    """Return a one-line subject: severity, labels, the company the subscriber follows (else the first), title."""
    company = facts.matched or (facts.companies.split(", ")[0] if facts.companies else facts.inferred.split(", ")[0])
    prefix = "[Update] " if facts.kind == "update" else ""
    who = f" \u00b7 {company}" if company else ""
    return clip(f"{prefix}[{facts.severity.upper()}] {facts.labels}{who}: {facts.title}", SUBJECT_MAX)


def email_parts(message: Message) -> tuple[str, str, str]:
    """Return (subject, plain text, HTML) for an alert email; the HTML is autoescaped."""
    facts = alert_facts(message)
    context = {"f": facts, "unsubscribe": safe_unsubscribe(message.unsubscribe)}
    text = _templates().get_template("alert.txt").render(context)
    html = _templates().get_template("alert.html").render(context)
    return email_subject(facts), text, html


def safe_unsubscribe(link: str | None) -> str | None:
    """Return the unsubscribe link when it is a mailto: or http(s) URL."""
    if link and link.strip().lower().startswith("mailto:") and strip_controls(link) == link:
        return link.strip()
    return safe_url(link or "")


@lru_cache(maxsize=1)
def _templates() -> Any:
    import jinja2  # lazy: only email needs templates

    return jinja2.Environment(
        loader=jinja2.PackageLoader("notifiers", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


# --------------------------------------------------------------------------- console


def console_text(message: Message) -> str:
    """Return a readable plain-text block for a terminal, free of control characters."""
    f = alert_facts(message)
    head = f"[{f.severity.upper()}] {'UPDATE' if f.kind == 'update' else 'NEW'} {f.labels}"
    lines = [head, f.title, f.url or "(no link)"]
    if f.kind == "update":
        lines.append(f"Update: {f.note}")
    lines += [f"Companies: {f.companies or 'none named'}", f"Countries: {f.countries or 'unknown'}"]
    if f.inferred:
        lines.append(f"Operators in the area: {f.inferred}")
    lines.append(f"Sources: {f.sources}")
    if f.evidence:
        lines.append(f'Evidence: "{f.evidence}"')
    lines.append(f"Why: {f.why}")
    return "\n".join(lines) + "\n"
