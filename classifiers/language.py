"""Language detection with py3langid, whose model ships inside the package (no download)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from classifiers.rules import fold

# Scripts that name their language outright; langid's guesses on short titles are noisier.
_SCRIPTS = ((re.compile("[\u0400-\u04ff]"), "ru"), (re.compile("[\u0900-\u097f]"), "hi"), (re.compile("[\u1200-\u137f]"), "am"))
_LETTER = re.compile(r"[^\W\d_]")
_MIN_LETTERS = 3
# The title and lead name the language; reading further costs time and does not change the guess.
SAMPLE_CHARS = 200


def detect_language(text: str, hint: str | None = None) -> str:
    """Return the ISO 639-1 code of `text`; a plausible `hint` (the feed's language) wins ties."""
    return detect_languages([text], [hint])[0]


def detect_languages(texts: Sequence[str], hints: Sequence[str | None]) -> list[str]:
    """`detect_language` of many texts: the same answers, with langid's byte walk run for all at once."""
    samples = [text[:SAMPLE_CHARS] for text in texts]
    out: list[str | None] = [None] * len(samples)
    ranked: list[int] = []
    for k, (text, hint) in enumerate(zip(samples, hints, strict=True)):
        letters = len(_LETTER.findall(text))
        if letters < _MIN_LETTERS:
            out[k] = _normal(hint) or "und"
        else:
            out[k] = _script_language(text, letters)
            if out[k] is None:
                ranked.append(k)
    for k, (guess, rank) in zip(ranked, _rank_many([samples[k] for k in ranked]), strict=True):
        out[k] = _choose(guess, rank, hints[k])
    return [lang or "und" for lang in out]


def _choose(guess: str, rank: list[str], hint: str | None) -> str:
    hinted = _normal(hint)
    # A feed's declared language is trusted unless the text is clearly something else.
    if hinted and hinted in rank[:3]:
        return hinted
    return guess


def _normal(hint: str | None) -> str | None:
    return hint.split("-")[0].split("_")[0].strip().lower() or None if hint else None


def _script_language(text: str, letters: int) -> str | None:
    counts = {lang: len(pattern.findall(text)) for pattern, lang in _SCRIPTS}
    lang, count = max(counts.items(), key=lambda kv: kv[1])
    return lang if count > letters / 2 else None


def _rank(text: str) -> tuple[str, list[str]]:
    """The best guess and every language, likeliest first."""
    scores = _identifier().rank(_langid_text(text))
    return scores[0][0], [lang for lang, _ in scores]


def _langid_text(text: str) -> str:
    return fold(text) if text.isascii() else text


def _rank_many(texts: Sequence[str]) -> list[tuple[str, list[str]]]:
    """`_rank` of each text (the best guess and the three likeliest languages, which is all `_choose`
    reads); py3langid's per-byte walk, most of its time, done for all texts together."""
    identifier = _identifier()
    walker = _walker()
    if walker is None or len(texts) < 2:
        return [_rank(text) for text in texts]
    import numpy as np

    encoded = [identifier._encode(_langid_text(text)) for text in texts]
    out = []
    for visits in walker.visits(encoded):
        # rank()'s stable sort by score, best first, over each language's first column: the same order
        merged = _scores(identifier, visits)[walker.first_columns]
        top = np.argsort(-merged, kind="stable")[:3].tolist()
        out.append((walker.languages[top[0]], [walker.languages[k] for k in top]))
    return out


def _scores(identifier: Any, visits: dict[int, int] | None) -> Any:
    """py3langid's `_decide` (raw scores, aliases folded) for the feature counts of one text."""
    import numpy as np
    from py3langid.langid import RAW_FLOOR

    if visits:
        scores = identifier._sparse_score(visits, identifier.nb_ptc)
    else:
        scores = np.full(len(identifier.nb_classes), RAW_FLOOR, dtype=np.float32)
    for i, j in identifier._alias_pairs:
        scores[i] = max(scores[i], scores[j])
        scores[j] = RAW_FLOOR
    return scores


class _Walker:
    """py3langid's byte automaton (`visit_counts`), stepped for a batch of texts at once with numpy."""

    def __init__(self, identifier: Any) -> None:
        import numpy as np

        self.nextmove = np.asarray(identifier.tk_nextmove, dtype=np.int64)
        self.rowbase = np.asarray(identifier._rowbase, dtype=np.int64)
        self.output = np.asarray(identifier.tk_output, dtype=np.int64)
        first = {lang: column for column, lang in reversed(list(enumerate(identifier.nb_classes)))}
        self.languages = list(dict.fromkeys(identifier.nb_classes))
        self.first_columns = np.array([first[lang] for lang in self.languages], dtype=np.intp)

    def visits(self, encoded: Sequence[bytes]) -> list[dict[int, int] | None]:
        """Each text's feature counts, keyed in the order the walk first meets them (as `visit_counts`)."""
        import numpy as np

        order = sorted(range(len(encoded)), key=lambda k: -len(encoded[k]))
        lengths = np.array([len(encoded[k]) for k in order], dtype=np.int64)
        width = int(lengths[0]) if len(lengths) else 0
        grid = np.zeros((len(order), max(width, 1)), dtype=np.int64)
        for row, k in enumerate(order):
            grid[row, : len(encoded[k])] = np.frombuffer(encoded[k], dtype=np.uint8)
        live = np.searchsorted(-lengths, -np.arange(1, width + 1), side="right")  # texts longer than each step
        states = np.zeros(len(order), dtype=np.int64)
        rows, features = [], []
        for step in range(width):
            m = int(live[step])
            states[:m] = self.nextmove[self.rowbase[states[:m]] + grid[:m, step]]
            found = self.output[states[:m]]
            hit = np.flatnonzero(found >= 0)
            if len(hit):
                rows.append(hit)
                features.append(found[hit])
        out: list[dict[int, int] | None] = [None] * len(encoded)
        if not rows:
            return out
        all_rows, all_features = np.concatenate(rows), np.concatenate(features)
        by_row = np.argsort(all_rows, kind="stable")  # each text's features, still in walk order
        all_rows, all_features = all_rows[by_row], all_features[by_row].tolist()
        bounds = np.searchsorted(all_rows, np.arange(len(order) + 1))
        for row, k in enumerate(order):
            start, stop = int(bounds[row]), int(bounds[row + 1])
            if stop > start:
                out[k] = Counter(all_features[start:stop])
        return out


@lru_cache(maxsize=1)
def _walker() -> _Walker | None:
    """The batch walker, or None where py3langid's internals are not the ones it was written against."""
    identifier = _identifier()
    needed = ("tk_nextmove", "_rowbase", "tk_output", "_encode", "_sparse_score", "_alias_pairs", "nb_classes")
    if getattr(identifier, "_norm_probs", True) or not all(hasattr(identifier, name) for name in needed):
        return None
    return _Walker(identifier)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
