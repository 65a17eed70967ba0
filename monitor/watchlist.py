"""The watchlist: tracked ICT companies, their families, listings and named lists of holdings.

Pure apart from loading YAML. `load_watchlist()` reads the shipped `monitor/data/companies.yaml`
plus user files that add companies and named watchlists (format: `monitor/data/watchlists.example.yaml`):

    wl = load_watchlist([Path("fund.yaml")])
    wl.resolve("WhatsApp").name      # 'Meta'
    wl.family("Safaricom")           # ('Safaricom', 'Vodacom', 'Vodafone')
    wl.named("fund-a")               # display names of the fund's holdings
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitor.config import read_text
from monitor.errors import ConfigError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
SHIPPED_PATH = Path(__file__).parent / "data" / "companies.yaml"
CATEGORIES = ("platform", "telecom", "network_equipment", "surveillance_vendor", "other")
_ISO2 = re.compile(r"^[A-Z]{2}$")


def fold(text: str) -> str:
    """Return `text` without accents, case or repeated spaces, for comparing names."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


@dataclass(frozen=True)
class Subsidiary:
    """A country operating company of a tracked group that is not tracked on its own."""

    name: str
    countries: tuple[str, ...] = ()
    match: tuple[str, ...] = ()  # names that identify it in text


@dataclass(frozen=True)
class Company:
    """One tracked company; `name` is the display name used in output and subscriptions."""

    id: str
    name: str
    category: str
    hq: str = ""
    legal_name: str = ""
    aliases: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    local_names: tuple[str, ...] = ()  # spellings in other scripts, for matching text
    parent: str | None = None
    countries: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    isins: tuple[str, ...] = ()
    subsidiaries: tuple[Subsidiary, ...] = ()
    risky_aliases: tuple[str, ...] = ()  # never match alone
    require_context: tuple[str, ...] = ()  # one must co-occur to accept a risky alias
    exclude_phrases: tuple[str, ...] = ()  # veto the match they contain
    owner_note: str | None = None

    @property
    def surfaces(self) -> tuple[str, ...]:
        """Every name that identifies the company in text (not tickers or ISINs)."""
        subs = tuple(n for s in self.subsidiaries for n in s.match)
        return _unique((self.name, self.legal_name, *self.aliases, *self.brands, *self.local_names, *subs))


@dataclass(frozen=True, eq=False)
class Watchlist:
    """Tracked companies and named watchlists; compared by identity so it can key caches."""

    companies: tuple[Company, ...]
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _index: dict[str, Company] = field(init=False, repr=False)
    _by_name: dict[str, Company] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.companies})
        object.__setattr__(self, "_index", _build_index(self.companies))

    def __iter__(self) -> Iterator[Company]:
        return iter(self.companies)

    def __len__(self) -> int:
        return len(self.companies)

    def resolve(self, text: str) -> Company | None:
        """Find the company a display name, alias, brand, ticker or ISIN names."""
        return self._index.get(fold(text)) if text else None

    def get(self, name: str) -> Company | None:
        """Return the company with this exact display name, else resolve it."""
        return self._by_name.get(name) or self.resolve(name)

    def ancestors(self, name: str) -> tuple[str, ...]:
        """Return the parent chain of a company, nearest first."""
        chain: list[str] = []
        company = self.get(name)
        while company and company.parent and company.parent not in chain:
            chain.append(company.parent)
            company = self.get(company.parent)
        return tuple(chain)

    def family(self, name: str) -> tuple[str, ...]:
        """Return the company's display name followed by its ancestors."""
        company = self.get(name)
        return (company.name, *self.ancestors(company.name)) if company else ()

    def tickers(self, name: str) -> tuple[str, ...]:
        """Return the exchange tickers of a company (empty when unlisted or unknown)."""
        company = self.get(name)
        return company.tickers if company else ()

    def named(self, list_name: str) -> tuple[str, ...]:
        """Return the display names of a named watchlist (empty when unknown)."""
        return self.lists.get(list_name, ())

    def named_lists(self) -> list[str]:
        """Return the names of the named watchlists."""
        return sorted(self.lists)

    def operators_in(self, country: str) -> tuple[str, ...]:
        """Return tracked telecom operators licensed in a country, most specific entries only."""
        code = country.upper()
        found = [c.name for c in self.companies if c.category == "telecom" and code in c.countries]
        covered = {a for n in found for a in self.ancestors(n)}
        return tuple(n for n in found if n not in covered)


