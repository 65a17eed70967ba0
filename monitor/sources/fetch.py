"""Polite conditional GETs: concurrency limits, size caps, validators, Retry-After, max-age."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from email.utils import parsedate_to_datetime

import httpx

from monitor.clock import Clock, SystemClock
from monitor.config import FetchSettings
from monitor.errors import SourceError
from monitor.hygiene import clean_line
from monitor.netguard import UrlGuard, same_origin
from monitor.types import FetchResult

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.5"
)


def make_client(settings: FetchSettings) -> httpx.AsyncClient:
    """Build the one HTTP client of the process (aiohttp transport where installed)."""
    limits = httpx.Limits(
        max_connections=max(100, settings.global_concurrency * 2), max_keepalive_connections=50
    )
    return httpx.AsyncClient(
        transport=_transport(limits),
        headers={"User-Agent": settings.user_agent, "Accept": FEED_ACCEPT},
        timeout=client_timeout(settings),
        follow_redirects=False,  # the Fetcher follows them itself, checking each hop against the SSRF guard
        max_redirects=settings.max_redirects,
        limits=limits,
    )


def client_timeout(settings: FetchSettings) -> httpx.Timeout:
    """Return the connect/read timeouts of `settings` as an httpx.Timeout."""
    return httpx.Timeout(
        connect=settings.connect_timeout_s,
        read=settings.read_timeout_s,
        write=settings.read_timeout_s,
        pool=settings.connect_timeout_s,
    )


def _transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    try:
        from httpx_aiohttp import AiohttpTransport
    except ImportError:  # plain httpx works too, only slower
        return httpx.AsyncHTTPTransport(limits=limits)

    import aiohttp

    class CleanReasonResponse(aiohttp.ClientResponse):
        """A response whose reason phrase is plain printable text: a hostile server's raw bytes (escapes,
        bytes that are not UTF-8) neither crash the transport nor reach a log line."""

        _clean_reason: str | None = None

        @property
        def reason(self) -> str | None:  # type: ignore[override]
            return self._clean_reason

        @reason.setter
        def reason(self, value: str | None) -> None:
            raw = (value or "").encode("utf-8", "surrogateescape").decode("latin-1")
            self._clean_reason = clean_line(raw)[:100] or None

    class BodyReadTransport(AiohttpTransport):
        """The aiohttp transport, with request bodies read before sending."""

        def get_client(self):
            session = super().get_client()
            if hasattr(session, "_response_class"):
                session._response_class = CleanReasonResponse
            return session

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            # Unread (redirected) requests would go out as an empty chunked body, which an
            # HTTP/1.1 server reads as the start of a next request on the same connection.
            await request.aread()
            return await super().handle_async_request(request)

    return BodyReadTransport(limits=limits)


def _transport_errors() -> tuple[type[BaseException], ...]:
    try:
        import aiohttp
    except ImportError:
        return (httpx.HTTPError,)
    # aiohttp errors the transport does not map (a bad status line, say) still come through.
    return (httpx.HTTPError, aiohttp.ClientError)


TRANSPORT_ERRORS = _transport_errors()


class Fetcher:
    """Fetch URLs under a global and a per-host concurrency limit."""

    def __init__(
        self, client: httpx.AsyncClient, settings: FetchSettings, clock: Clock | None = None,
        guard: UrlGuard | None = None,
    ) -> None:
        self._client = client
        self._settings = settings
        self._clock = clock or SystemClock()
        self._guard = guard or UrlGuard(settings.allow_hosts)
        self._global = asyncio.Semaphore(settings.global_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None, *, trusted: bool = True,
        on_start: Callable[[], None] | None = None,
    ) -> FetchResult:
        """GET `url` conditionally; raise SourceError on any failure or HTTP status >= 400.

        `trusted` is for URLs the operator configured; a URL taken from content (an article link) is not,
        and passes the SSRF guard first. Every redirect that leaves a trusted origin passes it too.
        `on_start` is called once the request holds its global and per-host slots (a caller's deadline
        starts then, not while the request waits its turn).
        """
        host = _host_of(url)
        async with self._global, self._host_slot(host):
            if on_start is not None:
                on_start()
            try:
                async with asyncio.timeout(self._deadline_s()):
                    return await self._follow(url, conditional_headers(etag, last_modified), trusted)
            except TimeoutError as exc:
                raise SourceError(f"timed out after {_secs(self._deadline_s())} fetching {clean_line(url)}") from exc
            except TRANSPORT_ERRORS as exc:
                raise SourceError(describe_error(exc, host, self._settings)) from exc

    def _deadline_s(self) -> float:
        # A server dripping one byte per read timeout must not hold a slot for ever.
        per_request = self._settings.connect_timeout_s + 3 * self._settings.read_timeout_s
        return min(per_request, self._settings.source_deadline_s)

    async def _follow(self, url: str, headers: dict[str, str], trusted: bool) -> FetchResult:
        """GET, following redirects by hand so that each hop is checked before it is requested."""
        origin = url if trusted else None
        for _ in range(self._settings.max_redirects + 1):
            vetted = []
            if origin is None or not same_origin(origin, url):
                vetted = await self._guard.check(url)
            result = await self._get(url, headers, pin=vetted[0] if vetted else None)
            if not isinstance(result, str):
                return result
            url = result
        raise SourceError(f"too many redirects (more than {self._settings.max_redirects})")

    @asynccontextmanager
    async def _host_slot(self, host: str) -> AsyncIterator[None]:
        slot = self._hosts.setdefault(host, asyncio.Semaphore(self._settings.per_host_concurrency))
        async with slot:
            yield

    async def _get(self, url: str, headers: dict[str, str], pin: str | None = None) -> FetchResult | str:
        """GET one URL: its result, or the absolute URL it redirects to.

        With `pin` (an address the SSRF guard vetted) the connection goes to that address, with the URL's
        host in the Host header and TLS SNI: a DNS answer that changes after the check is never used.
        """
        target, extensions = url, {}
        if pin is not None:
            target, host_header, sni = pinned(url, pin)
            headers = {**headers, "Host": host_header}
            extensions = {"sni_hostname": sni} if sni else {}
        async with self._client.stream("GET", target, headers=headers, follow_redirects=False,
                                       extensions=extensions) as response:
            location = response.headers.get("location")
            if response.is_redirect and location:
                return str(httpx.URL(url).join(location))  # against the URL asked for, not the pinned one
            if response.status_code == 304:
                return self._result(response, b"", url, not_modified=True)
            if response.status_code >= 400:
                raise http_error(response, self._clock)
            body = await read_capped(response, self._settings.max_body_bytes)
            return self._result(response, body, url)

    def _result(self, response: httpx.Response, body: bytes, url: str, not_modified: bool = False) -> FetchResult:
        headers = {k.lower(): v for k, v in response.headers.items()}
        return FetchResult(
            url=url,
            status=response.status_code,
            body=body,
            headers=headers,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            not_modified=not_modified,
            retry_after_s=retry_after_s(headers.get("retry-after"), headers.get("date"), self._clock),
            max_age_s=max_age_s(headers.get("cache-control")),
        )


def pinned(url: str, address: str) -> tuple[str, str, str | None]:
    """Return (the URL with `address` as its host, the Host header, the TLS server name or None)."""
    parsed = httpx.URL(url)
    host_header = parsed.netloc.decode("ascii").rpartition("@")[2]
    sni = parsed.host if parsed.scheme == "https" else None
    return str(parsed.copy_with(host=address)), host_header, sni


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """Return the If-None-Match / If-Modified-Since headers for the stored validators."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """Read the (decoded) body, raising SourceError once it passes `max_bytes`."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes and not response.headers.get("content-encoding"):
        raise SourceError(f"body larger than {max_bytes} bytes", status=response.status_code)
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:  # counted after decompression, so a gzip bomb stops here too
            raise SourceError(f"body larger than {max_bytes} bytes", status=response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


def http_error(response: httpx.Response, clock: Clock) -> SourceError:
    """Return the SourceError for an HTTP error status, with its Retry-After."""
    # The reason phrase is the server's free text: no control character of it reaches a log or terminal.
    reason = clean_line(response.reason_phrase or "")[:100] or _reason(response.status_code)
    wait = retry_after_s(response.headers.get("retry-after"), response.headers.get("date"), clock)
    return SourceError(
        f"HTTP {response.status_code} {reason}".strip(), status=response.status_code, retry_after_s=wait
    )


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def retry_after_s(value: str | None, date: str | None, clock: Clock) -> float | None:
    """Parse Retry-After (delay seconds or an HTTP date) into seconds from now, or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    # Measure from the server's own Date header where given: immune to our clock's skew.
    base = _http_date(date) if date else None
    return max(0.0, (when - (base or clock.now())).total_seconds())


def _http_date(value: str):
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else None


def max_age_s(cache_control: str | None) -> float | None:
    """Return Cache-Control max-age in seconds (None when absent or no-store/no-cache)."""
    if not cache_control:
        return None
    text = cache_control.lower()
    if "no-store" in text or "no-cache" in text:
        return None
    match = re.search(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", text)
    return float(match.group(1)) if match else None


def describe_error(exc: BaseException, host: str, settings: FetchSettings) -> str:
    """Say in plain words why a request failed (refused, DNS, timeout, redirects...)."""
    chain = list(_causes(exc))
    if any(_is_dns(e) for e in chain):
        return f"DNS lookup failed for {host}"
    if any(_is_refused(e) for e in chain):
        return f"connection refused by {host}"
    if isinstance(exc, httpx.TooManyRedirects):
        return f"too many redirects (more than {settings.max_redirects})"
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return f"timed out after {_secs(settings.connect_timeout_s)} connecting to {host}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {_secs(settings.read_timeout_s)} reading from {host}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL: {exc}"
    first_line = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__} from {host}: {first_line}".rstrip(": ")


def is_connect_failure(exc: BaseException) -> bool:
    """Whether a fetch failed before any server answered: DNS, a refused or timed-out connection."""
    return any(_is_dns(e) or _is_refused(e) or isinstance(e, (httpx.ConnectError, httpx.ConnectTimeout))
               or type(e).__name__.startswith("ClientConnector") for e in _causes(exc))


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    seen = 0
    while exc is not None and seen < 10:
        yield exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1


def _is_dns(exc: BaseException) -> bool:
    return isinstance(exc, socket.gaierror) or type(exc).__name__ == "ClientConnectorDNSError"


def _is_refused(exc: BaseException) -> bool:
    os_error = getattr(exc, "os_error", None)  # aiohttp keeps the OSError aside
    return isinstance(exc, ConnectionRefusedError) or isinstance(os_error, ConnectionRefusedError)


def _host_of(url: str) -> str:
    try:
        return httpx.URL(url).host or url
    except httpx.InvalidURL as exc:
        raise SourceError(f"invalid URL {url!r}: {exc}") from exc


def _secs(value: float) -> str:
    return f"{value:g}s"
