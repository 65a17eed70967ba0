"""A loopback HTTP server for feed tests: routes with bodies, validators, errors and slowness.

with FeedServer() as srv:
    srv.route("/a.xml", body=RSS, etag='"v1"')
    url = srv.url("/a.xml")
    ...
    assert srv.requests_to("/a.xml")[-1].headers["if-none-match"] == '"v1"'
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass(frozen=True)
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    retry_after: str | None = None
    redirect_to: str | None = None
    delay_s: float = 0.0  # before the status line: trips read timeouts
    drip_s: float = 0.0  # between body chunks: a slow body
    chunk_size: int = 1024
    content_length: int | None = None  # a lying Content-Length; -1: none at all, close at the end
    reason: str | None = None  # the status line's reason phrase (hostile servers put escapes there)


@dataclass(frozen=True)
class Request:
    """One request the server saw."""

    method: str
    path: str
    headers: Mapping[str, str]  # names lower-cased


class FeedServer:
    """A threaded HTTP/1.1 server on 127.0.0.1, port chosen by the OS."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Request] = []
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.hook: Callable[[str, Request], None] | None = None  # called with ("request", r) before answering
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, body: bytes | str = b"", **options: object) -> str:
        """Answer `path` with `body` (str is sent as UTF-8) and the given Route options; return its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **options)  # type: ignore[arg-type]
        return self.url(path)

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.log if r.path == path]

    def _enter(self, request: Request) -> None:
        with self._lock:
            self.log.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # 200 feeds connect at once; the default backlog of 5 would stall them

    def handle_error(self, request, client_address) -> None:  # a client killed mid-request: expected
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            request = Request("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
            server._enter(request)
            try:
                if server.hook:
                    server.hook("request", request)
                _answer(self, server.routes.get(self.path))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeouts, size caps): expected in tests
            finally:
                server._leave()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def _answer(handler: BaseHTTPRequestHandler, route: Route | None) -> None:
    if route is None:
        return _send(handler, Route(body=b"not found", status=404, content_type="text/plain"))
    if route.delay_s:
        time.sleep(route.delay_s)
    if _not_modified(handler, route):
        return _send(
            handler, Route(status=304, etag=route.etag, last_modified=route.last_modified), body=False
        )
    _send(handler, route)


def _not_modified(handler: BaseHTTPRequestHandler, route: Route) -> bool:
    if route.status != 200:
        return False
    match = route.etag and handler.headers.get("If-None-Match") == route.etag
    since = route.last_modified and handler.headers.get("If-Modified-Since") == route.last_modified
    return bool(match or since)


def _send(handler: BaseHTTPRequestHandler, route: Route, body: bool = True) -> None:
    status = 302 if route.redirect_to else route.status
    handler.send_response(status, route.reason)
    for name, value in _headers(route).items():
        handler.send_header(name, value)
    length = route.content_length if route.content_length is not None else len(route.body)
    if length < 0:  # a body of unknown length, ended by closing the connection
        handler.send_header("Connection", "close")
        handler.close_connection = True
    else:
        handler.send_header("Content-Length", str(length if body else 0))
    handler.end_headers()
    if body:
        _write_body(handler, route)


def _headers(route: Route) -> dict[str, str]:
    headers = {"Content-Type": route.content_type} if route.content_type else {}
    optional = {"ETag": route.etag, "Last-Modified": route.last_modified, "Retry-After": route.retry_after}
    headers.update({k: v for k, v in optional.items() if v})
    if route.redirect_to:
        headers["Location"] = route.redirect_to
    headers.update(route.headers)
    return headers


def _write_body(handler: BaseHTTPRequestHandler, route: Route) -> None:
    if not route.drip_s:
        handler.wfile.write(route.body)
        return
    for start in range(0, len(route.body), route.chunk_size):
        handler.wfile.write(route.body[start : start + route.chunk_size])
        handler.wfile.flush()
        time.sleep(route.drip_s)
