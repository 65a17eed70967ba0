"""Multilingual cue patterns: the cheap first stage of the cascade and features for the model.

Each cue group is a list of regular expressions over text that is lower-cased and folded to
ASCII for Latin letters (so `élection` is written `election`). Patterns cover en, fr, es, pt,
ru and ar, with the commonest shutdown/censorship words of a few more languages (hi, fa, ur,
tr, id, sw, de, am) because shutdown reports from those places are frequent.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from monitor.types import LABELS, Evidence


def _latin_fold_table() -> dict[int, str]:
    # Only Latin letters are folded: stripping marks from Devanagari or Arabic would change words.
    table = {}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFKD", chr(code))[:1]
        if base.isascii() and base.isalpha():
            table[code] = base.lower()
    return table | {ord("ı"): "i", ord("ł"): "l", ord("ø"): "o", ord("’"): "'"}


_FOLD = _latin_fold_table()

# The cue patterns live as data, one file per language (`classifiers/data/lexicon/<lang>.yaml`, `xx`
# for brand names and language-free patterns); every file is merged into the groups below, so a
# language is added by adding a file. The learned head checks `lexicon_fingerprint()` at load.
LEXICON_DIR = Path(__file__).parent / "data" / "lexicon"
GROUP_NAMES: tuple[str, ...] = (
    "ict", "shutdown", "censorship", "surveillance", "election", "influence", "order", "accident", "crime",
    "business", "policy", "other_sense", "denial", "discourse",
)


def _lexicon_files() -> list[Path]:
    return sorted(LEXICON_DIR.glob("*.yaml"))


def load_lexicon() -> dict[str, list[str]]:
    """Merge the per-language cue files into one pattern list per group (files in name order)."""
    import yaml

    groups: dict[str, list[str]] = {name: [] for name in GROUP_NAMES}
    for path in _lexicon_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, patterns in data.items():
            if name not in groups:
                raise ValueError(f"{path.name}: unknown cue group {name!r} (known: {', '.join(GROUP_NAMES)})")
            groups[name].extend(str(p) for p in patterns or ())
    return groups


def lexicon_fingerprint() -> str:
    """A hash of every lexicon file's name and bytes: a changed lexicon changes the features."""
    digest = hashlib.sha256()
    for path in _lexicon_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


GROUPS: Mapping[str, Sequence[str]] = load_lexicon()
NEGATIVE_GROUPS = ("accident", "crime", "business", "policy", "other_sense", "denial")
FEATURE_NAMES: tuple[str, ...] = tuple(f"{g}_{part}" for g in GROUPS for part in ("title", "body"))


def _compile(patterns: Sequence[str]) -> re.Pattern[str]:
    # Texts are folded to lower case first, so matching need not ignore case (which is slower).
    return re.compile("|".join(f"(?:{p})" for p in patterns))


COMPILED: Mapping[str, re.Pattern[str]] = {name: _compile(patterns) for name, patterns in GROUPS.items()}
SINGLE: Mapping[str, tuple[re.Pattern[str], ...]] = {name: tuple(map(re.compile, ps)) for name, ps in GROUPS.items()}


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Name literals one of which every match of `pattern` contains (None: no such set found)."""
    try:  # the stdlib's own parser is private, so fail soft: without literals a pattern always runs
        from re import _constants as sre
        from re import _parser

        return _leading_literals(list(_parser.parse(pattern)), sre)
    except (ImportError, AttributeError, re.error, TypeError):
        return None


def _leading_literals(items: list, sre: Any) -> tuple[str, ...] | None:
    run = ""
    for op, arg in items:
        if op is sre.LITERAL:
            run += chr(arg)
        elif run:
            break
        elif op is sre.SUBPATTERN:
            return _leading_literals(list(arg[-1]), sre)
        elif op is sre.BRANCH:
            found = [_leading_literals(list(alt), sre) for alt in arg[1]]
            return None if None in found else tuple(lit for lits in found for lit in lits)
        elif op is not sre.AT:
            return None
    return (run,) if run else None


@dataclass(frozen=True)
class CueIndex:
    """Find cue counts fast: a literal scan picks the few patterns worth running on a text.

    A pattern whose required literals are all absent cannot match, so running only the others
    gives exactly the counts of the full alternation (see `count_disjoint`).
    """

    groups: tuple[str, ...]
    always: Mapping[str, tuple[int, ...]]  # patterns with no required literal: always run
    automaton: Any  # literal -> the (group, pattern index) pairs that need it

    @classmethod
    def build(cls, groups: Mapping[str, Sequence[str]]) -> CueIndex:
        import ahocorasick  # lazy: a C extension only cue search needs

        anchors = {g: [required_literals(p) for p in patterns] for g, patterns in groups.items()}
        needing: dict[str, list[tuple[str, int]]] = {}
        for group, literals in anchors.items():
            for i, lits in enumerate(literals):
                for literal in lits or ():
                    needing.setdefault(literal, []).append((group, i))
        automaton = ahocorasick.Automaton()
        for literal, users in needing.items():
            automaton.add_word(literal, tuple(users))
        automaton.make_automaton()
        always = {g: tuple(i for i, lits in enumerate(literals) if lits is None) for g, literals in anchors.items()}
        return cls(groups=tuple(groups), always=always, automaton=automaton)

    def counts(self, text: str) -> dict[str, int]:
        # Words in another sense ("government shutdown", "Pegasus Hava Yollari") are blanked out
        # first, so they never count as cues of a label.
        text, other_senses = COMPILED["other_sense"].subn(" ", text)
        live: dict[str, set[int]] = {g: set(self.always[g]) for g in self.groups}
        for _, users in self.automaton.iter(text) if text else ():
            for group, i in users:
                live[group].add(i)
        found = {group: self._count(group, text, live[group]) for group in self.groups}
        return found | {"other_sense": other_senses}

    def _count(self, group: str, text: str, live: set[int]) -> int:
        spans = sorted((m.start(), i, m.end()) for i in live for m in SINGLE[group][i].finditer(text))
        return count_disjoint(spans)


def count_disjoint(spans: Sequence[tuple[int, int, int]]) -> int:
    """Count matches the way one alternation would: leftmost first, earlier pattern first, no overlaps."""
    count, end = 0, -1
    for start, _, stop in spans:
        if start >= end:
            count, end = count + 1, max(stop, start + 1)
    return count


@lru_cache(maxsize=1)
def cue_index() -> CueIndex:
    """Build the shared cue index once."""
    return CueIndex.build(GROUPS)


def fold(text: str) -> str:
    """Lower-case and strip Latin accents so patterns can be written in plain ASCII."""
    return text.lower().translate(_FOLD)


@dataclass(frozen=True)
class CueHits:
    """How often each cue group matched in the title and in the rest of an item."""

    title: Mapping[str, int]
    body: Mapping[str, int]

    def count(self, group: str) -> int:
        return self.title[group] + self.body[group]

    def vector(self) -> list[float]:
        return [float(min(part[g], 3)) for g in GROUPS for part in (self.title, self.body)]


def find_cues(title: str, summary: str) -> CueHits:
    """Count every cue group's matches in the title and the summary."""
    index = cue_index()
    return CueHits(title=index.counts(fold(title)), body=index.counts(fold(summary)))


