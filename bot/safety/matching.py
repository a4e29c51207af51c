r"""Token patterns in a short notation, compiled into one spaCy `Matcher`, and the signals they produce.

Safety rules are easier to review as one line per way of saying something than as nested spaCy dicts, so
every pattern here is a string. The detectors in `red_flags` and `dosing` name *signals* (a fever, a pump, a
request to change a dose), each with the patterns that show it; a message's signals are the labels of the
patterns that match its lower-cased spaCy doc, plus `@<term id>` for every terminology term the entity
ruler found (so "Lioresal", "bac pump" and the misspellings in `content/terminology.yml` count too).

Notation, one token per space-separated item, each matched against the token's lower-case text:

- `beep\w*|bleep\w*` a token that fully matches the regular expression;
- `[is|'s|s]` the same, optional;
- `...` up to three tokens of anything, `...6` up to six;
- `@baclofen-pump` one or more tokens of the terminology term with that id (`@a|@b` for either);
- `@THERAPY` one or more tokens of any term with that label.

spaCy splits contractions ("can't" and "cant" both give `ca` + `n't`/`nt`, "he's" and "hes" give `he` +
`'s`/`s`), so `NOT` and `IS` below spell the forms a pattern should accept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

# Regular expressions for the pieces of contractions, for use inside patterns.
NOT = "n['’]t|nt|not|no"
IS = (
    "is|['’]?s|are|['’]?re|r|was|were|am|['’]?m|be|been|being|seems?|looks?|feels?|getting|gets|got|went|goes|"
    "going|has|have|had|keeps?|started"
)
DEFAULT_GAP = 3
TERM_PREFIX = "@"


class PatternError(ValueError):
    """A pattern string cannot be compiled; the message names the pattern."""


def compile_pattern(pattern: str) -> list[dict[str, Any]]:
    r"""Turns one pattern string into spaCy `Matcher` token specifications.

    Examples:
        "two|2 tones?" yields two token specs; "pump ... beep\w*" allows up to three tokens between the words;
        "@baclofen-pump" matches "bac pump", "itb" or "synchromed".

    Raises:
        PatternError: for an empty pattern, a pattern of only gaps, or an invalid regular expression.
    """
    specs: list[dict[str, Any]] = []
    items = pattern.split()
    if not items:
        raise PatternError("empty pattern")
    for item in items:
        if item.startswith("...") and (item == "..." or item[3:].isdigit()):
            gap = int(item[3:]) if item[3:] else DEFAULT_GAP
            specs.extend({"OP": "?"} for _ in range(gap))
            continue
        optional = item.startswith("[") and item.endswith("]") and len(item) > 2
        body = item[1:-1] if optional else item
        if body.startswith(TERM_PREFIX):
            # `@id|@other` names terminology ids; `@THERAPY` (upper case) names a whole entity label.
            if not all(name.startswith(TERM_PREFIX) for name in body.split("|")):
                raise PatternError(f"{pattern!r}: {body!r} mixes terms and words; write two patterns")
            names = [name.removeprefix(TERM_PREFIX) for name in body.split("|")]
            attribute = "ENT_TYPE" if all(name.isupper() for name in names) else "ENT_ID"
            spec: dict[str, Any] = {attribute: {"IN": names}, "OP": "*" if optional else "+"}
        else:
            if TERM_PREFIX in body:
                raise PatternError(f"{pattern!r}: {body!r} mixes words and terms; write two patterns")
            try:
                re.compile(body)
            except re.error as exc:
                raise PatternError(f"{pattern!r}: bad regular expression {body!r}: {exc}") from exc
            spec = {"LOWER": {"REGEX": f"^(?:{body})$"}}
            if optional:
                spec["OP"] = "?"
        specs.append(spec)
    if all(s == {"OP": "?"} for s in specs):
        raise PatternError(f"{pattern!r}: a pattern needs at least one word")
    return specs


@dataclass(frozen=True)
class Signals:
    """What a message shows: the labels of the matching patterns and the ids of the terms mentioned."""

    labels: frozenset[str]

    def has(self, *names: str) -> bool:
        """True when any of the signals (or `@term` ids) is present."""
        return any(name in self.labels for name in names)

    def count(self, names: Iterable[str]) -> int:
        """How many of the given signals are present."""
        return sum(1 for name in names if name in self.labels)


class SignalMatcher:
    """One spaCy `Matcher` holding every pattern of a detector, keyed by signal name."""

    def __init__(self, vocab: Vocab, signals: Mapping[str, Sequence[str]]) -> None:
        """Compiles the patterns.

        Args:
            vocab: the vocabulary of the pipeline whose docs will be matched.
            signals: signal name -> patterns in the notation of this module.

        Raises:
            PatternError: naming the signal and pattern that cannot be compiled.
        """
        from spacy.matcher import Matcher

        self._strings = vocab.strings
        self._matcher = Matcher(vocab)
        for name, patterns in signals.items():
            compiled = []
            for pattern in patterns:
                try:
                    compiled.append(compile_pattern(pattern))
                except PatternError as exc:
                    raise PatternError(f"signal {name}: {exc}") from exc
            self._matcher.add(name, compiled)

    def __call__(self, doc: Doc) -> Signals:
        """The signals of one doc (which must come from the lower-cased text)."""
        labels = {self._strings[match_id] for match_id, _start, _end in self._matcher(doc)}
        labels.update(f"{TERM_PREFIX}{ent.ent_id_}" for ent in doc.ents if ent.ent_id_)
        labels.update(f"{TERM_PREFIX}{ent.label_}" for ent in doc.ents)
        return Signals(frozenset(labels))


# "Mixes up her tablets" means confuses them; its "up" is not a request to raise a dose ("up my baclofen").
_MIX_UP = re.compile(r"\bmix(es|ed|ing)?((?: \w+)?) up\b")


def normalise(text: str) -> str:
    """The text the detectors read: lower case, curly quotes straightened, whitespace collapsed.

    "Mix up" (confuse) is read as "muddle", so its particle is not taken for a dose change.
    """
    text = (text or "").replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return _MIX_UP.sub(r"muddle\2", " ".join(text.lower().split()))
