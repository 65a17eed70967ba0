"""Language detection with py3langid, whose model ships inside the package (no download)."""

from __future__ import annotations

import re
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
    text = text[:SAMPLE_CHARS]
    letters = len(_LETTER.findall(text))
    if letters < _MIN_LETTERS:
        return _normal(hint) or "und"
    by_script = _script_language(text, letters)
    if by_script:
        return by_script
    guess, rank = _rank(text)
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
    scores = _identifier().rank(fold(text) if text.isascii() else text)
    return scores[0][0], [lang for lang, _ in scores]


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
