"""Country codes and the names people read (ISO 3166-1 alpha-2, `monitor/data/countries.json`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "countries.json"


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Map every ISO 3166-1 alpha-2 code to an English name."""
    return dict(json.loads(DATA.read_text(encoding="utf-8"))["names"])


def country_name(code: str) -> str:
    """Return the English name of a country code; an unknown code is shown as given."""
    return country_names().get(code.strip().upper(), code)


def country_list(codes: Iterable[str]) -> str:
    """Write codes as names, e.g. "Ethiopia, Nigeria"."""
    return ", ".join(country_name(code) for code in codes)


def code_for(text: str) -> str | None:
    """Return the code a code or an English name stands for ("ng", "Nigeria" -> "NG"), else None."""
    wanted = text.strip()
    if wanted.upper() in country_names():
        return wanted.upper()
    by_name = {name.casefold(): code for code, name in country_names().items()}
    return by_name.get(wanted.casefold())
