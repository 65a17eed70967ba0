"""Country detection: names in six languages, demonyms, regions, and vendors' nationalities."""

from __future__ import annotations

import pytest

from classifiers.countries import detect_countries
from monitor.watchlist import load_watchlist


@pytest.mark.parametrize(
    "title, summary, expected",
    [
        ("Iran cuts mobile data", "", ("IR",)),
        ("Internet restored in Tigray", "", ("ET",)),
        ("Phones cut in Kashmir", "", ("IN",)),
        ("Blackout in Gaza", "", ("PS",)),
        ("Somaliland blackout during protests", "Hargeisa was offline.", ("SO",)),
        ("Xinjiang police app", "", ("CN",)),
        ("Crimea operators rerouted", "", ("UA",)),
        ("Coupure d'internet au Sénégal", "Les opérateurs sénégalais ont reçu l'ordre.", ("SN",)),
        ("Bloqueo de YouTube en Venezuela", "", ("VE",)),
        ("Bloqueio do X no Brasil", "", ("BR",)),
        ("Роскомнадзор ограничил доступ в России", "", ("RU",)),
        ("انقطاع الإنترنت في العراق", "", ("IQ",)),
        ("قطع الإنترنت بمصر", "", ("EG",)),
        ("Nigerian regulator orders Twitter ban", "", ("NG",)),
        ("Protests in Kinshasa", "The DRC cut SMS.", ("CD",)),
        ("US carriers answer police requests", "", ("US",)),
    ],
)
def test_finds_places_in_many_languages(title, summary, expected):
    assert detect_countries(title, summary) == expected


def test_title_first_then_frequency():
    found = detect_countries("Ethiopia shuts internet", "Kenya and Kenya's neighbours watched; Somalia too.")
    assert found[0] == "ET"
    assert found.index("KE") < found.index("SO")


def test_vendor_nationality_is_not_a_place():
    assert detect_countries("Israeli spyware firm NSO sold Pegasus to Mexico", "") == ("MX",)
    assert detect_countries("Chinese company Huawei helped Uganda", "US-based Kentik saw it.") == ("UG",)
    assert "IL" in detect_countries("Israeli journalists targeted", "")


@pytest.mark.parametrize(
    "title",
    [
        "Chad Smith plays drums",
        "Turkey prices rise before the holiday",
        "us and them",
        "The Jordan Peterson talk",
    ],
)
def test_other_senses_are_not_places(title):
    assert detect_countries(title, "") == ()


def test_named_operators_stand_in_when_no_place_is_named():
    wl = load_watchlist()
    assert detect_countries("MTN eSwatini restores social media", "", wl) == ("SZ",)
    assert detect_countries("Safaricom records stolen", "", wl) == ("KE",)
    assert detect_countries("Safaricom records stolen", "") == ()


def test_hostile_and_empty_text():
    assert detect_countries("", "") == ()
    assert detect_countries("<b>Iran</b>\x00" * 3, "\u202e") == ("IR",)
