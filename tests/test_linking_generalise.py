"""Company linking and country rules that generalise: scripts, channels, lists, possessives."""

from __future__ import annotations

import pytest

from classifiers.companies import link_companies
from classifiers.countries import detect_countries
from monitor.watchlist import load_watchlist


@pytest.fixture(scope="module")
def wl():
    return load_watchlist()


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("ኢትዮ ቴሌኮም ኢንተርኔት አቋረጠ", "", "Ethio Telecom"),
        ("اینترنت ایرانسل در اهواز قطع شد", "", "MTN Group"),
        ("فیسبوک و اینستاگرام در ایران فیلتر شدند", "", "Meta"),
        ("राजस्थान में परीक्षा के चलते फेसबुक और व्हाट्सएप बंद", "", "Meta"),
        ("پاکستان میں ٹوئٹر بند کر دیا گیا", "", "X Corp"),
        ("استفاده از استارلینک در ایران ممنوع شد", "", "SpaceX"),
        ("نوکیا زیمنس سامانه شنود را به مخابرات ایران تحویل داد", "", "Nokia"),
        ("የእስራኤል ፖሊስ በፔጋሰስ ስልኮችን ሰልሏል", "የስለላ ሶፍትዌር ፔጋሰስ በጋዜጠኞች ስልክ ላይ ተገኘ", "NSO Group"),
        ("ሲቲዝን ላብ፡ መንግሥት በፊንስፓይ ስፓይዌር አክቲቪስቶችን ይሰልላል", "", "FinFisher"),
        ("Kominfo Blokir Aplikasi Tik Tok", "", "ByteDance"),
        ("Власти Молдовы заблокировали 15 Telegram-каналов", "", "Telegram"),
    ],
)
def test_spellings_in_other_scripts_link(wl, title, summary, expected):
    assert expected in link_companies(title, summary, wl).companies


def test_x_after_a_portuguese_preposition_links_x_corp(wl):
    links = link_companies("Justiça manda suspender contas no X", "As contas publicaram ataques no X.", wl)
    assert "X Corp" in links.companies


def test_x_games_and_a_variable_x_do_not_link(wl):
    assert link_companies("X Games Minneapolis: skater lands a 1260", "", wl).mentioned == ()
    assert link_companies("Solve for x in the equation", "the value of x users choose", wl).mentioned == ()


def test_election_disinformation_platform_is_involved_but_a_spyware_lure_channel_is_not(wl):
    vote = link_companies("Fake AI video of candidate spread on Facebook before the election", "", wl)
    lure = link_companies("Spyware lure link posted on Facebook targeted a journalist", "", wl)
    assert vote.companies == ("Meta",)
    assert lure.companies == ()


def test_a_cue_before_a_list_covers_every_name_in_it(wl):
    links = link_companies(
        "Meta removes troll farm",
        "Meta said it removed the network, which also used TikTok, Blogspot, Telegram and YouTube.",
        wl,
    )
    assert links.companies == ("Meta",)


def test_every_blocked_service_in_a_list_is_involved(wl):
    links = link_companies("Regulator orders providers to block WhatsApp, Facebook and Twitter", "", wl)
    assert set(links.companies) == {"Meta", "X Corp"}


def test_a_country_possessive_does_not_make_an_operator_a_users_channel(wl):
    links = link_companies("Junta told operators to install intercept tools", "affected: Qatar's Ooredoo and others.", wl)
    assert "Ooredoo" in links.companies


def test_told_names_the_operator_given_an_order(wl):
    assert "Telenor" in link_companies("Military told Telenor to cut mobile data", "", wl).companies


def test_portuguese_uso_do_marks_a_channel(wl):
    links = link_companies("Sem dados móveis", "a falha impediu o uso do WhatsApp nas duas operadoras.", wl)
    assert links.companies == ()


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("اینترنت همراه در خوزستان قطع شد", "", ("IR",)),
        ("अजमेर में इंटरनेट बंद", "", ("IN",)),
        ("کراچی میں موبائل انٹرنیٹ معطل", "", ("PK",)),
        ("በአማራ ክልል ኢንተርኔት ተቋርጧል", "", ()),
        ("አዲስ አበባ ኢንተርኔት ተቋርጧል", "", ("ET",)),
        ("İstanbul'da X erişime kapatıldı", "", ("TR",)),
    ],
)
def test_country_names_in_more_scripts(title, summary, expected):
    assert detect_countries(title, summary) == expected


def test_a_countrys_possessive_company_is_not_a_place():
    found = detect_countries("Myanmar orders intercept tools", "affected were Qatar's Ooredoo and Norway's Telenor.")
    assert found == ("MM",)


def test_a_comparison_is_not_a_place():
    assert detect_countries("Togo cuts the internet", "a tactic seen in countries like Iran and Russia.") == ("TG",)


def test_a_language_adjective_is_not_a_place():
    found = detect_countries("Meta removes network targeting Mali", "pages were mostly French- or Russian-language.")
    assert found == ("ML",)


def test_a_government_body_keeps_its_country():
    found = detect_countries("Spyware bought", "Nigeria's Defence Intelligence Agency obtained a system.")
    assert found == ("NG",)


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("Tanzania blocks X nationwide after protests",
         "Monitors confirmed that X was restricted on all major networks after a government order.", ("X Corp",)),
        ("Generation X voters turn to podcasts", "A survey of listening habits among people in their fifties.", ()),
    ],
)
def test_the_x_platform_is_known_by_what_is_done_to_it(wl, title, summary, expected):
    assert link_companies(title, summary, wl).companies == expected


def test_a_risky_name_hyphen_joined_to_a_latin_word_is_another_word(wl):
    assert link_companies("X-ray scanners at the border, and the X-Files", "", wl).mentioned == ()
    assert link_companies("Pegasus-style attack claimed", "", wl).mentioned == ()


@pytest.mark.parametrize(
    "title",
    [
        "NSO Group spyware found on phones of journalists",
        "NSO Group Pegasus found on phones of Serbian journalists",
        "Pegasus spyware was found on the phones of two reporters",
        "Huawei cameras discovered in Uganda police stations",
    ],
)
def test_the_thing_found_takes_part_the_finder_does_not(wl, title):
    assert link_companies(title, "", wl).companies != ()
    assert link_companies("Microsoft discovered the flaw and patched it", "", wl).companies == ()
