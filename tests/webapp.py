"""A workspace on a real store for web tests: accounts of every role, API tokens, sample incidents.

    site = Site.build(store, clock)
    client = site.client()                      # FastAPI TestClient
    site.login(client, "analyst")               # a browser session
    client.get("/api/v1/incidents", headers=site.bearer("viewer"))
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from monitor.config import Settings, SmtpSettings
from monitor.registry import Deps
from monitor.types import Evidence, Incident, RawItem, Severity
from monitor.watchlist import load_watchlist
from monitor.web.app import create_app
from monitor.web.auth import hash_password, new_token, token_hash
from monitor.web.deps import Workspace
from notifiers import build_notifiers

PASSWORD = "correct horse battery"
HOSTILE = '<script>alert(1)</script> <!channel> =HYPERLINK("http://evil.example","x") <img src=x onerror=alert(2)>'
_WATCHLIST = None
_HASH: list[str] = []


def password_hash() -> str:
    """Hash the test password once (argon2 is slow on purpose)."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def watchlist():
    global _WATCHLIST
    if _WATCHLIST is None:
        _WATCHLIST = load_watchlist()
    return _WATCHLIST


def incident(title: str, now: datetime, hours_ago: float = 1, **fields: Any) -> Incident:
    seen = now - timedelta(hours=hours_ago)
    base = Incident(id=0, title=title, url="https://news.example.org/" + str(abs(hash(title)) % 10**8),
                    labels=("shutdown",), companies=(), inferred_companies=(), countries=(), first_seen=seen,
                    last_seen=seen, severity=Severity.MEDIUM, severity_reasons=("test",),
                    evidence=(Evidence("shutdown", title),), scores={"shutdown": 0.9})
    return replace(base, **fields)


SAMPLES = [
    ("Safaricom cuts mobile data in Kenya during protests", {"labels": ("shutdown",), "companies": ("Safaricom",),
                                                                 "countries": ("KE",), "severity": Severity.HIGH}),
    ("MTN Nigeria blocks X on government order", {"labels": ("censorship",), "companies": ("MTN Nigeria",),
                                                     "countries": ("NG",), "severity": Severity.MEDIUM}),
    ("NSO Group spyware found on journalists' phones", {"labels": ("surveillance",), "companies": ("NSO Group",),
                                                           "countries": ("MX",), "severity": Severity.CRITICAL}),
    ("Ethiopia shuts the internet in Amhara", {"labels": ("shutdown",), "inferred_companies": ("Ethio Telecom",),
                                                   "countries": ("ET",), "severity": Severity.HIGH}),
    (HOSTILE, {"labels": ("censorship",), "companies": ("Meta",), "countries": ("RU",), "severity": Severity.LOW,
                   "evidence": (Evidence("censorship", HOSTILE),)}),
]


@dataclass
class Site:
    store: Any
    clock: Any
    ws: Workspace
    stream: io.StringIO
    tokens: dict[str, str] = field(default_factory=dict)
    incidents: list[Incident] = field(default_factory=list)

    @classmethod
    def build(cls, store: Any, clock: Any, settings: Settings | None = None, samples: bool = True) -> Site:
        stream = io.StringIO()
        # built as `serve` builds them: every channel but Slack's bot is on (email has a host it never reaches)
        settings = settings or Settings(smtp=SmtpSettings(host="smtp.invalid"))
        notifiers = build_notifiers(settings, Deps(clock=clock, stream=stream, environ={}, sleep=lambda _s: None))
        ws = Workspace(settings=settings, store=store, watchlist=watchlist(), clock=clock, notifiers=notifiers)
        site = cls(store, clock, ws, stream)
        for role in ("viewer", "analyst", "admin"):
            store.add_user(f"{role}@example.org", role, password_hash(), clock.now())
        for role in ("viewer", "analyst"):
            site.tokens[role] = new_token()
            store.add_token(f"{role}-token", role, token_hash(site.tokens[role]), clock.now())
        if samples:
            site.add_samples()
        return site

    def add_samples(self) -> None:
        for k, (title, extra) in enumerate(SAMPLES):
            saved = self.store.save_incident(incident(title, self.clock.now(), hours_ago=k + 1, **extra))
            item = RawItem(source="sample", title=title, url=saved.url, summary="summary of " + title,
                           published=saved.first_seen)
            [stored] = self.store.add_items("sample", [(item, saved.url, f"h{saved.id}", True, "en")], self.clock.now())
            self.store.link_item(stored.id, saved.id)
            self.incidents.append(saved)

    def client(self):
        from fastapi.testclient import TestClient

        return TestClient(create_app(self.ws))

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def login(self, client: Any, role: str) -> str:
        """Log a TestClient in as the user of `role`; return the CSRF token of its forms."""
        csrf = csrf_of(client.get("/login").text)
        response = client.post("/login", data={"email": f"{role}@example.org", "password": PASSWORD,
                                               "csrf_token": csrf}, follow_redirects=False)
        assert response.status_code == 303, response.text
        return csrf


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
