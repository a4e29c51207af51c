"""The numbers a reply gives for help (emergency, crisis, poison advice, a person to talk to), local to a deployment.

Unset, the bot names the US, UK and EU numbers in the words of `bot.wording` (English) and the US, Mexico and
Spain numbers in Spanish: exactly today's replies. A deployment elsewhere sets its own:

- `EMERGENCY_NUMBERS`, e.g. `Australia: 000; Lifeline: 13 11 14`: replaces the emergency numbers, and the crisis
  and poison lines too unless these have their own;
- `CRISIS_NUMBERS`, `POISON_NUMBERS` (optional, same format): the crisis lines and the poison-advice lines;
- `HUMAN_HELP_URL`, `HUMAN_HELP_PHONE`, `HUMAN_HELP_NAME` (optional): a person to talk to, offered after the
  give-up fallback and when someone asks for a person (`action_ask_human`).

How the numbers reach every reply: the bot builds and translates its replies with the default wording, and
`LocalNumbers.localise` swaps each default list for the configured one as the reply is turned into data
(`bot.replies.structure`), so the emergency, crisis and poison lines, the safe fallback, Telegram's own texts and
the scaled gateway's "can't answer right now" all say the same local numbers. The library's passages and the
emergency protocol's steps do not spell the numbers out: they say `{emergency_numbers}`, `{crisis_lines}` or
`{poison_help}` (content/README.md), filled by `LocalNumbers.fill` when a reply is built, so what is stored and
indexed never holds a phone number. Every reply's data lists the phone numbers its text gives (`phones`), with
what to call each one, so the website widget makes them `tel:` links without guessing numbers from text.

Values are checked when the settings are read (`bot.config.Settings.from_env`): the launcher, every Rasa server
(`bot.rasa_server`) and the action server (`actions/__init__.py`) refuse to start with a bad one, naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlparse

from bot.language import Lang
from bot.wording import (
    CRISIS_LINE_LIST,
    EMERGENCY_NUMBER_LIST,
    ES_CRISIS_LINE_LIST,
    ES_EMERGENCY_NUMBER_LIST,
    ES_POISON_HELP_LIST,
    POISON_HELP_LIST,
    TABLES,
)

Kind = Literal["emergency", "crisis", "poison"]
KINDS: tuple[Kind, ...] = ("emergency", "crisis", "poison")
LANGS: tuple[Lang, ...] = ("en", "es")

# What passages and protocol steps write where a reply gives the numbers; nothing else in braces is allowed.
PLACEHOLDERS: dict[str, Kind] = {
    "emergency_numbers": "emergency",
    "crisis_lines": "crisis",
    "poison_help": "poison",
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# A number people dial: digits, spaces and hyphens, a leading + for an international number.
_NUMBER = re.compile(r"\+?[0-9](?:[0-9 -]*[0-9])?")
MAX_LABEL = 80


@dataclass(frozen=True)
class Phone:
    """A number a reply gives, and what it is: "000" for "Australia", "13 11 14" for "Lifeline"."""

    label: str
    number: str

    @property
    def tel(self) -> str:
        """The `tel:` URI that dials it: the digits, and a leading + if the number has one."""
        return "tel:" + re.sub(r"[^0-9+]", "", self.number)

    def written(self) -> str:
        """How a configured number is written in a reply, in every language: "000 (Australia)"."""
        return f"{self.number} ({self.label})"

    def call(self, lang: Lang) -> str:
        """What pressing it does, for screen readers: "Call 000 (Australia)"."""
        return TABLES[lang]["call_phone"].format(number=self.number, label=self.label)


# The default lists (the words of `bot.wording`) and the numbers each one gives, per language.
DEFAULT_LINES: dict[tuple[Kind, Lang], str] = {
    ("emergency", "en"): EMERGENCY_NUMBER_LIST,
    ("crisis", "en"): CRISIS_LINE_LIST,
    ("poison", "en"): POISON_HELP_LIST,
    ("emergency", "es"): ES_EMERGENCY_NUMBER_LIST,
    ("crisis", "es"): ES_CRISIS_LINE_LIST,
    ("poison", "es"): ES_POISON_HELP_LIST,
}
DEFAULT_PHONES: dict[tuple[Kind, Lang], tuple[Phone, ...]] = {
    ("emergency", "en"): (Phone("US", "911"), Phone("UK", "999"), Phone("EU", "112")),
    ("crisis", "en"): (Phone("US", "988"), Phone("Samaritans, UK", "116 123"), Phone("EU", "112")),
    ("poison", "en"): (
        Phone("Poison Help, US", "1-800-222-1222"),
        Phone("NHS 111, UK", "111"),
        Phone("UK", "999"),
        Phone("EU", "112"),
    ),
    ("emergency", "es"): (Phone("EE. UU. y México", "911"), Phone("España y la Unión Europea", "112")),
    ("crisis", "es"): (
        Phone("EE. UU.", "988"),
        Phone("España", "024"),
        Phone("Línea de la Vida, México", "800 911 2000"),
    ),
    ("poison", "es"): (
        Phone("Poison Help, EE. UU.", "1-800-222-1222"),
        Phone("España o México", "112"),
        Phone("España o México", "911"),
    ),
}
# How a configured list is written for each kind: the emergency sentence already says "call emergency services".
_LOCAL_TEMPLATE: dict[Kind, str | None] = {"emergency": None, "crisis": "local_crisis", "poison": "local_poison"}


def check_number(number: str, name: str) -> str:
    """A phone number as configured, stripped, or a `ValueError` that says what is wrong with it."""
    number = number.strip()
    if not _NUMBER.fullmatch(number):
        raise ValueError(
            f"{name}: {number!r} is not a phone number (digits, spaces and hyphens only, with a leading + for an "
            "international number)"
        )
    return number


def parse_numbers(value: str, name: str = "EMERGENCY_NUMBERS") -> tuple[Phone, ...]:
    """Reads "Label: number; Label: number" (empty: none configured, the default lists apply).

    Args:
        value: the setting as written, e.g. "Australia: 000; Lifeline: 13 11 14".
        name: the setting's name, for the error.

    Raises:
        ValueError: naming the setting and the entry that is wrong, and why.
    """
    if not value.strip():
        return ()
    phones: list[Phone] = []
    for index, entry in enumerate(value.split(";"), start=1):
        label, colon, number = entry.rpartition(":")
        where = f"{name} entry {index} ({entry.strip()!r})"
        if not entry.strip():
            raise ValueError(f"{where} is empty: write 'Label: number', entries separated by ';'")
        if not colon:
            raise ValueError(f"{where} has no ':': write it as 'Label: number', e.g. 'Australia: 000'")
        label = " ".join(label.split())
        if not label:
            raise ValueError(f"{where} has no label before the ':': say whose number it is, e.g. 'Australia: 000'")
        if len(label) > MAX_LABEL:
            raise ValueError(f"{where} has a label longer than {MAX_LABEL} characters")
        phones.append(Phone(label, check_number(number, where)))
    return tuple(phones)


def check_url(url: str, name: str) -> str:
    """A web address people are sent to, or a `ValueError`: an absolute http(s) URL with a host."""
    url = url.strip()
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc or any(c.isspace() for c in url):
        raise ValueError(f"{name}: {url!r} is not a web address (an absolute http:// or https:// URL)")
    return url


@dataclass(frozen=True)
class HumanHelp:
    """A person to talk to: a web page, a phone number, or both, and whose they are."""

    url: str | None = None
    phone: str | None = None
    name: str | None = None

    def line(self, lang: Lang) -> str:
        """How to reach the person: "To talk to a person, contact the MS Society helpline: https://... or call ..."."""
        table = TABLES[lang]
        if self.url and self.phone:
            contact = table["contact_url_phone"].format(url=self.url, phone=self.phone)
        elif self.phone:
            contact = table["contact_phone"].format(phone=self.phone)
        else:
            contact = self.url or ""
        if self.name:
            return table["human_help_named"].format(name=self.name, contact=contact)
        return table["human_help_unnamed"].format(contact=contact)

    def phones(self, lang: Lang) -> tuple[Phone, ...]:
        """The phone number, labelled with whose it is."""
        if not self.phone:
            return ()
        return (Phone(self.name or TABLES[lang]["human_phone_label"], self.phone),)


@dataclass(frozen=True)
class LocalNumbers:
    """The configured numbers (empty lists: the defaults) and the person to talk to, if any.

    `crisis` and `poison` fall back to `emergency` when only that is configured: an operator who set their
    country's numbers never has the US, UK and EU lines shown next to them.
    """

    emergency: tuple[Phone, ...] = ()
    crisis: tuple[Phone, ...] = ()
    poison: tuple[Phone, ...] = ()
    human: HumanHelp | None = None

    def configured(self, kind: Kind) -> tuple[Phone, ...]:
        """The numbers configured for a kind of line (empty: the default list)."""
        if kind == "crisis":
            return self.crisis or self.emergency
        if kind == "poison":
            return self.poison or self.emergency
        return self.emergency

    def line(self, kind: Kind, lang: Lang) -> str:
        """The list a reply gives for a kind of line: the default words, or "000 (Australia), 13 11 14 (Lifeline)"."""
        phones = self.configured(kind)
        if not phones:
            return DEFAULT_LINES[(kind, lang)]
        numbers = ", ".join(p.written() for p in phones)
        template = _LOCAL_TEMPLATE[kind]
        return TABLES[lang][template].format(numbers=numbers) if template else numbers

    def localise(self, text: str) -> str:
        """The text with every default list of every language replaced by the configured one (else unchanged)."""
        swaps = [
            (DEFAULT_LINES[(kind, lang)], self.line(kind, lang))
            for kind in KINDS
            if self.configured(kind)
            for lang in LANGS
        ]
        for default, local in sorted(swaps, key=lambda pair: -len(pair[0])):  # a list may hold a shorter one
            text = text.replace(default, local)
        return text

    def fill(self, text: str, lang: Lang = "en") -> str:
        """Content text with its placeholders filled: `{emergency_numbers}` becomes the emergency list."""
        return _PLACEHOLDER.sub(
            lambda m: self.line(PLACEHOLDERS[m[1]], lang) if m[1] in PLACEHOLDERS else m[0],
            text,
        )

    def phones(self, text: str, lang: Lang = "en") -> tuple[Phone, ...]:
        """The phone numbers the text gives: those of every list it contains, and the person to talk to.

        Each number once, first label first; the `call` words of the person's phone are in `lang`.
        """
        found: dict[str, Phone] = {}
        for kind in KINDS:
            for list_lang in LANGS:
                if self.line(kind, list_lang) in text:
                    phones = self.configured(kind) or DEFAULT_PHONES[(kind, list_lang)]
                    for phone in phones:
                        found.setdefault(phone.number, phone)
        if self.human is not None:
            for phone in self.human.phones(lang):
                if phone.number in text:
                    found.setdefault(phone.number, phone)
        return tuple(found.values())

    def human_help_line(self, lang: Lang = "en") -> str:
        """How to reach a person, or "" when nobody is configured."""
        return self.human.line(lang) if self.human else ""

    def translations(self, lang: Lang) -> list[tuple[str, str]]:
        """(English, `lang`) pairs of the configured lines `bot.localise` translates like fixed wording."""
        if self.human is None or lang == "en":
            return []
        return [(self.human.line("en"), self.human.line(lang))]


DEFAULT = LocalNumbers()


# The emergency, crisis and poison numbers of the default lists: content that wrote one out would show it to
# every deployment, whatever its country, so content names them only through the placeholders.
_LITERAL = re.compile(r"(?<![\d-])(?:911|999|112|988|116 123|1-800-222-1222|800 911 2000)(?![\d-])")


def placeholder_problems(text: str) -> list[str]:
    """What is wrong with a content text's numbers: unknown placeholders, stray braces, numbers written out."""
    problems = [
        f"the number {number} written out: write {{emergency_numbers}}, {{crisis_lines}} or {{poison_help}} "
        "instead, so that each deployment shows its own numbers"
        for number in dict.fromkeys(_LITERAL.findall(text))
    ]
    problems += [
        f"unknown placeholder {{{name}}}: use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
        for name in _PLACEHOLDER.findall(text)
        if name not in PLACEHOLDERS
    ]
    if _PLACEHOLDER.sub("", text).count("{") or _PLACEHOLDER.sub("", text).count("}"):
        problems.append("a '{' or '}' that is not part of a placeholder such as {emergency_numbers}")
    return problems


def from_settings(
    emergency: Iterable[Phone] = (),
    crisis: Iterable[Phone] = (),
    poison: Iterable[Phone] = (),
    human_url: str | None = None,
    human_phone: str | None = None,
    human_name: str | None = None,
) -> LocalNumbers:
    """The local numbers from checked settings values."""
    human = HumanHelp(human_url, human_phone, human_name) if human_url or human_phone else None
    return LocalNumbers(tuple(emergency), tuple(crisis), tuple(poison), human)


def local_numbers() -> LocalNumbers:
    """The process's local numbers, from its settings (read on first use, never at import)."""
    from bot.config import get_settings  # bot.config reads its values with this module's checks

    return get_settings().local_numbers
