"""The watchlist: shipped facts, resolution, families, operators and user files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor.errors import ConfigError
from monitor.watchlist import SHIPPED_PATH, check_watchlist, load_watchlist

EXAMPLE = SHIPPED_PATH.parent / "watchlists.example.yaml"


@pytest.fixture(scope="module")
def wl():
    return load_watchlist()


def test_ships_every_reference_company_with_an_origin_note(wl):
    assert len(wl) == 74
    assert SHIPPED_PATH.read_text(encoding="utf-8").startswith("# The watchlist")
    assert len({c.id for c in wl}) == 74


@pytest.mark.parametrize(
    "text, name",
    [
        ("WhatsApp", "Meta"),
        ("youtube", "Alphabet"),
        ("Pegasus", "NSO Group"),
        ("Vi", "Vodafone Idea"),
        ("Predator", "Intellexa"),
        ("telefónica", "Telefonica"),
        ("TELEFONICA", "Telefonica"),
        ("America Móvil", "America Movil"),
        ("US30303M1027", "Meta"),
        ("googl", "Alphabet"),
        ("Twitter", "X Corp"),
        ("Starlink", "SpaceX"),
        ("MTN Nigeria", "MTN Nigeria"),
        ("Airtel Kenya", "Airtel Africa"),
        ("Movistar Venezuela", "Telefonica"),
        ("Zain Group", "Zain Group"),
        ("Circles", "NSO Group"),
    ],
)
def test_resolves_names_aliases_brands_tickers_and_isins(wl, text, name):
    assert wl.resolve(text).name == name


def test_resolve_unknown_is_none(wl):
    assert wl.resolve("Rakuten") is None
    assert wl.resolve("") is None


def test_families_follow_tracked_parents(wl):
    assert wl.family("Safaricom") == ("Safaricom", "Vodacom", "Vodafone")
    assert wl.ancestors("MTN Nigeria") == ("MTN Group",)
    assert wl.ancestors("Airtel Africa") == ("Bharti Airtel",)
    assert wl.family("Meta") == ("Meta",)
    assert wl.family("nobody") == ()


def test_tickers(wl):
    assert wl.tickers("Alphabet") == ("GOOGL", "GOOG")
    assert wl.tickers("Telegram") == ()


def test_operators_in_gives_the_most_specific_licensed_operators(wl):
    assert set(wl.operators_in("KE")) == {"Safaricom", "Airtel Africa"}
    assert set(wl.operators_in("ng")) == {"MTN Nigeria", "Airtel Africa"}
    assert "MTN Group" not in wl.operators_in("NG")
    assert "Vodafone" not in wl.operators_in("IN")  # Vodafone Idea is its own tracked entry
    assert wl.operators_in("ET") == ("Safaricom", "Ethio Telecom")
    assert wl.operators_in("AQ") == ()


def test_user_file_adds_companies_and_named_lists():
    wl = load_watchlist([EXAMPLE])
    assert wl.named_lists() == ["fund-a-holdings", "surveillance-vendors"]
    assert wl.named("fund-a-holdings") == ("Meta", "Alphabet", "MTN Nigeria", "Vodafone", "Safaricom")
    assert wl.resolve("Glo Mobile").name == "Globacom"
    assert "Globacom" in wl.operators_in("NG")
    assert wl.named("nope") == ()


def test_user_entry_with_a_shipped_id_corrects_it(tmp_path):
    path = tmp_path / "fix.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "companies": [
                    {"id": "meta", "name": "Meta", "category": "platform", "hq": "US", "brands": ["WhatsApp"]}
                ]
            }
        )
    )
    wl = load_watchlist([path])
    assert len(wl) == 74
    assert wl.resolve("Instagram") is None


def _write(tmp_path: Path, doc) -> Path:
    path = tmp_path / "user.yaml"
    path.write_text(yaml.safe_dump(doc) if not isinstance(doc, str) else doc)
    return path


@pytest.mark.parametrize(
    "doc, where",
    [
        ({"watchlists": {"fund": ["META", "Nonexistent Corp"]}}, "watchlists.fund[1]"),
        ({"watchlists": {"fund": "META"}}, "watchlists.fund"),
        ({"companies": [{"id": "x1", "name": "X1", "category": "bank"}]}, "companies[0].category"),
        ({"companies": [{"id": "x1"}]}, "companies[0].name"),
        ({"companies": [{"id": "x1", "name": "X1", "hq": "Nigeria"}]}, "companies[0].hq"),
        ({"companies": [{"id": "x1", "name": "X1", "parent": "Nobody"}]}, "companies[0].parent"),
        ({"companies": [{"id": "x1", "name": "Meta"}]}, "companies[0].name"),
    ],
)
def test_errors_name_the_file_and_yaml_path(tmp_path, doc, where):
    path = _write(tmp_path, doc)
    with pytest.raises(ConfigError) as caught:
        load_watchlist([path])
    assert caught.value.path == where
    assert str(path) in str(caught.value)


def test_unreadable_yaml_is_a_config_error(tmp_path):
    path = _write(tmp_path, "companies: [unclosed")
    with pytest.raises(ConfigError, match="cannot read watchlist"):
        load_watchlist([path])
    with pytest.raises(ConfigError, match="cannot read"):
        load_watchlist([tmp_path / "missing.yaml"])


def test_check_watchlist_collects_every_problem(tmp_path):
    path = _write(tmp_path, {"watchlists": {"a": ["nope1"], "b": ["nope2"]}})
    errors = check_watchlist([path])
    assert [e.path for e in errors] == ["watchlists.a[0]", "watchlists.b[0]"]
    assert check_watchlist([EXAMPLE]) == []
    assert check_watchlist() == []


def test_parent_loops_are_rejected(tmp_path):
    path = _write(
        tmp_path,
        {"companies": [{"id": "a", "name": "A", "parent": "B"}, {"id": "b", "name": "B", "parent": "A"}]},
    )
    assert any("loops" in str(e) for e in check_watchlist([path]))
