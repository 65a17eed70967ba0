"""How often the RSS fast path takes a document, and whether it then agrees with feedparser, item for item.

    .venv/bin/python -m benchmarks.parser_agreement [DIR ...]   # default: tests/fixtures (feedparser's
                                                                # corpus as copied here, captured feeds)

Prints documents seen, taken by the fast path, and disagreements (each named); exit 1 on any disagreement.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from monitor.errors import SourceError
from monitor.sources.rss import parse_fast, parse_feed
from monitor.types import FetchResult

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = {".xml", ".rss", ".atom", ".rdf"}


def documents(folders: list[Path]) -> list[Path]:
    return sorted(p for f in folders for p in f.rglob("*") if p.suffix in SUFFIXES and p.is_file())


def compare(path: Path) -> tuple[bool, bool, str]:
    """(taken by the fast path, agrees, why not)."""
    result = FetchResult(url="https://feeds.example.org/feed.xml", status=200, body=path.read_bytes(),
                         headers={"content-type": "application/rss+xml"})
    try:
        slow = parse_feed(result, "s", fast=False)
    except SourceError as exc:
        slow = exc
    try:
        fast = parse_fast(result, "s")
    except SourceError as exc:
        fast = exc
    if fast is None:
        return False, True, ""
    if isinstance(slow, SourceError) or isinstance(fast, SourceError):
        return True, False, f"{slow!r} / {fast!r}"
    if getattr(slow, "warning", None):
        return True, False, f"feedparser salvaged it: {slow.warning}"
    if list(slow) != list(fast):
        diff = next(((a, b) for a, b in zip(slow, fast) if a != b), (len(slow), len(fast)))
        return True, False, f"{diff[0]!r}\n   vs {diff[1]!r}"
    return True, True, ""


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or [ROOT / "tests" / "fixtures"]
    docs = documents(folders)
    taken = bad = 0
    for path in docs:
        took, agrees, why = compare(path)
        taken += took
        if not agrees:
            bad += 1
            print(f"DIFFERS {path}: {why}")
    print(f"{len(docs)} documents, {taken} taken by the fast path, {bad} disagreements")
    speed(docs)
    return 1 if bad else 0


def speed(docs: list[Path]) -> None:
    """Time both paths on the documents the fast path takes."""
    results = [FetchResult(url="https://f.example.org/", status=200, body=p.read_bytes()) for p in docs]
    results = [r for r in results if _fast(r) is not None]
    if not results:
        return
    for label, fast in (("feedparser", False), ("fast path", True)):
        started = time.perf_counter()
        for r in results:
            parse_feed(r, "s", fast=fast)
        print(f"  {label}: {len(results)} documents in {time.perf_counter() - started:.2f} s")


def _fast(result: FetchResult):
    try:
        return parse_fast(result, "s")
    except SourceError:
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
