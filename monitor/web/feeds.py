"""Atom feeds of incidents for feed readers (RFC 4287). Every text is an escaped text construct."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime

from monitor.digest import safe_url
from monitor.types import Incident

ATOM = "http://www.w3.org/2005/Atom"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    node.text = _xml_safe(text)
    return node


def _xml_safe(text: str) -> str:
    """Drop the control characters XML 1.0 cannot carry; ElementTree escapes <, > and &."""
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)


def render_atom(incidents: Sequence[Incident], *, title: str, base_url: str, self_url: str,
                updated: datetime) -> bytes:
    """Return an Atom feed of incidents, newest first, that links back to each incident's page."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", title, type="text")
    _text(feed, "id", f"{base_url}/feeds/incidents.atom")
    _text(feed, "updated", (incidents[0].last_seen if incidents else updated).isoformat())
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "rights-monitor")
    for incident in incidents:
        _entry(feed, incident, base_url)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry(feed: ET.Element, i: Incident, base_url: str) -> None:
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    _text(entry, "title", f"[{i.severity}] {i.title}", type="text")
    _text(entry, "id", f"{base_url}/incidents/{i.id}")
    _text(entry, "updated", i.last_seen.isoformat())
    _text(entry, "published", i.first_seen.isoformat())
    ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=f"{base_url}/incidents/{i.id}")
    url = safe_url(i.url)
    if url:
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="related", href=url)
    for label in i.labels:
        ET.SubElement(entry, f"{{{ATOM}}}category", term=label)
    _text(entry, "summary", summary_text(i), type="text")


def summary_text(i: Incident) -> str:
    """Return the plain-text summary of an incident for a feed entry."""
    lines = [
        f"Labels: {', '.join(i.labels)}",
        f"Companies: {', '.join(i.companies) or '-'}"
        + (f" (inferred: {', '.join(i.inferred_companies)})" if i.inferred_companies else ""),
        f"Countries: {', '.join(i.countries) or '-'}",
        f"Severity: {i.severity} ({'; '.join(i.severity_reasons)})",
        f"Reports: {i.item_count} from {i.source_count} outlets",
    ]
    lines += [f"Evidence: {e.text}" for e in i.evidence[:3]]
    return "\n".join(lines)