# --------------------------------------------------------------------------- index


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for n in names:
        if n and fold(n) not in seen:
            seen[fold(n)] = n
    return tuple(seen.values())


def _build_index(companies: Sequence[Company]) -> dict[str, Company]:
    """Map folded names to companies; identity names beat brands, brands beat subsidiaries."""
    tiers = (
        lambda c: (c.name, c.legal_name, *c.aliases),
        lambda c: (*c.tickers, *c.isins),
        lambda c: (*c.brands, *c.local_names),
        lambda c: tuple(n for s in c.subsidiaries for n in (s.name, *s.match)),
    )
    index: dict[str, Company] = {}
    for names_of in tiers:
        for company in companies:
            for n in names_of(company):
                index.setdefault(fold(n), company)
    return index


# --------------------------------------------------------------------------- loading


def load_watchlist(extra_paths: Sequence[Path] = ()) -> Watchlist:
    """Load the shipped watchlist plus user files; raise ConfigError naming the YAML path."""
    errors: list[ConfigError] = []
    watchlist = _load(extra_paths, errors)
    if errors:
        raise errors[0]
    return watchlist


def check_watchlist(paths: Sequence[Path] = ()) -> list[ConfigError]:
    """Return every problem in the shipped watchlist and the user files (for `check-config`)."""
    errors: list[ConfigError] = []
    _load(paths, errors)
    return errors


def _load(extra_paths: Sequence[Path], errors: list[ConfigError]) -> Watchlist:
    companies: dict[str, Company] = {}
    origin: dict[str, tuple[str, str]] = {}  # company id -> (file, YAML path) for later errors
    raw_lists: list[tuple[str, str, list[Any]]] = []
    for path in (SHIPPED_PATH, *map(Path, extra_paths)):
        doc = _read_yaml(path, errors)
        for where, company in _parse_companies(doc.get("companies") or [], str(path), errors):
            companies[company.id] = company  # a user entry with a shipped id corrects it
            origin[company.id] = (str(path), where)
        raw_lists += _raw_lists(doc.get("watchlists") or {}, str(path), errors)
    bare = Watchlist(tuple(companies.values()))
    errors += _check_names(bare, origin)
    lists = {name: _resolve_list(bare, name, entries, file, errors) for file, name, entries in raw_lists}
    return Watchlist(bare.companies, lists)


def _read_yaml(path: Path, errors: list[ConfigError]) -> dict[str, Any]:
    try:
        doc = yaml.load(read_text(path), Loader=_LOADER) or {}
    except ConfigError as exc:
        errors.append(exc)
        return {}
    except (OSError, yaml.YAMLError) as exc:
        errors.append(ConfigError(f"cannot read watchlist: {exc}", file=str(path)))
        return {}
    if not isinstance(doc, dict):
        errors.append(ConfigError("expected a mapping with `companies` and/or `watchlists`", file=str(path)))
        return {}
    return doc


def _parse_companies(entries: Any, file: str, errors: list[ConfigError]) -> list[tuple[str, Company]]:
    if not isinstance(entries, list):
        errors.append(ConfigError("expected a list", path="companies", file=file))
        return []
    out = []
    for i, entry in enumerate(entries):
        try:
            out.append((f"companies[{i}]", parse_company(entry)))
        except ConfigError as exc:
            errors.append(ConfigError(str(exc), path=f"companies[{i}]{exc.path}", file=file))
    return out


