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

Accents are optional on both sides: `detector_text()` folds the message ("¿Qué pasó?" is read "¿que paso?") and
the words of a pattern are folded the same way, so a Spanish pattern may be written "después|tomé" and
matches "despues", "después", "tome" and "tomé" (people type Spanish with and without accents).

spaCy splits contractions ("can't" and "cant" both give `ca` + `n't`/`nt`, "he's" and "hes" give `he` +
`'s`/`s`), so `NOT` and `IS` below spell the forms a pattern should accept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.text import NO_ACCENTS, SAFETY
from bot.text import normalise as in_form

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
# Characters that make a pattern word a regular expression rather than a list of plain words.
_REGEX_CHARACTERS = frozenset("\\.^$*+?{}[]()|")


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
            body = in_form(body, NO_ACCENTS)
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


def merge_signals(*tables: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """One signal table from several (English, Spanish): a signal's patterns are those of every table.

    A Spanish line added under an English signal's name feeds the same rules, so each language needs no rules
    of its own and both are matched in one pass over every message.
    """
    merged: dict[str, list[str]] = {}
    for table in tables:
        for name, patterns in table.items():
            merged.setdefault(name, []).extend(patterns)
    return merged


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


def _plain_words(body: str) -> list[str] | None:
    r"""The words a pattern item stands for when it is only plain words (`pump|pumps`, `tones?`), else None.

    `tones?` (one optional last letter) stands for "tones" and "tone"; anything else with a regular
    expression character (`beep\w*`, `\d+`, `n['’]t`) is a real regular expression.
    """
    words: list[str] = []
    for alternative in body.split("|"):
        stem, optional = (alternative[:-1], True) if alternative.endswith("?") else (alternative, False)
        if not stem or _REGEX_CHARACTERS.intersection(stem):
            return None
        words.append(stem)
        if optional and len(stem) > 1:
            words.append(stem[:-1])
    return list(dict.fromkeys(words))


def fast_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The same token spec, matched by a set lookup instead of a regular expression when it lists plain words.

    spaCy calls back into Python for every regular expression at every token, so a detector's cost grows
    with its number of patterns; a set of words is checked much faster. Measured on the safety sets, the
    English and Spanish patterns as regular expressions in plain `Matcher`s cost 93% more per message than
    the English ones alone did; with set lookups and the phrase matcher (SignalMatcher) they cost 25% less.
    """
    lower = spec.get("LOWER")
    if not isinstance(lower, dict) or "REGEX" not in lower:
        return spec
    body = lower["REGEX"].removeprefix("^(?:").removesuffix(")$")
    words = _plain_words(body)
    if words is None:
        return spec
    fast = dict(spec)
    fast["LOWER"] = words[0] if len(words) == 1 else {"IN": words}
    return fast


# A gap-free pattern of plain words goes to the phrase matcher when it stands for at most this many phrases.
MAX_PHRASES_PER_PATTERN = 500


def phrases(specs: Sequence[dict[str, Any]]) -> list[list[str]] | None:
    """The word sequences a compiled pattern stands for, when it is only plain words with no gap, else None.

    Examples:
        "de repente|golpe" stands for ["de", "repente"] and ["de", "golpe"]; a pattern with a gap, an optional
        item, a term or a regular expression stands for no fixed list of phrases (None).
    """
    sequences: list[list[str]] = [[]]
    for spec in specs:
        if set(spec) != {"LOWER"}:
            return None
        lower = spec["LOWER"]
        words = [lower] if isinstance(lower, str) else lower.get("IN") if set(lower) == {"IN"} else None
        if words is None:
            return None
        sequences = [[*done, word] for done in sequences for word in words]
        if len(sequences) > MAX_PHRASES_PER_PATTERN:
            return None
    return sequences


# The token attributes a pattern can be anchored on, as spaCy's `Token` names them; "REGEX" is a regular
# expression that a token's lower-case text matches in full.
_TOKEN_ATTRIBUTES = {"LOWER": "lower_", "ENT_ID": "ent_id_", "ENT_TYPE": "ent_type_"}
REGEX = "REGEX"
# How many words' regular-expression anchors are remembered before the memory starts again.
MAX_REMEMBERED_WORDS = 50_000

Anchor = tuple[str, frozenset[str]]


def anchor(specs: Sequence[dict[str, Any]]) -> Anchor | None:
    """A token attribute and values of which a doc must hold one for the pattern to match, or None.

    Every token spec that is not optional (no `OP`, or `+`) must match some token, so a spec that lists its
    values (`{"LOWER": {"IN": [...]}}`, `{"LOWER": "pump"}`, `{"ENT_ID": {"IN": [...]}, "OP": "+"}`) names
    values one of which the doc must contain, and a spec that is a regular expression over the lower-case
    text (`{"LOWER": {"REGEX": ...}}`) names one expression that some token must match. Of the listed values,
    the spec with the fewest is returned (the most selective); a regular expression only when nothing is
    listed. A pattern of only optional items has no anchor.
    """
    best: Anchor | None = None
    for spec in specs:
        if spec.get("OP", "+") != "+":
            continue
        for attribute in _TOKEN_ATTRIBUTES:
            value = spec.get(attribute)
            if isinstance(value, str):
                found: Anchor = (attribute, frozenset([value]))
            elif isinstance(value, dict) and set(value) == {"IN"}:
                found = (attribute, frozenset(value["IN"]))
            elif isinstance(value, dict) and set(value) == {REGEX} and attribute == "LOWER":
                found = (REGEX, frozenset([value[REGEX]]))
            else:
                continue
            if best is None or _selectivity(found) < _selectivity(best):
                best = found
    return best


def _selectivity(found: Anchor) -> tuple[bool, int]:
    """Lower is more selective: listed values before a regular expression, then the fewer values the better."""
    return (found[0] == REGEX, len(found[1]))


class SignalMatcher:
    """Every pattern of a detector, keyed by signal name, in anchored spaCy `Matcher`s and one `PhraseMatcher`.

    spaCy's token `Matcher` tries every pattern at every token, so its cost grows with the number of patterns:
    with all of them in one `Matcher`, the red-flag and dosing patterns cost 1.9 ms a message, thirteen times
    the spaCy pipeline itself (2026-12-07), and were the largest part of the Rasa server's work on a message.
    Most patterns cannot match most messages: each has an *anchor* (`anchor`), values of which a doc must hold
    one (a word, a terminology id or label, a regular expression some token matches in full). So the patterns
    are grouped by signal and anchor, each group in a `Matcher` of its own, and a doc runs only the groups whose
    anchor it holds, found through an index from each anchor value to its groups. Skipping a group whose anchor
    is absent changes no result: `unanchored` tries every pattern in one `Matcher`, as before, and
    tests/test_safety.py compares the two on every message of the safety sets and the evaluation set. Which
    regular expressions a word matches is computed once per word and remembered.

    Patterns that are only plain words without gaps ("de repente|golpe", "dolor de cabeza") go to a
    `PhraseMatcher`, which looks each phrase up by hash and costs about the same however many phrases it holds.
    """

    def __init__(self, vocab: Vocab, signals: Mapping[str, Sequence[str]]) -> None:
        """Compiles the patterns.

        Args:
            vocab: the vocabulary of the pipeline whose docs will be matched.
            signals: signal name -> patterns in the notation of this module.

        Raises:
            PatternError: naming the signal and pattern that cannot be compiled.
        """
        from spacy.matcher import Matcher, PhraseMatcher
        from spacy.tokens import Doc

        self._strings = vocab.strings
        self._phrases = PhraseMatcher(vocab, attr="LOWER")
        groups: dict[tuple[str, Anchor | None], list[list[dict[str, Any]]]] = {}
        for name, patterns in signals.items():
            fixed: list[Doc] = []
            for pattern in patterns:
                try:
                    specs = [fast_spec(spec) for spec in compile_pattern(pattern)]
                except PatternError as exc:
                    raise PatternError(f"signal {name}: {exc}") from exc
                words = phrases(specs)
                if words is None:
                    groups.setdefault((name, anchor(specs)), []).append(specs)
                else:
                    fixed.extend(Doc(vocab, words=sequence) for sequence in words)
            if fixed:
                self._phrases.add(name, fixed)
        self._vocab = vocab
        self._groups_compiled = [(name, specs_list) for (name, _anchor), specs_list in groups.items()]
        self._everything: Any = None  # every token pattern in one Matcher, built by `unanchored` for tests
        self._matchers: list[Any] = []
        self._always: list[int] = []  # groups without an anchor
        self._index: dict[tuple[str, str], list[int]] = {}  # (attribute, value) -> groups anchored on it
        for number, ((name, found), specs_list) in enumerate(groups.items()):
            matcher = Matcher(vocab)
            matcher.add(name, specs_list)
            self._matchers.append(matcher)
            if found is None:
                self._always.append(number)
                continue
            for value in found[1]:
                self._index.setdefault((found[0], value), []).append(number)
        self._regexes = [(pattern, re.compile(pattern)) for (kind, pattern) in self._index if kind == REGEX]
        self._matched: dict[str, tuple[tuple[str, str], ...]] = {}

    def _regex_keys(self, word: str) -> tuple[tuple[str, str], ...]:
        """The index keys of the anchor expressions `word` matches in full (computed once per word)."""
        keys = self._matched.get(word)
        if keys is None:
            keys = tuple((REGEX, pattern) for pattern, compiled in self._regexes if compiled.search(word))
            if len(self._matched) >= MAX_REMEMBERED_WORDS:
                self._matched.clear()
            self._matched[word] = keys
        return keys

    def _groups(self, doc: Doc) -> list[int]:
        """The groups whose anchor `doc` holds, and those without one, in the order they were compiled."""
        keys: set[tuple[str, str]] = set()
        for token in doc:
            for attribute, name in _TOKEN_ATTRIBUTES.items():
                keys.add((attribute, getattr(token, name)))
            keys.update(self._regex_keys(token.lower_))
        chosen = set(self._always)
        for key in keys:
            chosen.update(self._index.get(key, ()))
        return sorted(chosen)

    def __call__(self, doc: Doc) -> Signals:
        """The signals of one doc (which must come from the lower-cased text)."""
        return self._signals(doc, [self._matchers[number] for number in self._groups(doc)])

    def unanchored(self, doc: Doc) -> Signals:
        """The signals of one doc with every pattern tried, in one `Matcher`: what `__call__` must always give."""
        if self._everything is None:
            from spacy.matcher import Matcher

            self._everything = Matcher(self._vocab)
            for name, specs_list in self._groups_compiled:
                self._everything.add(name, specs_list)
        return self._signals(doc, [self._everything])

    def _signals(self, doc: Doc, matchers: Iterable[Any]) -> Signals:
        """The labels the given token matchers find, the phrase matcher's, and the terms the doc names."""
        labels = {self._strings[match[0]] for matcher in matchers for match in matcher(doc)}
        labels.update(self._strings[match_id] for match_id, _start, _end in self._phrases(doc))
        labels.update(f"{TERM_PREFIX}{ent.ent_id_}" for ent in doc.ents if ent.ent_id_)
        labels.update(f"{TERM_PREFIX}{ent.label_}" for ent in doc.ents)
        return Signals(frozenset(labels))


# "Mixes up her tablets" means confuses them; its "up" is not a request to raise a dose ("up my baclofen").
_MIX_UP = re.compile(r"\bmix(es|ed|ing)?((?: \w+)?) up\b")
# A word or a phrase of up to four words said three or more times in a row ("itb itb itb ...", "pump alarm pump
# alarm pump alarm") is read as said twice: the repeats add no meaning, and a run of one term made the red-flag
# matcher ten times slower than a normal message of the same length (255 ms against 22 ms at the 1,000-character
# cap; now about 1.5 ms: `python -m bench.safety_cost --hostile`).
_REPEATS = re.compile(r"\b((?:\w+[\W_]+){0,3}\w+)\b(?:[\W_]+\1\b){2,}")


def folded_text(text: str | None) -> str:
    """The `bot.text.SAFETY` form of a message, with "mix up" (confuse) read as "muddle".

    The form lower-cases, folds accents, straightens curly quotes and collapses whitespace, and keeps the
    Spanish opening marks ¿ and ¡ (the tokenizer splits them off, and "¿" marks a question). "Mixes up her
    tablets" is read "muddles her tablets", so its particle is not taken for a dose change ("up my baclofen").
    """
    return _MIX_UP.sub(r"muddle\2", in_form(text, SAFETY))


def detector_text(text: str | None) -> str:
    """The text the detectors read: `folded_text`, with a word or phrase said three times or more read twice.

    The repeats add no meaning, but a run of one term made the detectors ten times slower than a normal
    message of the same length (`_REPEATS`).
    """
    return _REPEATS.sub(r"\1 \1", folded_text(text))
