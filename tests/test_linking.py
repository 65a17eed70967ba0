"""Company linking: who is named, who takes part, and the ambiguity rules of the watchlist."""

from __future__ import annotations

import pytest

from classifiers.companies import CompanyLinks, implied_operators, link_companies
from monitor.watchlist import load_watchlist


@pytest.fixture(scope="module")
def wl():
    return load_watchlist()


def involved(wl, title, summary=""):
    return link_companies(title, summary, wl).companies


def test_brands_link_to_their_group(wl):
    links = link_companies("Uganda blocks WhatsApp and YouTube", "Pegasus spyware was also found.", wl)
    assert isinstance(links, CompanyLinks)
    assert set(links.companies) == {"Meta", "Alphabet", "NSO Group"}
    assert ("Meta", "WhatsApp") in links.surfaces


def test_accents_and_case_do_not_matter(wl):
    assert involved(wl, "Telefónica y America Móvil bloquean un sitio") == ("Telefonica", "America Movil")
    assert involved(wl, "MOVISTAR VENEZUELA bloquea YouTube")[0] == "Telefonica"


def test_most_specific_entry_wins(wl):
    assert involved(wl, "MTN Nigeria cuts data in Kano on government order") == ("MTN Nigeria",)
    links = link_companies("MTN Nigeria, a unit of MTN Group, shut down data on government order", "", wl)
    assert links.companies == ("MTN Nigeria",)
    assert set(links.mentioned) == {"MTN Nigeria", "MTN Group"}


def test_shared_names_pick_the_company_licensed_where_it_happens(wl):
    assert involved(wl, "Airtel cuts internet in Tanzania on regulator's order") == ("Airtel Africa",)
    assert involved(wl, "Airtel blocks websites in India on ministry order") == ("Bharti Airtel",)
    assert involved(wl, "MTN restricts data in Nigeria after the order") == ("MTN Nigeria",)


@pytest.mark.parametrize(
    "title, summary",
    [
        ("Pennsylvania apple growers face frost", "The apple harvest was poor."),
        ("Protest in Orange County over housing", "Residents marched."),
        ("Snowboarders shine at the X Games", "A record run."),
        ("A meta-analysis of shutdown studies", "Researchers pooled results."),
        ("Railway signal failure delays trains", "The signal box lost power."),
        ("The Telegraph reports a cabinet row", "Sources told the paper."),
        ("Apple Daily closes in Hong Kong", "The newspaper printed its last edition."),
        ("Pegasus Airlines adds flights", "The airline expanded."),
        ("Three operators were ordered to cut service", "The network went dark."),
    ],
)
def test_other_senses_of_names_are_not_companies(wl, title, summary):
    assert link_companies(title, summary, wl).mentioned == ()


def test_risky_names_count_with_context(wl):
    assert involved(wl, "Orange ordered to block sites in Mali", "The operator complied.") == ("Orange",)
    assert involved(wl, "Regulator orders Signal app blocked", "The encrypted messenger was cut.") == (
        "Signal",
    )
    assert involved(wl, "Russia blocks Telegram", "Роскомнадзор ограничил доступ к мессенджеру.") == (
        "Telegram",
    )


def test_data_sources_quotes_and_reporters_are_mentioned_not_involved(wl):
    links = link_companies(
        "Iraq cuts internet during exams",
        "Traffic fell 90%, according to Cloudflare Radar; Google's transparency report showed the same.",
        wl,
    )
    assert links.companies == ()
    assert set(links.mentioned) == {"Cloudflare", "Alphabet"}


def test_notifiers_and_patchers_are_not_involved(wl):
    links = link_companies(
        "Journalists hacked with Pegasus",
        "Apple sent threat notifications to iPhone users; NSO Group's spyware was found by Citizen Lab.",
        wl,
    )
    assert links.companies == ("NSO Group",)
    assert "Apple" in links.mentioned


def test_channels_for_rumours_are_not_involved(wl):
    links = link_companies(
        "Haryana suspends mobile internet after clashes",
        "The order said it aimed to stop rumours on WhatsApp, Facebook and Twitter.",
        wl,
    )
    assert links.companies == ()
    assert set(links.mentioned) == {"Meta", "X Corp"}


def test_a_company_reporting_its_own_act_takes_part(wl):
    title = "Meta said it removed a troll farm run by a government"
    assert involved(wl, title, "The fake accounts targeted Facebook users.") == ("Meta",)
    assert involved(wl, "AT&T said its requests had tripled", "Police sought subscriber data.") == ("AT&T",)


def test_hostile_text_is_only_text(wl):
    links = link_companies("<script>alert(1)</script> WhatsApp blocked", "\x00\u202e" * 50, wl)
    assert links.companies == ("Meta",)
    assert link_companies("", "", wl) == CompanyLinks((), (), ())


def test_implied_operators_are_the_licensed_operators(wl):
    assert set(implied_operators(["KE", "ET"], wl)) == {"Safaricom", "Airtel Africa", "Ethio Telecom"}
    assert implied_operators([], wl) == ()


def test_user_companies_are_linked_too(tmp_path):
    path = tmp_path / "extra.yaml"
    path.write_text(
        "companies:\n- {id: glo, name: Globacom, category: telecom, hq: NG, aliases: [Glo Mobile]}\n"
    )
    assert involved(load_watchlist([path]), "Glo Mobile cuts data in Lagos") == ("Globacom",)
