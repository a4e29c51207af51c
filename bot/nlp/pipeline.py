"""The project's own spaCy pipeline, and the text analysis that Rasa and retrieval share.

No pretrained spaCy model can be downloaded here, so the pipeline is built from `spacy.blank("en")`, the
lookup lemmatizer (tables from `spacy-lookups-data`) and an entity ruler generated from the terminology file.
Rasa's `SpacyNLP` loads the built folder, and `TextAnalyser` uses the very same folder, so NLU entities and
retrieval see identical terms.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.nlp.terminology import WORD_LABEL, Term, entity_patterns

if TYPE_CHECKING:
    from spacy.language import Language

PIPELINE_NAME = "spasticity_en"
PIPELINE_VERSION = "1.0.0"
FINGERPRINT_FILE = "fingerprint.txt"


def build_pipeline(terms: list[Term]) -> Language:
    """Builds the pipeline in memory: tokenizer, lookup lemmatizer, terminology entity ruler."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    # initialize() loads the lemma lookup table from spacy-lookups-data; patterns are added after it so
    # that initialisation cannot reset them.
    nlp.initialize()
    ruler.add_patterns(entity_patterns(terms))  # type: ignore[attr-defined]
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = PIPELINE_VERSION
    nlp.meta["description"] = "Tokenizer, lookup lemmatizer and terminology entity ruler for the spasticity bot"
    nlp.meta["license"] = "MIT"
    return nlp


def terms_fingerprint(terms: list[Term]) -> str:
    """A hash of the terminology and the builder version: the build is redone only when it changes."""
    payload = json.dumps(
        {"version": PIPELINE_VERSION, "patterns": entity_patterns(terms)}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def save_pipeline(terms: list[Term], out_dir: Path) -> bool:
    """Builds and writes the pipeline unless the same one is already there.

    Returns:
        True when it was (re)built, False when the existing build was up to date.
    """
    fingerprint = terms_fingerprint(terms)
    marker = out_dir / FINGERPRINT_FILE
    if marker.is_file() and marker.read_text().strip() == fingerprint and (out_dir / "meta.json").is_file():
        return False
    nlp = build_pipeline(terms)
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    marker.write_text(fingerprint + "\n")
    return True


@lru_cache(maxsize=4)
def load_pipeline(path: str) -> Language:
    """Loads a built pipeline once per process."""
    import spacy

    if not (Path(path) / "meta.json").is_file():
        raise FileNotFoundError(f"No spaCy pipeline at {path}: run `make pipeline` to build it.")
    return spacy.load(path)


# Conversational filler that spaCy's stop list lacks: it says nothing about what is asked, and counted as
# content it would lower the score of every long, chatty question ("my neuro actually told me, can you
# explain simply...").
FILLER_LEMMAS = frozenset(
    [
        "actually",
        "honestly",
        "basically",
        "literally",
        "really",
        "simply",
        "simple",
        "just",
        "wonder",
        "ask",
        "tell",
        "say",
        "mention",
        "explain",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "please",
        "sorry",
        "bother",
        "okay",
        "ok",
        "yeah",
        "yes",
        "question",
        "thing",
        "stuff",
        "lot",
        "bit",
        "kind",
        "sort",
    ]
)


# Words in spaCy's English stop list that carry meaning in questions about spasticity and its treatments
# ("side effects", "back pain", "a full bladder", "how often", "how long does it last", "taken together").
NEGATIONS = frozenset({"n't", "n’t", "not"})
KEPT_STOP_WORDS = frozenset(
    {
        *("side", "back", "front", "move", "call", "often", "last", "first", "serious", "full", "empty"),
        *("together", "enough", "alone", "several", "again", "never", "always", "used", "use"),
    }
)


@dataclass(frozen=True)
class Mention:
    """A term found in a text."""

    term_id: str
    label: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Analysis:
    """A text reduced to what retrieval compares: content-word lemmas and canonical term ids."""

    tokens: tuple[str, ...]
    mentions: tuple[Mention, ...]

    def term_ids(self, *labels: str) -> list[str]:
        """Ids of the terms mentioned, optionally only those with the given labels, in order, once each.

        Without labels, lay word groups (`WORD`) are left out: they are vocabulary, not a therapy,
        condition or symptom the conversation could be about.
        """
        wanted = set(labels)
        found = [m.term_id for m in self.mentions if (m.label in wanted if wanted else m.label != WORD_LABEL)]
        return list(dict.fromkeys(found))


class TextAnalyser:
    """Normalises text with the project's pipeline: lower case, lemmas, no stop words or filler, terms as ids."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self._aliases: dict[str, str] | None = None

    @classmethod
    def from_path(cls, path: Path) -> TextAnalyser:
        """An analyser over the built pipeline at `path` (loaded once per process)."""
        return cls(load_pipeline(str(path)))

    def term_aliases(self) -> dict[str, str]:
        """Single words that name a term ("lioresal", "zanaflex", "spazzy"), each with the term's id.

        Retrieval corrects misspelt query words towards these as well as towards the indexed words, so
        "lioresl" still finds baclofen. They are read from the entity ruler, which holds every phrase of
        the terminology with its id.
        """
        if self._aliases is None:
            aliases: dict[str, str] = {}
            if "entity_ruler" in self.nlp.pipe_names:
                for pattern in self.nlp.get_pipe("entity_ruler").patterns:  # type: ignore[attr-defined]
                    phrase, term_id = pattern.get("pattern"), pattern.get("id")
                    if pattern.get("label") == WORD_LABEL:
                        continue  # everyday words, not a sign that the question is about spasticity
                    if isinstance(phrase, str) and term_id and phrase.isalpha():
                        aliases.setdefault(phrase.lower(), str(term_id))
            self._aliases = aliases
        return self._aliases

    def analyse(self, text: str) -> Analysis:
        """Tokens and mentions of one text."""
        return self._from_doc(self.nlp(text.lower()))

    def analyse_many(self, texts: list[str]) -> list[Analysis]:
        """The same for many texts, batched through the pipeline."""
        return [self._from_doc(doc) for doc in self.nlp.pipe([t.lower() for t in texts], batch_size=256)]

    @staticmethod
    def _from_doc(doc: object) -> Analysis:
        tokens: list[str] = []
        mentions: list[Mention] = []
        ents = {ent.start: ent for ent in doc.ents}  # type: ignore[attr-defined]
        index = 0
        words = list(doc)  # type: ignore[call-overload]
        while index < len(words):
            ent = ents.get(index)
            if ent is not None:
                term_id = ent.ent_id_ or ent.text
                tokens.append(term_id)
                mentions.append(Mention(term_id, ent.label_, ent.text, ent.start_char, ent.end_char))
                index = ent.end
                continue
            token = words[index]
            index += 1
            if token.is_punct or token.is_space or not token.text.strip():
                continue
            if token.lower_ in NEGATIONS:
                # "shouldn't" splits into "should" and "n't", both stop words, while "shouldnt" keeps "not":
                # "who shouldn't have it" asked nothing at all. The negation is kept the same way for both.
                tokens.append("not")
                continue
            if token.is_stop and token.lower_ not in KEPT_STOP_WORDS:
                continue
            lemma = (token.lemma_ or token.text).lower()
            # A lone letter is what is left of a contraction typed without its apostrophe ("whats" -> "what",
            # "s"): it carries no meaning, but as a known word of the index it let "whats spasticity" rank the
            # passages with most "'s" first.
            if lemma and lemma not in FILLER_LEMMAS and not (len(lemma) == 1 and lemma.isalpha()):
                tokens.append(lemma)
        return Analysis(tokens=tuple(tokens), mentions=tuple(mentions))
