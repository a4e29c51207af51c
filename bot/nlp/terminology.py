"""The terminology file: therapies, brand names, conditions and symptoms, with the words patients use.

`content/terminology.yml` is the single source of the project's vocabulary. The spaCy entity ruler is
generated from it (so Rasa's entities carry canonical ids) and retrieval replaces every mention with the
term's id (so "Lioresal", "bac pump" and "botox shots" find the right passages).

Besides therapies, conditions and symptoms, the file holds lay word groups (label `WORD`): everyday words
for an idea the library writes differently ("wine", "booze" for alcohol; "op" for operation). They are
tokens for retrieval only: Rasa's entity extractor is limited to the three entity labels, so they never
become entities or slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.constants import TERM_ENTITY_LABELS

TERMINOLOGY_FILE = "terminology.yml"
# Lay word groups: matched and replaced by their id for retrieval, but not entities for Rasa.
WORD_LABEL = "WORD"
TERM_LABELS = (*TERM_ENTITY_LABELS, WORD_LABEL)


class TerminologyError(ValueError):
    """The terminology file is invalid; the message lists every problem."""


@dataclass(frozen=True)
class Term:
    """One concept with its canonical id and every phrase that names it."""

    id: str
    label: str
    name: str
    synonyms: tuple[str, ...]
    topic: str | None = None
    # A wider term this one belongs to ("tizanidine" is one of the "anti-spasticity medicines"): a passage about
    # the wider group (mixing spasticity medicines with alcohol) also answers about this one.
    broader: str | None = None

    def phrases(self) -> list[str]:
        """The phrases written in the file (name and synonyms), lower-cased and de-duplicated."""
        seen: dict[str, None] = {}
        for phrase in (self.name, *self.synonyms):
            base = " ".join(phrase.lower().split())
            if base:
                seen.setdefault(base, None)
        return list(seen)

    def variants(self) -> list[str]:
        """Simple plural and singular variants of the phrases, so editors need not list both.

        Examples:
            "botox shot" yields "botox shots"; "spasms" yields "spasm"; "stiffness" yields nothing.
        """
        result: list[str] = []
        for phrase in self.phrases():
            last = phrase.rsplit(" ", 1)[-1]
            if not last.isalpha() or len(last) <= 3:
                continue
            if last.endswith("s") and not last.endswith("ss"):
                result.append(phrase[:-1])
            elif not last.endswith("s"):
                result.append(phrase + "s")
        return result


def parse_terms(data: Any, source: str = TERMINOLOGY_FILE, topics: set[str] | None = None) -> list[Term]:
    """Validates the parsed YAML of a terminology file.

    Args:
        data: the parsed YAML (a mapping with a `terms` list).
        source: the file name, for messages.
        topics: known topic ids; when given, a term's topic must be one of them.

    Raises:
        TerminologyError: listing every problem.
    """
    problems: list[str] = []
    items = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise TerminologyError(f"{source}: expected a top-level 'terms:' list")
    terms: list[Term] = []
    owners: dict[str, str] = {}
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not str(item.get("id", "")).strip():
            problems.append(f"{source}: item {index}: missing 'id'")
            continue
        ident = str(item["id"]).strip()
        label = str(item.get("label", "")).strip()
        if label not in TERM_LABELS:
            problems.append(f"{source}: {ident}: label must be one of {', '.join(TERM_LABELS)}")
        topic = item.get("topic")
        if topic is not None and topics is not None and topic not in topics:
            problems.append(f"{source}: {ident}: unknown topic {topic!r}")
        synonyms = item.get("synonyms") or []
        if not isinstance(synonyms, list):
            problems.append(f"{source}: {ident}: 'synonyms' must be a list")
            synonyms = []
        term = Term(
            id=ident,
            label=label,
            name=str(item.get("name") or ident),
            synonyms=tuple(str(s) for s in synonyms if str(s).strip()),
            topic=str(topic) if topic else None,
            broader=str(item["broader"]) if item.get("broader") else None,
        )
        if ident in {t.id for t in terms}:
            problems.append(f"{source}: {ident}: duplicate id")
        for phrase in term.phrases():
            owner = owners.setdefault(phrase, ident)
            if owner != ident:
                problems.append(f"{source}: {ident}: phrase {phrase!r} already belongs to {owner}")
        terms.append(term)
    known = {t.id for t in terms}
    problems += [
        f"{source}: {t.id}: unknown broader term {t.broader!r}" for t in terms if t.broader and t.broader not in known
    ]
    if problems:
        raise TerminologyError("\n".join(problems))
    return terms


def load_terms(path: Path, topics: set[str] | None = None) -> list[Term]:
    """Reads and validates a terminology file."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return parse_terms(data, path.name, topics)


def phrase_table(terms: list[Term]) -> dict[str, Term]:
    """Maps every phrase to its term: written phrases first, then variants no other term has claimed."""
    table: dict[str, Term] = {}
    for term in terms:
        for phrase in term.phrases():
            table.setdefault(phrase, term)
    for term in terms:
        for phrase in term.variants():
            table.setdefault(phrase, term)
    return table


def entity_patterns(terms: list[Term]) -> list[dict[str, str]]:
    """Entity-ruler phrase patterns; each carries the term id, which spaCy exposes as `ent.ent_id_`."""
    return [{"label": term.label, "pattern": phrase, "id": term.id} for phrase, term in phrase_table(terms).items()]
