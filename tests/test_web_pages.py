"""The workspace's pages: login, CSRF, throttling, review forms, subscriptions, watchlists, feeds, recipients."""

from __future__ import annotations

import re

import feedparser
import pytest

from monitor.store import Store
from tests.webapp import PASSWORD, Site, csrf_of

PAGES = ["/", "/incidents", "/incidents?label=censorship", "/companies", "/companies/Meta", "/countries/RU",
         "/watchlists", "/subscriptions", "/subscriptions/new", "/digests", "/sources", "/account"]
LIVE = re.compile(r"<script|<!channel>|<img src=x", re.IGNORECASE)  # as markup; escaped text is fine


@pytest.fixture
def site(tmp_path, clock):
    store = Store.open(f"sqlite:///{tmp_path / 'web.db'}")
    try:
        yield Site.build(store, clock)
    finally:
        store.close()


@pytest.fixture
def client(site):
    with site.client() as c:
        yield c


def test_pages_need_a_login_and_send_you_back_after_it(site, client):
    response = client.get("/incidents", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/incidents"
    csrf = csrf_of(client.get("/login").text)
    login = client.post("/login", data={"email": "Analyst@example.org", "password": PASSWORD, "csrf_token": csrf,
                                        "next": "/incidents"}, follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/incidents"
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    for path in PAGES:
        assert client.get(path).status_code == 200, path


def test_login_form_has_the_contract_fields_and_refuses_without_csrf(client):
    form = client.get("/login").text
    for field in ('name="email"', 'name="password"', 'name="csrf_token"'):
        assert field in form
    refused = client.post("/login", data={"email": "viewer@example.org", "password": PASSWORD})
    assert refused.status_code == 403


def test_wrong_passwords_are_throttled_even_before_the_right_one(client):
    csrf = csrf_of(client.get("/login").text)
    for _ in range(5):
        assert client.post("/login", data={"email": "analyst@example.org", "password": "wrong-password",
                                           "csrf_token": csrf}).status_code == 401
    right = client.post("/login", data={"email": "analyst@example.org", "password": PASSWORD, "csrf_token": csrf})
    assert right.status_code == 429


def test_every_form_refuses_a_post_without_the_csrf_token(site, client):
    site.login(client, "admin")
    target = site.incidents[0].id
    for path in (f"/incidents/{target}/review", "/subscriptions", "/watchlists", "/account/feed-token",
                 "/subscriptions/x/delete", "/sources/test", "/logout"):
        assert client.post(path, data={"action": "dismiss"}).status_code == 403, path
    assert site.store.get_incident(target).review == "new"


def test_hostile_feed_text_is_escaped_in_every_page_and_the_feed(site, client):
    site.login(client, "analyst")
    hostile = site.incidents[-1]
    for path in PAGES + [f"/incidents/{hostile.id}", "/incidents?q=HYPERLINK"]:
        html = client.get(path).text
        assert not LIVE.search(html), path
    page = client.get(f"/incidents/{hostile.id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;!channel&gt;" in page
    assert '=HYPERLINK(&#34;http://evil.example&#34;' in page  # shown as text, never a link
    week = client.get("/digests").text.split("/digests/")[1].split("/view")[0]
    assert not LIVE.search(client.get(f"/digests/{week}/view").text)
    feed = client.get("/feeds/incidents.atom", params={"token": site.tokens["viewer"]})
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    assert not LIVE.search(feed.text)
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo
    [entry] = [e for e in parsed.entries if "HYPERLINK" in e.title]
    assert entry.title_detail.type == "text/plain" and "<script>" in entry.title  # the words, as plain text


def test_pages_send_a_strict_content_security_policy(client):
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_review_by_form_dismisses_and_relabels_with_who_and_when(site, client):
    csrf = site.login(client, "analyst")
    first, second = site.incidents[0].id, site.incidents[1].id
    client.post(f"/incidents/{first}/review", data={"action": "dismiss", "note": "not an incident",
                                                     "csrf_token": csrf})
    client.post(f"/incidents/{second}/review", data={"action": "relabel", "labels": ["censorship", "shutdown"],
                                                      "companies": "MTN Nigeria, Airtel", "csrf_token": csrf})
    assert site.store.get_incident(first).review == "dismissed"
    relabeled = site.store.get_incident(second)
    assert relabeled.labels == ("censorship", "shutdown") and relabeled.companies == ("MTN Nigeria", "Bharti Airtel")
    [review] = site.store.reviews_for_incident(first)
    assert (review.reviewer, review.note, review.created_at) == ("analyst@example.org", "not an incident",
                                                                  site.clock.now())
    page = client.get(f"/incidents/{first}").text
    assert "not an incident" in page and "dismiss by analyst@example.org" in page


def test_viewers_read_but_may_not_review_or_manage(site, client):
    csrf = site.login(client, "viewer")
    target = site.incidents[0].id
    assert "Dismiss" not in client.get(f"/incidents/{target}").text
    assert client.post(f"/incidents/{target}/review", data={"action": "dismiss", "csrf_token": csrf}).status_code == 403
    assert client.get("/subscriptions/new").status_code == 403
    assert client.post("/sources/test", data={"url": "http://x", "csrf_token": csrf}).status_code == 403


def test_subscription_create_pause_test_alert_and_delete(site, client):
    csrf = site.login(client, "analyst")
    form = {"csrf_token": csrf, "name": "desk", "kind": "console", "targets": "stdout", "labels": ["shutdown"],
            "countries": "KE, et", "min_severity": "medium", "mode": "instant", "quiet_hours": "22:00-07:00",
            "timezone": "Europe/London", "daily_cap": "3"}
    assert client.post("/subscriptions", data=form, follow_redirects=False).status_code == 303
    sub = site.store.get_subscription("desk")
    assert sub.countries == ("KE", "ET") and sub.daily_cap == 3 and sub.quiet_hours.start == "22:00"
    client.post("/subscriptions/desk/pause", data={"csrf_token": csrf})
    assert site.store.get_subscription("desk").paused
    page = client.post("/subscriptions/desk/test", data={"csrf_token": csrf}).text
    assert "test alert to stdout: sent" in page
    assert "Test alert from rights-monitor" in site.stream.getvalue()
    bad = client.post("/subscriptions", data={**form, "kind": "email", "targets": "nope"})
    assert bad.status_code == 400 and "not an email address" in bad.text
    client.post("/subscriptions/desk/delete", data={"csrf_token": csrf})
    assert site.store.get_subscription("desk") is None


def test_a_watchlist_from_pasted_names_reports_the_unknown_ones(site, client):
    csrf = site.login(client, "analyst")
    page = client.post("/watchlists", data={"csrf_token": csrf, "name": "fund-b",
                                            "entries": "US30303M1027\nGOOGL, MTN Nigeria\nAcme Widgets"}).text
    assert "Acme Widgets" in page
    [saved] = site.store.list_watchlists()
    assert saved.companies == ("Meta", "Alphabet", "MTN Nigeria")
    listed = client.get("/incidents", params={"watchlist": "fund-b"}).text
    assert "MTN Nigeria blocks X" in listed and "Safaricom cuts" not in listed


def test_a_feed_token_is_shown_once_and_reads_filtered_feeds(site, client):
    csrf = site.login(client, "viewer")
    page = client.post("/account/feed-token", data={"csrf_token": csrf}).text
    token = re.search(r'id="feed-token">([^<]+)<', page).group(1)
    assert token not in client.get("/account").text
    feed = feedparser.parse(client.get("/feeds/incidents.atom", params={"token": token, "country": "KE"}).content)
    assert [e.title for e in feed.entries] == ["[high] Safaricom cuts mobile data in Kenya during protests"]
    assert client.get("/feeds/incidents.atom").status_code == 401
    assert client.get("/feeds/incidents.atom", params={"token": "rm_wrong"}).status_code == 401


def test_recipients_unsubscribe_in_one_click_and_edit_filters_by_signed_link(site, client):
    from monitor.signing import sign_recipient
    from monitor.types import Channel, Subscription

    site.store.upsert_subscription(Subscription("ngo", Channel("email", ("a@example.org", "b@example.org"))))
    token = sign_recipient(site.store.app_secret("unsubscribe"), "ngo", "a@example.org")
    page = client.get(f"/u/{token}")
    assert page.status_code == 200 and "a@example.org" in page.text
    csrf = csrf_of(page.text)
    client.post(f"/u/{token}/preferences", data={"csrf_token": csrf, "labels": ["surveillance"],
                                                 "countries": "KE", "min_severity": "high", "mode": "digest"})
    changed = site.store.get_subscription("ngo")
    assert changed.labels == ("surveillance",) and changed.mode == "digest" and changed.countries == ("KE",)
    one_click = client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})  # RFC 8058, no cookie
    assert one_click.status_code == 200
    assert site.store.get_subscription("ngo").channel.targets == ("b@example.org",)
    assert client.get(f"/u/{token[:-3]}xyz").status_code == 404


def test_admins_add_and_pause_sources_and_run_picks_them_up(site, client, tmp_path):
    from monitor.config import load_settings
    from monitor.wiring import build_runtime
    from tests.feeds import write_sources

    csrf = site.login(client, "admin")
    client.post("/sources", data={"csrf_token": csrf, "name": "new-ngo", "kind": "rss",
                                  "url": "https://ngo.example.org/feed.xml", "category": "ngo", "interval": "15m"})
    bad = client.post("/sources", data={"csrf_token": csrf, "name": "x", "kind": "rss", "url": "ftp://nope"})
    assert "url" in bad.text
    sources_yaml = write_sources(tmp_path / "sources.yaml", {"wire": "https://wire.example.org/rss"})
    site.store.sync_sources([])
    settings = load_settings(env={"RIGHTS_MONITOR_SOURCES": str(sources_yaml)})
    build_runtime_sources = lambda: {s.name: s for s in build_runtime(settings, store=site.store).sources}
    first = build_runtime_sources()
    assert first["new-ngo"].interval_s == 900 and first["new-ngo"].category == "ngo" and first["wire"].enabled
    assert "new-ngo" in client.get("/sources").text
    client.post("/sources/wire/pause", data={"csrf_token": csrf})
    assert not build_runtime_sources()["wire"].enabled
    assert "Resume" in client.get("/sources").text
    assert client.post("/sources/nowhere/pause", data={"csrf_token": csrf}).status_code == 404
    csrf_viewer = site.login(client, "viewer")
    assert client.post("/sources/wire/resume", data={"csrf_token": csrf_viewer}).status_code == 403


def test_templates_need_nothing_the_content_security_policy_forbids():
    from pathlib import Path

    import monitor.web

    for template in (Path(monitor.web.__file__).parent / "templates").glob("*.html"):
        text = template.read_text()
        assert 'style="' not in text and "<script" not in text and " on" + "click=" not in text, template.name


def test_a_new_password_ends_the_old_sessions(site, client):
    from tests.webapp import password_hash

    site.login(client, "viewer")
    assert client.get("/account").status_code == 200
    site.store.add_user("viewer@example.org", "viewer", password_hash() + "x", site.clock.now())  # reset
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_admins_test_a_source_from_the_sources_page_storing_nothing(site, client, classifier_factory):
    from dataclasses import replace
    from datetime import UTC, datetime

    from tests.feeds import rss
    from tests.feedserver import FeedServer

    site.ws.classifier_factory = classifier_factory
    csrf = site.login(client, "admin")
    items = [{"title": "Authorities order nationwide internet shutdown in Gabon", "hours_ago": 1,
              "summary": "Gabon Telecom cut mobile data.", "url": "https://news.example.org/g"}]
    with FeedServer() as server:
        url = server.route("/f.xml", rss(items, datetime(2026, 11, 23, tzinfo=UTC)))
        refused = client.post("/sources/test", data={"csrf_token": csrf, "url": url, "kind": "rss"}).text
        assert "refused URL" in refused and server.log == []  # a typed-in URL passes the SSRF guard
        fetch = replace(site.ws.settings.fetch, allow_hosts=(f"127.0.0.1:{server.port}",))
        site.ws.settings = replace(site.ws.settings, fetch=fetch)  # the operator lets this one through
        page = client.post("/sources/test", data={"csrf_token": csrf, "url": url, "kind": "rss"}).text
    assert "HTTP 200, 1 items" in page and "<td>shutdown</td>" in page and "<td>GA</td>" in page
    assert site.store.count_items() == len(site.incidents)  # the samples only
    failed = client.post("/sources/test", data={"csrf_token": csrf, "url": "http://127.0.0.1:9/none", "kind": "rss"})
    assert failed.status_code == 200 and 'class="error"' in failed.text


def test_admins_manage_users_and_others_may_not(site, client):
    csrf = site.login(client, "admin")
    client.post("/users", data={"csrf_token": csrf, "email": "New@Example.org", "role": "viewer",
                                "password": "a fine password"})
    assert site.store.get_user("new@example.org").role == "viewer"
    short = client.post("/users", data={"csrf_token": csrf, "email": "x@example.org", "role": "viewer", "password": "x"})
    assert "at least 8" in short.text and site.store.get_user("x@example.org") is None
    assert "new@example.org" in client.get("/users").text
    csrf = site.login(client, "analyst")
    assert client.get("/users").status_code == 403
    assert client.post("/users", data={"csrf_token": csrf, "email": "y@example.org", "role": "admin",
                                       "password": "a fine password"}).status_code == 403


def test_webhook_urls_are_not_shown_in_full_on_the_subscriptions_page(site, client):
    from monitor.types import Channel, Subscription

    hook = "https://hooks.slack.com/services/T0SECRET/B0SECRET/xyzSECRET"
    site.store.upsert_subscription(Subscription(name="fund-hook", channel=Channel("slack_webhook", (hook,))))
    site.login(client, "analyst")
    page = client.get("/subscriptions").text
    assert "fund-hook" in page and "hooks.slack.com" in page and "SECRET" not in page
