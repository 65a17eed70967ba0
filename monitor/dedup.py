"""Pure duplicate detection: canonical URLs, content hashes and simhash fingerprints of text."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from itertools import pairwise
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid", "mkt_tok",
    "ref", "ref_src", "ref_url", "referrer", "src", "cmpid", "ocid", "ito", "at_medium", "at_campaign",
    "smid", "sref", "guccounter", "guce_referrer", "guce_referrer_sig", "_ga", "_gl", "oc", "ved",
    "usg", "ei", "sa", "rss", "feature", "spm", "share", "s_cid", "cid", "ncid", "taid",
}  # fmt: skip
TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "at_", "__twitter", "_hs", "vero_")
DEFAULT_PORTS = {"http": 80, "https": 443}
OUTLET_SEPARATORS = re.compile(r"\s+(?:-|–|—|\||::|·)\s+")
_WORD = re.compile(r"\w+", re.UNICODE)


# A plain URL: http(s), an ASCII host of letters, digits and hyphens, an optional port, and a path, query and
# fragment made only of characters that w3lib's canonicalisation leaves as they are (no percent escapes, no
# `;` params, no `+`, no dot segments). Most feeds' links are like this; `_plain_canonical` gives them
# `_canonical_reference`'s result without w3lib (tests/test_dedup.py compares the two on every URL of the
# captured feeds, feedparser's corpus and generated ones).
_PLAIN_URL = re.compile(
    r"(?P<scheme>[hH][tT][tT][pP][sS]?)://"
    r"(?P<host>[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)"
    r"(?::(?P<port>[1-9][0-9]{0,3}))?"
    r"(?P<path>/[a-zA-Z0-9/._~!$&'()*,=:@-]*)?"
    r"(?:\?(?P<query>[a-zA-Z0-9._~=&-]*))?"
    r"(?:#[a-zA-Z0-9/._~-]*)?"
)
# Hosts `_unwrap` may rewrite: their URLs take the reference path.
_WRAPPER_HOSTS = ("google", "bing", "facebook")


def canonical_url(url: str) -> str:
    """Return one spelling of a URL: aggregator wrappers unwrapped, tracking dropped, query sorted."""
    url = (url or "").strip()
    if not url:
        return ""
    plain = _plain_canonical(url)
    return plain if plain is not None else _canonical_reference(url)


def _plain_canonical(url: str) -> str | None:
    """`canonical_url` of a plain URL (`_PLAIN_URL`) without w3lib, or None when the URL is not plain."""
    match = _PLAIN_URL.fullmatch(url)
    if match is None:
        return None
    scheme, host, port, path, query = match.group("scheme", "host", "port", "path", "query")
    host = host.lower()
    if path and ("/." in path or "//" in path) or any(name in host for name in _WRAPPER_HOSTS):
        return None
    scheme = scheme.lower()
    if port and DEFAULT_PORTS[scheme] != int(port):
        host = f"{host}:{port}"
    path = (path or "").rstrip("/") or "/"
    if query:
        query = urlencode(sorted(_kept_params(query)))
        return f"{scheme}://{host}{path}?{query}" if query else f"{scheme}://{host}{path}"
    return f"{scheme}://{host}{path}"


def _canonical_reference(url: str) -> str:
    """`canonical_url` for any URL, through w3lib's canonicalisation (`url` stripped, not empty)."""
    from w3lib.url import canonicalize_url

    url = _unwrap(url)
    try:
        parts = urlsplit(canonicalize_url(url, keep_fragments=False))
    except ValueError:
        return url
    query = urlencode(sorted(_kept_params(parts.query)))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), _netloc(parts), path, query, ""))


def _netloc(parts) -> str:  # type: ignore[no-untyped-def]
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and DEFAULT_PORTS.get(parts.scheme.lower()) != port:
        host = f"{host}:{port}"
    return f"{parts.username}@{host}" if parts.username else host


def _kept_params(query: str) -> list[tuple[str, str]]:
    pairs = parse_qsl(query, keep_blank_values=True)
    return [(k, v) for k, v in pairs if not _is_tracking(k)]


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _unwrap(url: str, depth: int = 0) -> str:
    """Follow aggregator redirect wrappers (Google, Bing, Facebook, Google News) to the target."""
    if depth > 3:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    target = _wrapped_target(host, parts.path, dict(parse_qsl(parts.query)))
    return _unwrap(target, depth + 1) if target and target != url else url


def _wrapped_target(host: str, path: str, params: dict[str, str]) -> str | None:
    if host == "news.google.com" and "/articles/" in path:
        return _google_news_target(path.rsplit("/", 1)[-1])
    if (
        host.endswith(("google.com", "google.co.uk"))
        and path in ("/url", "/search", "/amp/s")
        or host == "news.google.com"
    ):
        return _http_param(params, "url", "q")
    if host.endswith("bing.com") and path.startswith(("/news/apiclick", "/ck/", "/aclick")):
        return _http_param(params, "url", "u")
    if host in ("l.facebook.com", "lm.facebook.com", "www.facebook.com", "m.facebook.com") and path in (
        "/l.php",
        "/l/",
    ):
        return _http_param(params, "u")
    return None


def _http_param(params: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = params.get(name, "")
        if value.startswith(("http://", "https://")):
            return value
    return None


def _google_news_target(article_id: str) -> str | None:
    """Decode the old Google News article ids, which carry the URL inside; newer ones do not."""
    try:
        raw = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
    except (ValueError, TypeError):
        return None
    match = re.search(rb"https?://[\x21-\x7e]+", raw)
    if not match:
        return None
    url = match.group(0).decode("ascii")
    # A protobuf length byte or the AMP twin may trail the URL; cut at the first non-URL byte run.
    return re.split(r"[\x00-\x20\xd2]", url)[0] if url else None


def normalise_text(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse whitespace."""
    text = unicodedata.normalize("NFKD", text or "")
    if not text.isascii():  # (combining marks are never ASCII: most feeds' text skips the walk)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_WORD.findall(text.casefold()))


def content_hash(title: str, summary: str) -> str:
    """Return the sha256 hex digest of the normalised title and summary."""
    text = normalise_text(title) + "\n" + normalise_text(summary)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(title: str, summary: str = "") -> int:
    """Return a 64-bit simhash of the words and word pairs of title and summary."""
    words = normalise_text(f"{title} {summary}").split()
    # Words and pairs, not longer shingles: headlines are short, and one edit would change too many.
    shingles = words + [f"{a} {b}" for a, b in pairwise(words)]
    weights = [0] * 64
    for shingle in shingles:
        value = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def similarity(a: int, b: int) -> float:
    """Return 1 - hamming(a, b) / 64: 1.0 for identical fingerprints."""
    return 1.0 - ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count() / 64


def title_key(title: str) -> str:
    """Return a normalised title without an outlet suffix (" - Reuters", " | Al Jazeera")."""
    parts = OUTLET_SEPARATORS.split((title or "").strip())
    if len(parts) > 1 and _looks_like_outlet(parts[-1]):
        parts = parts[:-1]
    return normalise_text(" ".join(parts))


def _looks_like_outlet(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= 5 and len(text) <= 40
