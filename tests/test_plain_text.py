"""The regex fast path of plain_text strips markup exactly as BeautifulSoup does, or steps aside."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.sources.base import _strip_simple_tags, _strip_tags, plain_text

PIECES = ["<p>", "</p>", "<b>", "</b>", "<br/>", "<br>", '<a href="https://x.test/?a=1&amp;b=2">', "</a>",
          "<img src='x.png' alt=\"A &amp; B\"/>", "<span class=x>", "</span>", "<li>", "<ul >", "</ul>",
          "<script>", "</script>", "<style>", "<!-- c -->", "<![CDATA[x]]>", "<x-tag>", "< p>", "<", ">",
          "&amp;", "&amp;lt;b&amp;gt;", "&lt;", "&gt;", "&nbsp;", "&#39;", "&#x2014;", "&amp", "&bogus;", " ",
          "\n", "plain", "Ünïcödé", "a = b", "'", '"', "/", "x<y", "<div\ttitle='t'>", "</DIV>"]


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_the_fast_path_strips_like_beautifulsoup(pieces):
    text = "".join(pieces)
    assert normal(_strip_simple_tags(text)) == normal(_strip_tags(text))


def test_dropped_content_still_goes_through_beautifulsoup():
    assert plain_text("News <script>alert(1)</script>today", 100) == "News today"
    assert plain_text("<p>Ban on <b>VPNs</b> &amp;amp; proxies</p>", 100) == "Ban on VPNs & proxies"
