"""The JSON API of the workspace: every endpoint for every role, filters, paging and review, on both stores."""

from __future__ import annotations

import pytest

from monitor.types import NamedWatchlist
from tests.webapp import Site

ENDPOINTS = [  # method, path, body, the least role that may
    ("GET", "/api/v1/incidents", None, "viewer"),
    ("GET", "/api/v1/incidents/{id}", None, "viewer"),
    ("POST", "/api/v1/incidents/{id}/review", {"action": "confirm"}, "analyst"),
    ("GET", "/api/v1/subscriptions", None, "viewer"),
    ("POST", "/api/v1/subscriptions", {"name": "ngo", "email": ["a@example.org"]}, "analyst"),
    ("DELETE", "/api/v1/subscriptions/console", None, "analyst"),
    ("GET", "/api/v1/companies", None, "viewer"),
    ("GET", "/api/v1/sources", None, "viewer"),
]
OK = {"GET": 200, "POST": 200, "DELETE": 204}


@pytest.fixture
def site(store, clock):
    from monitor.wiring import console_subscription

    built = Site.build(store, clock)
    store.upsert_subscription(console_subscription())
    return built


@pytest.fixture
def client(site):
    with site.client() as c:
        yield c


def call(client, method, path, body=None, headers=None):
    return client.request(method, path, json=body, headers=headers or {})


def test_every_endpoint_answers_each_role_as_the_contract_says(site, client):
    for method, path, body, least in ENDPOINTS:
        path = path.format(id=site.incidents[0].id)
        assert call(client, method, path, body).status_code == 401, path
        assert call(client, method, path, body, {"Authorization": "Bearer rm_nope"}).status_code == 401, path
        viewer = call(client, method, path, body, site.bearer("viewer"))
        if least == "viewer":
            assert viewer.status_code == 200, (path, viewer.text)
            continue
        assert viewer.status_code == 403, path
        expected = 201 if path.endswith("/subscriptions") else OK[method]
        assert call(client, method, path, body, site.bearer("analyst")).status_code == expected, path


def test_a_session_cookie_is_not_an_api_credential(site, client):
    site.login(client, "admin")
    assert client.get("/api/v1/incidents").status_code == 401


def ids(client, site, **params):
    response = client.get("/api/v1/incidents", params=params, headers=site.bearer("viewer"))
    assert response.status_code == 200, response.text
    return [i["id"] for i in response.json()["items"]]


def test_filters_by_label_company_family_country_severity_text_and_review(site, client):
    safaricom, mtn, nso, ethiopia, hostile = (i.id for i in site.incidents)
    assert ids(client, site) == [safaricom, mtn, nso, ethiopia, hostile]  # newest first
    assert ids(client, site, label="shutdown") == [safaricom, ethiopia]
    assert ids(client, site, company="MTN Group") == [mtn]  # a group matches its subsidiaries
    assert ids(client, site, company="Ethio Telecom") == [ethiopia]  # inferred companies count
    assert ids(client, site, country="ke") == [safaricom]
    assert ids(client, site, severity="high") == [safaricom, nso, ethiopia]
    assert ids(client, site, q="spyware JOURNALISTS") == [nso]
    assert ids(client, site, review="new", label="surveillance") == [nso]
    assert client.get("/api/v1/incidents", params={"label": "nope"}, headers=site.bearer("viewer")).status_code == 400


def test_watchlist_filter_uses_workspace_watchlists(site, client, clock):
    site.store.save_watchlist(NamedWatchlist("fund", ("MTN Nigeria", "NSO Group"), "t", clock.now()))
    assert ids(client, site, watchlist="fund") == [site.incidents[1].id, site.incidents[2].id]
    assert client.get("/api/v1/incidents", params={"watchlist": "none"}, headers=site.bearer("viewer")).status_code == 400


def test_paging_with_a_cursor_visits_every_incident_once(site, client):
    seen, cursor = [], ""
    while True:
        body = client.get("/api/v1/incidents", params={"limit": 2, "cursor": cursor}, headers=site.bearer("viewer")).json()
        seen += [i["id"] for i in body["items"]]
        if not body["next"]:
            break
        cursor = body["next"]
    assert seen == [i.id for i in site.incidents]


def test_an_incident_has_the_contract_fields_and_its_reports(site, client):
    data = client.get(f"/api/v1/incidents/{site.incidents[0].id}", headers=site.bearer("viewer")).json()
    for key in ("id", "title", "labels", "companies", "inferred_companies", "countries", "severity",
                "severity_reasons", "first_seen", "last_seen", "review", "reports"):
        assert key in data
    assert data["review"] == "new"
    assert data["reports"][0].keys() >= {"url", "title", "source", "published"}
    assert client.get("/api/v1/incidents/99999", headers=site.bearer("viewer")).status_code == 404


