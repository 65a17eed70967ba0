"""Issue 11, finding 7: what a person reads. Canonical links, country names, the subject names the company
the reader follows, the digest starts with the incidents and counts incidents, plain `digest` is this week
so far, its text part is plain text, `incidents list` filters with a status column, `incidents show` reads.

Through the command line on a real SQLite store, with email to the loopback SMTP server.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.digest import iso_week_bounds, iso_week_of
from monitor.store import Store
from monitor.types import Alert, Channel, Evidence, Incident, Severity, Subscription
from tests.smtpserver import SmtpServer

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime.now(UTC)
TRACKED = "https://news.example.org/lagos-shutdown?utm_source=twitter&utm_medium=social&id=7"
LONG_TITLE = ("Nigeria orders MTN Nigeria and Airtel to shut down mobile internet in Lagos and Abuja ahead of the "
              "disputed governorship elections, rights groups say")


@pytest.fixture
def env(tmp_path):
    return {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'r.db'}", "RIGHTS_MONITOR_SOURCES": str(ROOT / "sources.yaml"),
            "RIGHTS_MONITOR_CLASSIFIER": "rules", "COLUMNS": "250"}


def invoke(args, env):
    return CliRunner().invoke(cli, args, env=env, terminal_width=250)


def incident(title=LONG_TITLE, companies=("Airtel Africa", "MTN Nigeria"), countries=("NG",), labels=("shutdown",),
             severity=Severity.HIGH, seen=NOW, url=TRACKED) -> Incident:
    return Incident(id=0, title=title, url=url, labels=labels, companies=companies, inferred_companies=(),
                    countries=countries, first_seen=seen, last_seen=seen, severity=severity,
                    severity_reasons=("two cities",), evidence=(Evidence("shutdown", "mobile internet was cut"),),
                    urls=(url,))


def store_with(env, *incidents: Incident) -> list[int]:
    store = Store.open(env["RIGHTS_MONITOR_DB"])
    try:
        return [store.save_incident(i).id for i in incidents]
    finally:
        store.close()


def test_the_alert_email_names_the_company_followed_shows_the_clean_link_and_country_names(env):
    [incident_id] = store_with(env, incident())
    with SmtpServer() as smtp:
        env = {**env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_TLS": "none"}
        store = Store.open(env["RIGHTS_MONITOR_DB"])
        store.upsert_subscription(Subscription(name="mtn-investors", channel=Channel("email", ("ir@fund.test",)),
                                               companies=("MTN Group",)))
        store.add_alert(Alert(incident_id, "mtn-investors", "new", Severity.HIGH, "company MTN Group (via MTN Nigeria)",
                              NOW), [("email", "ir@fund.test", NOW, "pending")])
        store.close()
        result = invoke(["deliver"], env)
        assert result.exit_code == 0 and "delivered 1" in result.output, result.output
        [mail] = smtp.messages
    assert mail["Subject"].startswith("[HIGH] shutdown \u00b7 MTN Nigeria: ")  # not Airtel Africa, named first
    text = mail.get_body(("plain",)).get_content()
    assert "https://news.example.org/lagos-shutdown?id=7" in text and "utm_" not in text
    assert "Countries:  Nigeria" in text
    html = mail.get_body(("html",)).get_content()
    assert "utm_" not in html


def test_plain_digest_is_this_week_so_far_starts_with_incidents_and_counts_incidents(tmp_path, env):
    store_with(env, incident(), incident(title="Spyware found on journalists' phones", companies=("NSO Group",),
                                         countries=("RS",), labels=("surveillance", "election_interference")))
    result = invoke(["digest", "--out", str(tmp_path / "d")], env)
    assert result.exit_code == 0, result.output
    week = iso_week_of(NOW)
    assert f"week {week} so far" in result.output and "2 incidents" in result.output
    markdown = (tmp_path / "d" / f"digest-{week}.md").read_text(encoding="utf-8")
    assert "(so far)" in markdown.splitlines()[0]
    assert markdown.index("## Incidents by company") < markdown.index("## Top incidents") < markdown.index("## Counts")
    assert "Serbia" in markdown and "utm_" not in markdown
    from monitor.digest import daily_counts
    from monitor.weekly import make_digest

    store = Store.open(env["RIGHTS_MONITOR_DB"])
    try:
        digest = make_digest(store, [], week, NOW)
    finally:
        store.close()
    assert sum(sum(v) for v in daily_counts(digest).values()) == 2  # two incidents, three labels: the chart counts 2


def test_an_emailed_digest_puts_the_readers_companies_first_in_plain_text(tmp_path, env):
    start, _ = iso_week_bounds(iso_week_of(NOW))
    store_with(env, incident(companies=("MTN Nigeria",), seen=start + timedelta(hours=1)),
               incident(title="Safaricom throttles X", companies=("Safaricom",), countries=("KE",), seen=start,
                        severity=Severity.CRITICAL))
    with SmtpServer() as smtp:
        env = {**env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_TLS": "none"}
        assert invoke(["subscribe", "mtn-weekly", "--email", "w@fund.test", "--company", "MTN Group",
                       "--mode", "digest"], env).exit_code == 0
        result = invoke(["digest", "--out", str(tmp_path / "d"), "--send"], env)
        assert result.exit_code == 0, result.output
        [mail] = smtp.messages
    text = mail.get_body(("plain",)).get_content()
    assert "COMPANIES YOU FOLLOW" in text and text.index("MTN Nigeria") < text.index("OTHER COMPANIES") \
        < text.index("Safaricom")
    assert "\\" not in text and "**" not in text  # plain text, not Markdown with escapes
    assert "Kenya" in text and "MTN Nigeria" in mail["Subject"]


def test_incidents_list_filters_and_shows_status(env):
    ids = store_with(env, incident(), incident(title="Vodacom blocks a news site", companies=("Vodacom",),
                                               countries=("ZA",), labels=("censorship",), severity=Severity.LOW))
    invoke(["incidents", "dismiss", str(ids[1])], env)
    listed = invoke(["incidents", "list"], env).output
    assert "status" in listed and "dismissed" in listed and "open" in listed
    assert "South Africa" in listed
    assert "in Lagos…" in listed  # cut at a word, not mid-word
    by_company = json.loads(invoke(["incidents", "list", "--company", "Vodafone", "--json"], env).output)
    assert [i["id"] for i in by_company] == [ids[1]]  # a group finds its subsidiary's incident
    for args, expected in [(["--label", "shutdown"], [ids[0]]), (["--country", "za"], [ids[1]]),
                           (["--severity", "high"], [ids[0]]), (["--status", "open"], [ids[0]]),
                           (["--text", "news site"], [ids[1]]), (["--week", iso_week_of(NOW)], sorted(ids)),
                           (["--week", "2020-W01"], [])]:
        rows = json.loads(invoke(["incidents", "list", *args, "--json"], env).output)
        assert sorted(i["id"] for i in rows) == expected, args
    typo = invoke(["incidents", "list", "--company", "Vodafon"], env)
    assert typo.exit_code == 2 and "did you mean 'Vodafone'?" in typo.output


def test_incidents_show_is_a_page_and_json_for_machines(env):
    [incident_id] = store_with(env, incident())
    page = invoke(["incidents", "show", str(incident_id)], env)
    assert page.exit_code == 0
    assert page.output.startswith(f"Incident {incident_id} (open): Nigeria orders")
    assert "Countries:  Nigeria" in page.output and "Severity:   high (two cities)" in page.output
    assert "utm_" not in page.output and '"mobile internet was cut"' in page.output
    data = json.loads(invoke(["incidents", "show", str(incident_id), "--json"], env).output)
    assert data["countries"] == ["NG"] and data["url"] == "https://news.example.org/lagos-shutdown?id=7"


def test_an_empty_store_says_so_and_how_to_fill_it(env):
    Store.open(env["RIGHTS_MONITOR_DB"]).close()  # made by a first poll (a missing file is an error: test_cli_first_use)
    result = invoke(["incidents", "list"], env)
    assert result.exit_code == 0 and "no incidents in the store sqlite:///" in result.output
    assert "poll --once" in result.output
