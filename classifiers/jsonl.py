"""The `classify` contract on JSON lines: one output line per input line, in order."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from classifiers.base import Classifier
from monitor.types import Classification, ClassifyInput


def classify_stream(classifier: Classifier, lines: Iterable[str], batch_size: int = 64) -> Iterator[dict[str, Any]]:
    """Classify JSONL lines in batches; a malformed line yields an error row in its place."""
    source = iter(lines)
    while batch := list(islice(source, batch_size)):
        parsed = [parse_line(line) for line in batch]
        good = [p for p in parsed if isinstance(p, ClassifyInput)]
        results = iter(classifier.classify_many(good)) if good else iter(())
        for entry in parsed:
            yield (next(results) if isinstance(entry, ClassifyInput) else entry).to_json()


def parse_line(line: str | bytes) -> ClassifyInput | Classification:
    """Read one input line, or describe why it cannot be read (keeping its id when there is one)."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Classification(id="", error=f"not UTF-8 text (byte {exc.start + 1})")
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return Classification(id="", error=f"invalid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(row, dict):
        return Classification(id="", error="each line must be a JSON object")
    return _to_input(row)


def _to_input(row: dict[str, Any]) -> ClassifyInput | Classification:
    raw_id = row.get("id")
    item_id = "" if raw_id is None else str(raw_id)
    title, summary = row.get("title"), row.get("summary", "")
    if raw_id is None or isinstance(raw_id, (dict, list)):
        return Classification(id="", error="missing or invalid 'id'")
    if not isinstance(title, str) or not isinstance(summary or "", str):
        return Classification(id=item_id, error="'title' must be a string (and 'summary' too when given)")
    lang = row.get("lang") if isinstance(row.get("lang"), str) else None
    url = row.get("url") if isinstance(row.get("url"), str) else ""
    return ClassifyInput(id=item_id, title=title, summary=summary or "", url=url, lang=lang)


def read_labeled(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the rows of a labeled JSONL file (dev_items format), skipping blank lines."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield _labeled_row(line, number, path)


def _labeled_row(line: str, number: int, path: str | Path) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{number}: invalid JSON: {exc.msg}") from exc
    if not isinstance(row, dict) or "id" not in row or not isinstance(row.get("labels", []), list):
        raise ValueError(f"{path}:{number}: need an object with 'id' and a 'labels' list")
    if "labels" not in row:  # scoring unlabeled items would report a meaningless macro-F1 of 0
        raise ValueError(f"{path}:{number}: item {row['id']!r} has no 'labels' (an unlabeled item; write "
                         '["none"] or [] for no incident)')
    return row