def test_review_dismiss_relabel_and_reopen_are_stored_with_who_and_when(site, client, clock):
    target = site.incidents[1].id
    url = f"/api/v1/incidents/{target}/review"
    relabel = {"action": "relabel", "labels": ["censorship", "election_interference"],
               "companies": ["MTN Nigeria", "Airtel Nigeria"], "note": "election blackout"}
    data = client.post(url, json=relabel, headers=site.bearer("analyst")).json()
    assert data["labels"] == ["censorship", "election_interference"] and data["review"] == "confirmed"
    assert data["reviews"][-1]["reviewer"] == "token:analyst-token" and data["reviews"][-1]["note"] == "election blackout"
    assert data["reviews"][-1]["at"] == clock.now().isoformat()
    dismissed = client.post(url, json={"action": "dismiss"}, headers=site.bearer("analyst")).json()
    assert dismissed["review"] == "dismissed" and dismissed["status"] == "dismissed"
    assert ids(client, site, review="dismissed") == [target]
    assert client.post(url, json={"action": "reopen"}, headers=site.bearer("analyst")).json()["review"] == "new"
    bad = client.post(url, json={"action": "relabel", "labels": ["spam"]}, headers=site.bearer("analyst"))
    assert bad.status_code == 400
    assert client.post(url, json={"action": "explode"}, headers=site.bearer("analyst")).status_code == 422
    assert client.post("/api/v1/incidents/99999/review", json={"action": "confirm"},
                       headers=site.bearer("analyst")).status_code == 404


def test_subscriptions_round_trip_with_the_subscribe_fields(site, client):
    body = {"name": "ngo-kenya", "email": ["ana@example.org"], "companies": ["Safaricom"], "labels": ["shutdown"],
            "countries": ["KE"], "min_severity": "high", "mode": "instant", "quiet_hours": "22:00-07:00",
            "timezone": "Africa/Nairobi", "daily_cap": 5}
    made = client.post("/api/v1/subscriptions", json=body, headers=site.bearer("analyst"))
    assert made.status_code == 201, made.text
    listed = {s["name"]: s for s in client.get("/api/v1/subscriptions", headers=site.bearer("viewer")).json()}
    assert listed["ngo-kenya"]["quiet_hours"] == "22:00-07:00" and listed["ngo-kenya"]["email"] == ["ana@example.org"]
    bad = client.post("/api/v1/subscriptions", json={"name": "x", "email": ["not-an-address"]}, headers=site.bearer("analyst"))
    assert bad.status_code == 400
    singular = {"name": "cli-style", "slack_webhook": "https://hooks.example.org/x", "company": ["MTN"], "label": ["censorship"]}
    made = client.post("/api/v1/subscriptions", json=singular, headers=site.bearer("analyst")).json()
    assert made["companies"] == ["MTN"] and made["labels"] == ["censorship"]
    assert client.delete("/api/v1/subscriptions/ngo-kenya", headers=site.bearer("analyst")).status_code == 204
    assert client.delete("/api/v1/subscriptions/ngo-kenya", headers=site.bearer("analyst")).status_code == 404


def test_companies_and_sources(site, client):
    companies = {c["name"]: c for c in client.get("/api/v1/companies", headers=site.bearer("viewer")).json()}
    assert companies["MTN Nigeria"]["parent"] == "MTN Group"
    from monitor.types import SourceConfig, SourceHealth

    site.store.sync_sources([SourceConfig("amnesty", "rss", "https://example.org/feed")])
    site.store.save_health(SourceHealth("amnesty", consecutive_failures=2, last_error="HTTP 503"))
    [source] = client.get("/api/v1/sources", headers=site.bearer("viewer")).json()
    assert source["consecutive_failures"] == 2 and source["last_error"] == "HTTP 503"


def test_openapi_and_docs_list_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/incidents", "/api/v1/incidents/{incident_id}", "/api/v1/incidents/{incident_id}/review",
            "/api/v1/subscriptions", "/api/v1/subscriptions/{name}", "/api/v1/companies", "/api/v1/sources"} <= set(paths)
    assert "/incidents" not in paths  # pages stay out of the API docs
    docs = client.get("/docs")
    assert docs.status_code == 200 and "openapi.json" in docs.text
    for line in ("GET /api/v1/incidents", "POST /api/v1/incidents/{incident_id}/review",
                 "DELETE /api/v1/subscriptions/{name}", "ReviewIn"):
        assert line in docs.text
    assert "swagger-ui" in client.get("/docs/swagger").text
    assert client.get("/healthz").status_code == 200


def test_a_subscription_that_could_never_deliver_is_refused_when_it_is_made(store, clock):
    from monitor.config import Settings

    site = Site.build(store, clock, settings=Settings(), samples=False)  # no SMTP host, no Slack token
    with site.client() as client:
        mail = client.post("/api/v1/subscriptions", json={"name": "ngo", "email": ["desk@ngo.test"]},
                           headers=site.bearer("analyst"))
        assert mail.status_code == 400
        assert "email: email is not configured: set SMTP_HOST (settings: smtp.host)" in mail.json()["detail"]
        inside = client.post("/api/v1/subscriptions", json={"name": "t", "teams_webhook": "http://127.0.0.1:9/x"},
                             headers=site.bearer("analyst"))
        assert inside.status_code == 400 and "loopback" in inside.json()["detail"]
        csrf = site.login(client, "analyst")
        form = client.post("/subscriptions", data={"csrf_token": csrf, "name": "fund", "kind": "slack_channel",
                                                   "targets": "C042"})
        assert form.status_code == 400 and "Slack is not configured: set SLACK_BOT_TOKEN" in form.text
    assert [s.name for s in store.list_subscriptions()] == []
