"""The default classifier's full output on the corpus, recorded once, so a speed-up can prove it changed nothing.

    .venv/bin/python -m tests.classifier_golden     # rewrites tests/fixtures/cascade_golden_e5.jsonl.gz and
                                                    # its _vectors.npz (about 10 minutes on 2 busy cores;
                                                    # --cache var/e5-cache.npz reuses make train's vectors)

Recorded with the real multilingual-e5 encoder (`tests/test_classifier_golden.py` runs it again on the whole
corpus as a `slow` test). The encoder's vectors of the items that reach stage 2 are kept beside it, so the
default suite replays them (`ReplayEncoder`) and compares every other step (stage 1, its gate, stage 2's
features, votes and labels, evidence, language, cues, companies, countries) on the whole corpus in seconds.

Each line: the item's `classify` JSON, its scores unrounded (as `classify_many` computed them, before the
4-digit rounding of the output), and a hash of its sentence vector. Items are the 2,146 of
`classifiers/data/corpus.jsonl` (every other one with its language as the feed's hint, the others without)
plus 200 feed-like items of the benchmark farm, classified in batches of 256 as the pipeline does. The file
names the head and lexicon it was recorded with: `tests/test_classifier_golden.py` compares only against
a recording of the shipped head (after `make train`, record again).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "fixtures" / "cascade_golden_e5.jsonl.gz"
VECTORS = ROOT / "tests" / "fixtures" / "cascade_golden_e5_vectors.npz"
CORPUS = ROOT / "classifiers" / "data" / "corpus.jsonl"
BATCH = 256


def inputs() -> list:
    """The items classified: the corpus, then feed-like items (HTML-free summaries, as stored)."""
    from benchmarks.feedfarm import INCIDENT, _story
    from monitor.sources.base import plain_text
    from monitor.types import ClassifyInput

    out = []
    for k, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines()):
        row = json.loads(line)
        out.append(ClassifyInput(id=row["id"], title=row.get("title") or "", summary=row.get("summary") or "",
                                 url=row.get("url"), lang=row.get("lang") if k % 2 else None))
    for n in range(200):
        title, summary = _story(n, n % 20) if n % 10 else (f"{INCIDENT[0]} ({n})", INCIDENT[1])
        out.append(ClassifyInput(id=f"farm-{n}", title=title, summary=plain_text(summary, 2000), lang="en"))
    return out


def head_fingerprint() -> str:
    """Hash the shipped head's files and the lexicon: a recording holds for exactly these."""
    from classifiers.learned import HEAD_PATH
    from classifiers.rules import lexicon_fingerprint

    digest = hashlib.sha256()
    for path in (HEAD_PATH, HEAD_PATH.with_suffix(".json")):
        digest.update(path.read_bytes())
    return f"{digest.hexdigest()[:16]}-{lexicon_fingerprint()}"


class ReplayEncoder:
    """The e5 vectors recorded for the golden items, given back by text; any other text is an error."""

    def __init__(self, path: Path = VECTORS) -> None:
        import numpy as np

        from classifiers.features import item_text

        with np.load(path, allow_pickle=False) as stored:
            ids, vectors = stored["ids"].tolist(), stored["vectors"]
        by_id = {item.id: item_text(item.title, item.summary) for item in inputs()}
        self.vectors = {by_id[i]: vectors[k] for k, i in enumerate(ids)}

    def encode(self, texts: list[str]) -> Any:
        import numpy as np

        return np.stack([self.vectors[text] for text in texts]) if texts else np.zeros((0, 384), np.float32)


def classify_all(encoder: Any = None) -> Iterator[dict]:
    """Classify every input with the default classifier (with `encoder` instead of e5 when given); yield one
    record per item."""
    from classifiers import build_classifier
    from classifiers.cascade import Linker
    from monitor.config import ClassifierSettings
    from monitor.registry import Deps
    from monitor.watchlist import load_watchlist

    raw: dict[str, dict[str, float]] = {}
    describe = Linker.describe

    def recording(self, reading, labels, scores, head=None):
        raw[reading.item.id] = {k: float(v) for k, v in scores.items()}
        return describe(self, reading, labels, scores, head)

    classifier = build_classifier(ClassifierSettings(), Deps(watchlist=load_watchlist()))
    if encoder is not None:
        classifier.encoder = encoder  # type: ignore[attr-defined]
    items = inputs()
    encoded: dict[str, Any] = {}
    inner = classifier.encoder  # type: ignore[attr-defined]

    class Keeping:
        def encode(self, texts: list[str]) -> Any:
            vectors = inner.encode(texts)
            encoded.update(zip(texts, vectors))
            return vectors

    classifier.encoder = Keeping()  # type: ignore[attr-defined]
    Linker.describe = recording  # type: ignore[method-assign]
    try:
        for start in range(0, len(items), BATCH):
            for result in classifier.classify_many(items[start : start + BATCH]):
                vector = ",".join(f"{v:.4f}" for v in result.vector)
                yield {**result.to_json(), "raw_scores": raw[result.id],
                       "vector_sha": hashlib.sha1(vector.encode()).hexdigest()[:16] if result.vector else ""}
    finally:
        Linker.describe = describe  # type: ignore[method-assign]
    classify_all.encoded = encoded  # type: ignore[attr-defined]


def read_golden(path: Path = GOLDEN) -> tuple[dict, list[dict]]:
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        header, *rows = (json.loads(line) for line in stream)
    return header, rows


def main() -> None:
    """`--cache PATH`: take vectors the real encoder wrote to `make train`'s cache (var/e5-cache.npz) and
    encode only the texts it lacks: the same vectors, minutes sooner."""
    import argparse

    import numpy as np

    from classifiers.encoder import CachedEncoder, E5Encoder
    from classifiers.features import item_text

    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    rows = list(classify_all(CachedEncoder(E5Encoder(), args.cache) if args.cache else None))
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(GOLDEN, "wt", encoding="utf-8", compresslevel=9) as stream:
        stream.write(json.dumps({"head": head_fingerprint(), "items": len(rows)}) + "\n")
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    encoded = classify_all.encoded  # type: ignore[attr-defined]
    kept = [item for item in inputs() if item_text(item.title, item.summary) in encoded]
    np.savez_compressed(VECTORS, ids=np.array([item.id for item in kept]),
                        vectors=np.stack([encoded[item_text(item.title, item.summary)] for item in kept]))
    print(f"{len(rows)} items written to {GOLDEN}, {len(kept)} vectors to {VECTORS}")


if __name__ == "__main__":
    main()