def negative_weight(hits: CueHits) -> int:
    """Count the not-an-incident cues (outage, crime, business, policy, other senses)."""
    return sum(hits.count(g) for g in NEGATIVE_GROUPS)


def label_cue_groups(label: str) -> tuple[str, ...]:
    """Name the cue groups that speak for one label."""
    return ("election", "influence") if label == "election_interference" else (label,)


def is_candidate(hits: CueHits) -> bool:
    """Say whether an item shows any label cue at all; the rest is settled as no incident."""
    return any(hits.count(g) for g in ("shutdown", "censorship", "surveillance", "influence")) or (
        hits.count("election") > 0 and hits.count("ict") > 0
    )


def rule_scores(hits: CueHits) -> dict[str, float]:
    """Score each label from cues alone: a transparent fallback for installs without the model."""
    ict = min(hits.count("ict"), 3) / 3
    penalty = min(negative_weight(hits), 4) * 0.15
    scores = {}
    for label in ("shutdown", "censorship", "surveillance"):
        strength = 0.35 * min(hits.title[label], 2) + 0.15 * min(hits.body[label], 3)
        scores[label] = _squash(strength + 0.25 * ict + 0.1 * min(hits.count("order"), 2) - penalty)
    election = min(hits.count("election"), 2) * 0.2
    influence = 0.3 * min(hits.title["influence"], 2) + 0.12 * min(hits.body["influence"], 3)
    blocking = 0.5 * max(scores["shutdown"], scores["censorship"])
    scores["election_interference"] = _squash(election * (1 + influence + blocking) + 0.2 * ict - penalty) if election else 0.0
    return scores


def _squash(value: float) -> float:
    return max(0.0, min(1.0, value))


_SENTENCE = re.compile(r"(?<=[.!?؟។।])\s+|\n+")


def find_evidence(label: str, title: str, summary: str, limit: int = 240) -> Evidence | None:
    """Quote the first sentence of the item in which a cue of the label matches."""
    patterns = [COMPILED[g] for g in label_cue_groups(label)]
    for sentence in [title, *_SENTENCE.split(summary)]:
        folded = fold(sentence)
        if any(p.search(folded) for p in patterns):
            return Evidence(label=label, text=_clip(sentence.strip(), limit))
    return None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def rule_labels(scores: Mapping[str, float], hits: CueHits, threshold: float = 0.5) -> tuple[str, ...]:
    """Pick the labels whose rule score passes the threshold, behind the false-alarm gate."""
    if not passes_gate(hits):
        return ()
    return tuple(label for label in LABELS if scores[label] >= threshold)


def passes_gate(hits: CueHits) -> bool:
    """An incident needs an ICT signal (or an election hack/influence cue) and a concrete label cue."""
    return is_candidate(hits) and (hits.count("ict") > 0 or hits.count("influence") > 0)
