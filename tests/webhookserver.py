"""A loopback HTTP receiver for webhook notifiers (Teams, signed JSON), on port 0 in a thread.

    with WebhookServer() as hooks:
        hooks.fail_next(2, status=503)
        ... post to hooks.url("/teams") ...
        hooks.received  # [Received(path, headers, body), ...] in arrival order
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        return self.status < 300


class WebhookServer:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner._lock:
                    status = owner._failures.pop(0) if owner._failures else 200
                    owner.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                   body, status))
                self.send_response(status)
                self.send_header("Content-Length", "1")
                self.end_headers()
                self.wfile.write(b"1")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def delivered(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path and r.ok]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
