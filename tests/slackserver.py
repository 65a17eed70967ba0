"""A Slack Web API and incoming-webhook look-alike on loopback, for tests through real slack-sdk clients.

    with SlackServer(token="xoxb-test") as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        slack.throttle_next(retry_after=7)     # next call: 429 Retry-After: 7
        slack.reject_next("channel_not_found") # then: {"ok": false, "error": ...}
        slack.fail_next(2, status=500)         # then: two 500s
        slack.requests[-1].body["blocks"]      # every request, decoded
        slack.requests[-1].problems            # Block Kit problems found ([] when valid)

Requests whose blocks break Slack's limits are answered `invalid_blocks`, as Slack would.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl

Headers = tuple[tuple[str, str], ...]
WEBHOOK_PATH = "/services/T000/B000/XXXX"
BLOCK_TYPES = {"header", "section", "context", "divider", "actions", "image", "rich_text", "input"}


@dataclass
class SlackRequest:
    """One request the server received, with its body decoded."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    token: str | None
    problems: list[str] = field(default_factory=list)
    status: int | None = None  # the HTTP status answered
    ok: bool | None = None  # whether the call succeeded (HTTP 200 and, for the Web API, `ok`)
    reply_ts: str | None = None  # the `ts` answered to a successful chat.postMessage

    @property
    def api_method(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Fault:
    """A scripted answer to the next request: a status, optional Slack error and headers."""

    status: int = 500
    error: str | None = None
    headers: Headers = ()


def validate_blocks(body: dict[str, Any]) -> list[str]:
    """List the ways a message breaks Block Kit's basic limits (empty when it is valid)."""
    problems = [] if body.get("text") else ["no fallback text"]
    if len(str(body.get("text") or "")) > 40000:
        problems.append("text longer than 40000")
    blocks = body.get("blocks") or []
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks (max 50)")
    for i, block in enumerate(blocks):
        problems += [f"blocks[{i}]: {p}" for p in _block_problems(block)]
    return problems


def _block_problems(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        return [f"unknown type {kind!r}"]
    if kind == "header":
        return _text_problems(block.get("text"), 150, plain_only=True)
    if kind == "section":
        return _section_problems(block)
    if kind == "context":
        elements = block.get("elements") or []
        found = [] if 0 < len(elements) <= 10 else [f"{len(elements)} context elements"]
        return found + [p for e in elements for p in _text_problems(e, 3000)]
    return []


def _section_problems(block: dict[str, Any]) -> list[str]:
    fields = block.get("fields") or []
    if "text" not in block and not fields:
        return ["section without text or fields"]
    found = _text_problems(block["text"], 3000) if "text" in block else []
    if len(fields) > 10:
        found.append(f"{len(fields)} fields (max 10)")
    return found + [p for f in fields for p in _text_problems(f, 2000)]


def _text_problems(obj: Any, limit: int, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"bad text object {obj!r:.80}"]
    if plain_only and obj["type"] != "plain_text":
        return ["header text must be plain_text"]
    text = obj.get("text") or ""
    if not text:
        return ["empty text"]
    return [f"text of {len(text)} chars (max {limit})"] if len(text) > limit else []


class SlackServer:
    """A threaded loopback server speaking enough of Slack for the notifiers and their tests."""

    def __init__(self, token: str | None = "xoxb-test-token") -> None:
        self.token = token
        self.requests: list[SlackRequest] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        # Called with ("posted", request) once a message is posted but before the answer is written, and
        # ("answered", request) after: the kill-restart tests end the client process there.
        self.hook: Callable[[str, SlackRequest], None] | None = None
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Self:
        # A short poll keeps shutdown (and so each test) fast.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """The Web API base, with its trailing slash."""
        return f"{self.base_url}/api/"

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}{WEBHOOK_PATH}"

    # ------------------------------------------------------------------ scripting faults

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """Answer the next `count` requests with an HTTP error status."""
        self._queue(Fault(status=status), count)

    def throttle_next(self, retry_after: int = 30, count: int = 1) -> None:
        """Answer the next `count` requests with 429 and a Retry-After header."""
        self._queue(Fault(429, "ratelimited", (("Retry-After", str(retry_after)),)), count)

    def reject_next(self, error: str = "channel_not_found", count: int = 1) -> None:
        """Answer the next `count` requests with HTTP 200 and `{"ok": false, "error": error}`."""
        self._queue(Fault(status=200, error=error), count)

    def _queue(self, fault: Fault, count: int) -> None:
        with self._lock:
            self._faults.extend([fault] * count)

    def next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    # ------------------------------------------------------------------ answers

    def record(self, request: SlackRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def api_answer(self, request: SlackRequest) -> dict[str, Any]:
        """Answer a Web API call the way Slack does (HTTP 200, `ok` says how it went)."""
        if self.token is not None and request.token != self.token:
            return {"ok": False, "error": "not_authed" if request.token is None else "invalid_auth"}
        if request.api_method == "auth.test":
            return {"ok": True, "user_id": "U0BOT", "team_id": "T000", "bot_id": "B0BOT"}
        if request.api_method in ("conversations.history", "conversations.replies"):
            return self._history(request)
        if request.api_method != "chat.postMessage":
            return {"ok": False, "error": "unknown_method"}
        if request.problems:
            return {"ok": False, "error": "invalid_blocks", "errors": request.problems}
        channel = request.body.get("channel")
        ts = f"1700000000.{next(self._ts):06d}"
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {"text": request.body.get("text"), "ts": ts},
        }

    def _history(self, request: SlackRequest) -> dict[str, Any]:
        """Answer conversations.history (top-level messages) or .replies (one thread), newest first."""
        body = request.body
        channel, with_meta = body.get("channel"), str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        thread = body.get("ts") if request.api_method == "conversations.replies" else None
        found = []
        with self._lock:
            posts = [r for r in self.requests if r.api_method == "chat.postMessage" and r.reply_ts]
        for post in posts:
            parent = post.body.get("thread_ts")
            if post.body.get("channel") != channel or (parent if thread is None else (parent or post.reply_ts)) != thread:
                continue
            message = {"type": "message", "ts": post.reply_ts, "text": post.body.get("text"), "thread_ts": parent}
            if with_meta and post.body.get("metadata"):
                message["metadata"] = post.body["metadata"]
            found.append(message)
        return {"ok": True, "messages": list(reversed(found)), "has_more": False}

    @property
    def posted(self) -> list[SlackRequest]:
        """The chat.postMessage calls received."""
        return [r for r in self.requests if r.api_method == "chat.postMessage"]

    @property
    def webhook_posts(self) -> list[SlackRequest]:
        return [r for r in self.requests if r.path.startswith("/services/")]


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:  # a client killed mid-request
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def _decode_body(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(raw.decode("utf-8"))
    form: dict[str, Any] = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for key in ("blocks", "attachments", "metadata"):  # form posts carry these as JSON strings
        if isinstance(form.get(key), str):
            form[key] = json.loads(form[key])
    return form


def _bearer(headers: dict[str, str], body: dict[str, Any]) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return body.get("token")


def _handler_for(server: SlackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            request = self._read()
            server.record(request)
            status, data, headers = self._answer(request)
            # Noted before answering, so a client that has its answer also sees it recorded.
            request.status, request.ok = status, status == 200 and (not isinstance(data, dict) or data["ok"])
            request.reply_ts = data.get("ts") if isinstance(data, dict) else None
            if server.hook and request.ok:
                server.hook("posted", request)
            try:
                if isinstance(data, dict):
                    self._reply(status, json.dumps(data).encode(), "application/json; charset=utf-8", headers)
                else:
                    self._reply(status, data.encode(), "text/plain", headers)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client died waiting (a kill test): Slack has the message all the same
            if server.hook and request.ok:
                server.hook("answered", request)

        def _answer(self, request: SlackRequest) -> tuple[int, dict[str, Any] | str, Headers]:
            """Decide status and body: a scripted fault first, else what Slack would say."""
            fault = server.next_fault()
            webhook = request.path.startswith("/services/")
            if fault is not None:
                if webhook or fault.error is None:
                    return fault.status, fault.error or "server error", fault.headers
                return fault.status, {"ok": False, "error": fault.error}, fault.headers
            if webhook:
                return (400, "invalid_blocks", ()) if request.problems else (200, "ok", ())
            if request.path.startswith("/api/"):
                return 200, server.api_answer(request), ()
            return 404, "not found", ()

        def _read(self) -> SlackRequest:
            length = int(self.headers.get("Content-Length") or 0)
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = _decode_body(headers.get("content-type", ""), self.rfile.read(length))
            return SlackRequest(
                "POST", self.path, headers, body, _bearer(headers, body), validate_blocks(body)
            )

        def _reply(self, status: int, payload: bytes, ctype: str, headers: Headers) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler
