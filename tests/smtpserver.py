"""An SMTP server on loopback (aiosmtpd) that collects parsed messages, for tests through smtplib.

with SmtpServer() as smtp:                          # plain, no auth
    EmailNotifier(smtp.settings()).send(message, "ngo@example.org")
    smtp.messages[0]["Subject"]                     # email.message.EmailMessage
with SmtpServer(tls="starttls", auth=("u", "p")) as smtp:   # self-signed CA via trustme
    EmailNotifier(smtp.settings(), ssl_context=smtp.client_context)
smtp.rcpt_reply = "550 5.1.1 no such user"          # refuse recipients from now on
closed_port()                                       # a port nobody listens on
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from monitor.config import SmtpSettings


@dataclass(frozen=True)
class Received:
    """One message as the server took it: envelope, parsed message, how the session was secured."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    login: str | None
    tls: bool


def tls_contexts(hostname: str = "127.0.0.1") -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """Return (server, client) TLS contexts for a throwaway CA and a cert for `hostname`."""
    import trustme  # lazy: only TLS tests need it

    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(hostname, "localhost").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


def closed_port() -> int:
    """Return a loopback port that nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _LoopbackController(Controller):
    """aiosmtpd's Controller bound to port 0: it learns its port before its self-test connection."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Collector:
    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self.owner.rcpt_replies.get(address) or self.owner.rcpt_reply
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.owner.data_reply:
            return self.owner.data_reply
        hook = self.owner.hook
        refused = hook("data", envelope) if hook else None
        if refused:
            return refused
        self.owner.record(envelope, session)
        if hook:
            hook("accepted", envelope)
        return "250 Message accepted for delivery"


class SmtpServer:
    """A threaded aiosmtpd server on 127.0.0.1, port 0; tls is none, starttls or ssl."""

    def __init__(self, tls: str = "none", auth: tuple[str, str] | None = None) -> None:
        self.tls = tls
        self.auth = auth
        self.received: list[Received] = []
        self.rcpt_reply: str | None = None  # e.g. "451 4.3.0 try later" or "550 5.1.1 no such user"
        self.rcpt_replies: dict[str, str] = {}  # per address, e.g. {"gone@x.org": "550 5.1.1 gone"}
        self.data_reply: str | None = None
        self.client_context: ssl.SSLContext | None = None
        # Called with ("data", envelope) before a message is accepted (a returned reply refuses it) and
        # ("accepted", envelope) after: the kill-restart tests end the client process there.
        self.hook: Callable[[str, Any], str | None] | None = None
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def __enter__(self) -> Self:
        self._controller = _LoopbackController(
            _Collector(self), hostname="127.0.0.1", port=0, **self._options()
        )
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.tls != "none":
            server_context, self.client_context = tls_contexts()
            key = "ssl_context" if self.tls == "ssl" else "tls_context"
            options[key] = server_context
            options["require_starttls"] = self.tls == "starttls"
        if self.auth:
            options.update(authenticator=self._authenticate, auth_required=True)
            # aiosmtpd sees only STARTTLS as TLS; with implicit TLS (or none) allow AUTH as is.
            options["auth_require_tls"] = self.tls == "starttls"
        return options

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == self.auth
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    @property
    def port(self) -> int:
        assert self._controller is not None, "use the server as a context manager"
        return self._controller.port

    def settings(self, **overrides: Any) -> SmtpSettings:
        """Return SmtpSettings that reach this server (login and TLS mode included)."""
        user, password = self.auth or (None, None)
        base = SmtpSettings(
            host="127.0.0.1", port=self.port, user=user, password=password,
            sender="monitor@rights-monitor.test", tls=self.tls, timeout_s=5.0,
        )  # fmt: skip
        return replace(base, **overrides)

    def record(self, envelope: Any, session: Any) -> None:
        data = session.auth_data if session.authenticated else None
        login = data.login.decode() if isinstance(data, LoginPassword) else None
        tls = session.ssl is not None or self.tls == "ssl"  # aiosmtpd records only STARTTLS sessions
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        item = Received(envelope.mail_from, tuple(envelope.rcpt_tos), parsed, login, tls)
        with self._lock:
            self.received.append(item)

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.received]