def parse_company(entry: Any) -> Company:
    """Build a Company from one YAML mapping; ConfigError.path names the bad field (`.hq`)."""
    if not isinstance(entry, dict):
        raise ConfigError("expected a mapping")
    for key in ("id", "name"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ConfigError(f"`{key}` is required", path=f".{key}")
    category = entry.get("category", "other")
    if category not in CATEGORIES:
        raise ConfigError(f"unknown category {category!r} ({', '.join(CATEGORIES)})", path=".category")
    hq = _codes([entry["hq"]], ".hq")[0] if entry.get("hq") else ""
    countries = _codes(entry.get("countries") or ([hq] if hq else []))
    amb = entry.get("ambiguity") or {}
    return Company(
        id=entry["id"],
        name=entry["name"],
        category=category,
        hq=hq,
        legal_name=entry.get("legal_name") or "",
        aliases=_strings(entry, "aliases"),
        brands=_strings(entry, "brands"),
        local_names=_strings(entry, "local_names"),
        parent=entry.get("parent") or None,
        countries=countries,
        tickers=_strings(entry, "tickers"),
        isins=_strings(entry, "isins"),
        subsidiaries=tuple(_subsidiary(s, i) for i, s in enumerate(entry.get("subsidiaries") or [])),
        risky_aliases=_strings(amb, "risky_aliases", ".ambiguity"),
        require_context=_strings(amb, "require_context", ".ambiguity"),
        exclude_phrases=_strings(amb, "exclude_phrases", ".ambiguity"),
        owner_note=entry.get("owner_note"),
    )


def _subsidiary(entry: Any, i: int) -> Subsidiary:
    if not isinstance(entry, dict) or not entry.get("name"):
        raise ConfigError("a subsidiary needs a `name`", path=f".subsidiaries[{i}]")
    countries = _codes(entry.get("countries") or [], f".subsidiaries[{i}].countries")
    return Subsidiary(str(entry["name"]), countries, _strings(entry, "match", f".subsidiaries[{i}]"))


def _strings(entry: Mapping[str, Any], key: str, where: str = "") -> tuple[str, ...]:
    value = entry.get(key) or []
    if not isinstance(value, list):
        raise ConfigError("expected a list of names", path=f"{where}.{key}")
    return tuple(str(v) for v in value)


def _codes(value: Any, where: str = ".countries") -> tuple[str, ...]:
    codes = tuple(str(v).upper() for v in value or [])
    bad = [c for c in codes if not _ISO2.match(c)]
    if bad:
        raise ConfigError(f"not ISO 3166-1 alpha-2 codes: {', '.join(bad)}", path=where)
    return codes


def _check_names(watchlist: Watchlist, origin: Mapping[str, tuple[str, str]]) -> list[ConfigError]:
    """Parents must be tracked and acyclic; display names must be unique."""
    errors, seen = [], set()
    for company in watchlist.companies:
        file, where = origin[company.id]
        if company.name in seen:
            errors.append(ConfigError(f"display name {company.name!r} used twice", f"{where}.name", file))
        seen.add(company.name)
        if company.parent and watchlist.get(company.parent) is None:
            errors.append(ConfigError(f"parent {company.parent!r} is not tracked", f"{where}.parent", file))
        elif company.name in watchlist.ancestors(company.name):
            errors.append(ConfigError("parent chain loops back to itself", f"{where}.parent", file))
    return errors


def _raw_lists(doc: Any, file: str, errors: list[ConfigError]) -> list[tuple[str, str, list[Any]]]:
    if not isinstance(doc, dict):
        errors.append(ConfigError("expected a mapping of list name to entries", path="watchlists", file=file))
        return []
    out = []
    for name, entries in doc.items():
        if not isinstance(entries, list):
            errors.append(
                ConfigError(
                    "expected a list of names, tickers or ISINs", path=f"watchlists.{name}", file=file
                )
            )
            continue
        out.append((file, str(name), entries))
    return out


def _resolve_list(
    watchlist: Watchlist, name: str, entries: list[Any], file: str, errors: list[ConfigError]
) -> tuple[str, ...]:
    """Resolve a named list's entries (name, ticker, ISIN, or a mapping with one of them)."""
    names: list[str] = []
    for i, entry in enumerate(entries):
        key = _entry_key(entry)
        company = watchlist.resolve(key) if key else None
        if company is None:
            errors.append(
                ConfigError(f"{key or entry!r} is not a tracked company", f"watchlists.{name}[{i}]", file)
            )
        elif company.name not in names:
            names.append(company.name)
    return tuple(names)


def _entry_key(entry: Any) -> str:
    if isinstance(entry, dict):
        return str(entry.get("isin") or entry.get("ticker") or entry.get("name") or "")
    return str(entry) if entry is not None else ""


__all__ = [
    "Company",
    "Subsidiary",
    "Watchlist",
    "check_watchlist",
    "fold",
    "load_watchlist",
    "parse_company",
]
