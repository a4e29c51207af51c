"""A reply built in English, put into the conversation's language with the tables of `bot.wording`.

The service builds every reply in English from the constants of `bot.wording`, whose English table is made of
those very constants. `localise` swaps each English piece for its counterpart in the other language's table;
the emergency protocol's immediate steps come from the protocol's own `immediate_es`. An answer from the
library is announced as English. When the conversation's language is only guessed, an emergency reply is
bilingual (`bilingual`): Spanish first, then the whole English reply. `tests/test_wording.py` checks that no
English piece of a Spanish reply is left untranslated.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping

from bot.content.records import ProtocolEntry
from bot.emergency_numbers import LocalNumbers, local_numbers
from bot.language import Lang
from bot.replies import Button, Reply, ReplyKind
from bot.wording import ENGLISH, SPANISH, TABLES, is_template

# English pieces that make up replies, longest first (a piece may contain a shorter one). The domain's own
# responses (`utter_*`) are sent by Rasa in the right language and never appear in a reply built here;
# templates are filled before use (`bot.emergency_numbers`), so they never appear as they stand.
_PIECES = sorted(
    (
        k
        for k in ENGLISH
        if ENGLISH[k]
        and k not in {"helpful", "not_helpful", "sources_heading"}
        and not k.startswith("reason_")
        and not k.startswith("utter_")
        and not is_template(ENGLISH[k])
    ),
    key=lambda k: -len(ENGLISH[k]),
)
# Replies whose text is only fixed wording (no passage): nothing of them may stay in English.
NUMBERED = re.compile(r"^\d+\. ")
FIXED_KINDS = frozenset(
    {ReplyKind.INTRODUCTION, ReplyKind.MENU, ReplyKind.NO_ANSWER, ReplyKind.OUT_OF_SCOPE, ReplyKind.UNAVAILABLE}
    | {ReplyKind.CLARIFY, ReplyKind.GIVE_UP, ReplyKind.FEEDBACK, ReplyKind.HUMAN_HELP}
)


def _steps(protocol: Iterable[ProtocolEntry], numbers: LocalNumbers) -> list[tuple[str, str]]:
    """(English, Spanish) immediate steps, their placeholders filled as the reply's were (`bot.replies.cite`)."""
    pairs = []
    for entry in protocol:
        pairs += [
            (numbers.fill(en, "en"), numbers.fill(es, "es"))
            for en, es in zip(entry.immediate, entry.immediate_es, strict=False)
            if es
        ]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def _buttons(buttons: tuple[Button, ...], lang: Lang) -> tuple[Button, ...]:
    keys = ("helpful", "not_helpful", *(k for k in ENGLISH if k.startswith("reason_")))
    titles = {ENGLISH[k]: TABLES[lang][k] for k in keys}
    return tuple(dataclasses.replace(b, title=titles.get(b.title, b.title)) for b in buttons)


def localise(
    reply: Reply,
    lang: Lang,
    protocol: Mapping[str, ProtocolEntry] | None = None,
    passage_texts: Iterable[str] = (),
    numbers: LocalNumbers | None = None,
) -> Reply:
    """The reply in `lang`: fixed wording and the protocol's steps translated, passages marked as English.

    Args:
        reply: the reply as the service built it (in English).
        lang: the conversation's language.
        protocol: the emergency protocol (for the Spanish immediate steps).
        passage_texts: the texts of the reply's passages: in a safety reply the first is announced as English.
        numbers: the configured numbers and person to talk to (by default the deployment's): what filled the
            content's placeholders, and the configured lines translated like fixed wording.
    """
    if lang == "en":
        return reply
    local = local_numbers() if numbers is None else numbers
    table = TABLES[lang]
    body = reply.text
    if reply.kind in (ReplyKind.EMERGENCY,):
        first = next((t for t in (local.fill(t) for t in passage_texts) if t and t in body), None)
        if first is not None:
            body = body.replace(first, f"{table['in_english']}\n{first}", 1)
    steps = _steps((protocol or {}).values(), local)
    if steps:  # only the numbered lines of the steps block: a passage may share a step's words
        lines = body.split("\n")
        for n, line in enumerate(lines):
            if NUMBERED.match(line):
                for english, spanish in steps:
                    line = line.replace(english, spanish)
                lines[n] = line
        body = "\n".join(lines)
    for english, translated in local.translations(lang):
        body = body.replace(english, translated)
    for key in _PIECES:
        body = body.replace(ENGLISH[key], table[key])
    if reply.kind == ReplyKind.ANSWER:
        body = f"{table['english_only']}\n{body}"
    return dataclasses.replace(reply, text=body, buttons=_buttons(reply.buttons, lang))


def bilingual(
    reply: Reply, protocol: Mapping[str, ProtocolEntry] | None = None, passage_texts: Iterable[str] = ()
) -> Reply:
    """An emergency reply for a conversation whose language is only guessed: Spanish, then the whole English."""
    spanish = localise(reply, "es", protocol, passage_texts)
    body = f"{spanish.text}\n{SPANISH['in_english']}\n{reply.text}"
    return dataclasses.replace(reply, text=body)
