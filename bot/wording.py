"""What the bot says in fixed words, in English and in Spanish: one table per language, the same keys in both.

The library's passages are in English for now. A Spanish-speaking person still gets in Spanish everything that
keeps them safe or tells them what is happening: the emergency numbers for their country and what to do now,
the crisis lines, the dosing refusal, the disclaimer, the introduction, the fallbacks and the scope statement.
An answer from the library comes with a Spanish note that it is in English, so nobody mistakes it for a
Spanish text they misread.

The service builds every reply in English from the constants below (and the safety wording in `bot.replies`);
the English table is made of those very constants. `localise` then swaps each
English piece for its Spanish counterpart; the emergency protocol's immediate steps come from the protocol's
own `immediate_es`. `tests/test_wording.py` checks that both tables have the same keys and that no English
piece of a Spanish reply is left untranslated.

When the conversation's language is only guessed, an emergency reply is bilingual: Spanish first, then the
whole English reply.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping

from bot.content.records import ProtocolEntry
from bot.language import Lang
from bot.replies import (
    CRISIS_LINES,
    DISCLAIMER,
    EMERGENCY_NUMBERS,
    EMERGENCY_SHORT,
    FEEDBACK_BUTTONS,
    IMMEDIATE_HEADING,
    POISON_HELP,
    SOURCES_HEADING,
    Button,
    Reply,
    ReplyKind,
)

# The English wording of the service's own replies (bot.service, bot.conversation, bot.safety_replies).
AFTER_EMERGENCY = "About your question:"

INTRODUCTION = (
    "Hello! I'm an automated assistant, not a doctor or nurse. I explain spasticity and its treatments "
    "using trusted health sources, and I show where each answer comes from. I can't advise on your own "
    "doses or treatment. Ask me a question in your own words, or choose a topic below."
)

RESTARTED = "Starting again: I've forgotten what we talked about."

NO_ANSWER = (
    "I'm sorry, I don't have a good answer to that in my library. You could try asking in other words, "
    "or choose one of these topics."
)

OUT_OF_SCOPE = (
    "I can only help with spasticity: what it is, what causes it or makes it worse, and how its treatments "
    "work, such as stretching, splints, medicines, botulinum toxin, the baclofen pump and surgery. "
    "Here are some topics I can help with."
)

DOSING_REFUSAL = (
    "I can't give advice about your own medicine or dose: how much to take, or whether to change, skip, "
    "double, stop or restart it, or mix it with other medicines. Your prescriber or pharmacist knows your "
    "health and your other medicines, so please ask them; many clinics and pharmacies have a phone line "
    "for this."
)

DOSING_GENERAL = "Here is some general information that may help you talk it through with them:"

MENU = "Here are the main topics I can help with. Choose one, or type your question in your own words."

UNAVAILABLE = (
    "I'm sorry, I can't reach my library right now, so I can't answer safely. Please try again in a few "
    f"minutes. If you need help now, contact your care team. {EMERGENCY_SHORT} {CRISIS_LINES}"
)

TRUNCATED_NOTE = "Your message was very long, so I read only the first part of it."

CLARIFY = "I'm not sure I understood. Is your question about one of these? You can also ask it in other words."

GIVE_UP = (
    "I'm sorry, I still can't work out what you need, and I'd rather not guess about your health. You could "
    'choose one of the main topics below, or write a short question such as "what is a baclofen pump?". For '
    "anything about your own care, your doctor, nurse, therapist or pharmacist is the best person to ask."
)

THANKS_HELPFUL = "Thank you for telling me. I'm glad it helped. Is there anything else you'd like to know?"

THANKS_NOT_HELPFUL = (
    "Thank you for telling me; the people who write my library will see that this answer did not help. You "
    "could ask in other words, or choose a topic below."
)
NOTHING_MORE = (
    "That is all my library has on this. You could ask about another part of it in your own words, or choose "
    "one of these topics."
)

ENGLISH: dict[str, str] = {
    "disclaimer": DISCLAIMER,
    "sources_heading": SOURCES_HEADING,
    "emergency_numbers": EMERGENCY_NUMBERS,
    "emergency_short": EMERGENCY_SHORT,
    "crisis_lines": CRISIS_LINES,
    "poison_help": POISON_HELP,
    "immediate_heading": IMMEDIATE_HEADING,
    "after_emergency": AFTER_EMERGENCY,
    "introduction": INTRODUCTION,
    "restarted": RESTARTED,
    "no_answer": NO_ANSWER,
    "out_of_scope": OUT_OF_SCOPE,
    "dosing_refusal": DOSING_REFUSAL,
    "dosing_general": DOSING_GENERAL,
    "menu": MENU,
    "unavailable": UNAVAILABLE,
    "truncated_note": TRUNCATED_NOTE,
    "clarify": CLARIFY,
    "give_up": GIVE_UP,
    "thanks_helpful": THANKS_HELPFUL,
    "thanks_not_helpful": THANKS_NOT_HELPFUL,
    "nothing_more": NOTHING_MORE,
    "english_only": "",
    "in_english": "In English:",
    "helpful": FEEDBACK_BUTTONS[0].title,
    "not_helpful": FEEDBACK_BUTTONS[1].title,
    "language_chosen": "OK, I'll answer in English from now on.",
}

_ES_NUMBERS = "911 en EE. UU. y en México, 112 en España y en toda la Unión Europea"
_ES_CRISIS = (
    "en EE. UU. llame al 988 y marque 2 para hablar en español, o envíe la palabra AYUDA por mensaje de texto al "
    "988; en España llame al 024; en México llame a la Línea de la Vida, 800 911 2000"
)

SPANISH: dict[str, str] = {
    "disclaimer": (
        "Esta es información general, no un consejo médico. Hable con su médico, enfermera, terapeuta o "
        "farmacéutico sobre su caso, y nunca empiece, deje ni cambie un tratamiento sin hablarlo con ellos."
    ),
    "sources_heading": "Fuentes:",
    "emergency_numbers": (
        f"Si esto está pasando ahora, llame ya a los servicios de emergencia: {_ES_NUMBERS}. "
        "No espere una respuesta aquí."
    ),
    "emergency_short": f"En una emergencia, llame a los servicios de emergencia: {_ES_NUMBERS}.",
    "crisis_lines": (
        "Si está pensando en el suicidio o en hacerse daño, no está solo o sola, y hay ayuda ahora mismo: "
        f"{_ES_CRISIS}."
    ),
    "poison_help": (
        "Si alguien tomó demasiado de un medicamento por error y parece estar bien, pida consejo ahora: en EE. UU. "
        "llame a Poison Help, 1-800-222-1222 (atienden en español); en España o en México, llame al 112 o al 911."
    ),
    "immediate_heading": "Qué hacer ahora:",
    "after_emergency": "Sobre su pregunta (en inglés):",
    "introduction": (
        "¡Hola! Soy un asistente automático, no un médico ni una enfermera. Explico la espasticidad y sus "
        "tratamientos con información de fuentes de salud fiables, y muestro de dónde viene cada respuesta. Por "
        "ahora mi biblioteca está en inglés: le diré en español lo más importante y le mostraré la información en "
        "inglés. No puedo aconsejarle sobre sus propias dosis ni su tratamiento. Escriba su pregunta con sus "
        "palabras o elija un tema."
    ),
    "restarted": "Empezamos de nuevo: he olvidado lo que hablamos.",
    "no_answer": (
        "Lo siento, no tengo una buena respuesta a eso en mi biblioteca. Puede preguntarlo con otras palabras o "
        "elegir uno de estos temas (en inglés)."
    ),
    "out_of_scope": (
        "Solo puedo ayudar con la espasticidad: qué es, qué la causa o la empeora, y cómo funcionan sus "
        "tratamientos, como los estiramientos, las férulas, los medicamentos, la toxina botulínica, la bomba de "
        "baclofeno y la cirugía. Estos son algunos temas con los que puedo ayudar (en inglés)."
    ),
    "dosing_refusal": (
        "No puedo aconsejarle sobre su propio medicamento o su dosis: cuánto tomar, ni si cambiarlo, saltarse una "
        "toma, duplicarlo, dejarlo, volver a empezarlo o mezclarlo con otros medicamentos. Quien se lo recetó o su "
        "farmacéutico conocen su salud y sus otros medicamentos: pregúnteles a ellos; muchas clínicas y farmacias "
        "tienen una línea telefónica para esto."
    ),
    "dosing_general": "Esta información general (en inglés) puede ayudarle a hablarlo con ellos:",
    "menu": "Estos son los temas principales (en inglés). Elija uno o escriba su pregunta con sus palabras.",
    "unavailable": (
        "Lo siento, ahora no puedo consultar mi biblioteca, así que no puedo responder con seguridad. Inténtelo "
        "de nuevo en unos minutos. Si necesita ayuda ahora, contacte con su equipo médico. "
        f"En una emergencia, llame a los servicios de emergencia: {_ES_NUMBERS}. Si está pensando en el suicidio "
        f"o en hacerse daño, no está solo o sola, y hay ayuda ahora mismo: {_ES_CRISIS}."
    ),
    "truncated_note": "Su mensaje era muy largo, así que solo leí la primera parte.",
    "clarify": "No estoy seguro de haberle entendido. ¿Su pregunta es sobre uno de estos temas? También puede "
    "preguntarlo con otras palabras.",
    "give_up": (
        "Lo siento, sigo sin entender qué necesita, y prefiero no adivinar sobre su salud. Puede elegir uno de "
        'los temas principales o escribir una pregunta corta, como "¿qué es una bomba de baclofeno?". Para todo '
        "lo que tenga que ver con su propio cuidado, lo mejor es preguntar a su médico, enfermera, terapeuta o "
        "farmacéutico."
    ),
    "thanks_helpful": "Gracias por decírmelo. Me alegra que le haya servido. ¿Hay algo más que quiera saber?",
    "thanks_not_helpful": (
        "Gracias por decírmelo; quienes escriben mi biblioteca verán que esta respuesta no le sirvió. Puede "
        "preguntarlo con otras palabras o elegir un tema."
    ),
    "nothing_more": (
        "Eso es todo lo que mi biblioteca tiene sobre esto. Puede preguntar por otro aspecto con sus palabras o "
        "elegir uno de estos temas."
    ),
    "english_only": "Todavía no tengo esta información en español. Esta es la respuesta en inglés:",
    "in_english": "En inglés:",
    "helpful": "Me sirvió",
    "not_helpful": "No me sirvió",
    "language_chosen": "De acuerdo, a partir de ahora le respondo en español.",
}

TABLES: dict[Lang, dict[str, str]] = {"en": ENGLISH, "es": SPANISH}

# English pieces that make up replies, longest first (a piece may contain a shorter one).
_PIECES = sorted(
    (k for k in ENGLISH if ENGLISH[k] and k not in {"helpful", "not_helpful", "sources_heading"}),
    key=lambda k: -len(ENGLISH[k]),
)
# Replies whose text is only fixed wording (no passage): nothing of them may stay in English.
NUMBERED = re.compile(r"^\d+\. ")
FIXED_KINDS = frozenset(
    {ReplyKind.INTRODUCTION, ReplyKind.MENU, ReplyKind.NO_ANSWER, ReplyKind.OUT_OF_SCOPE, ReplyKind.UNAVAILABLE}
    | {ReplyKind.CLARIFY, ReplyKind.GIVE_UP, ReplyKind.FEEDBACK}
)


def text(key: str, lang: Lang) -> str:
    """One fixed text in a language."""
    return TABLES[lang][key]


def _steps(protocol: Iterable[ProtocolEntry]) -> list[tuple[str, str]]:
    pairs = []
    for entry in protocol:
        pairs += [(en, es) for en, es in zip(entry.immediate, entry.immediate_es, strict=False) if es]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def _buttons(buttons: tuple[Button, ...], lang: Lang) -> tuple[Button, ...]:
    titles = {ENGLISH["helpful"]: TABLES[lang]["helpful"], ENGLISH["not_helpful"]: TABLES[lang]["not_helpful"]}
    return tuple(dataclasses.replace(b, title=titles.get(b.title, b.title)) for b in buttons)


def render_words(lang: Lang) -> dict[str, str]:
    """The disclaimer and the sources heading for `bot.replies.render` in a language."""
    return {"disclaimer": TABLES[lang]["disclaimer"], "sources_heading": TABLES[lang]["sources_heading"]}


def localise(
    reply: Reply,
    lang: Lang,
    protocol: Mapping[str, ProtocolEntry] | None = None,
    passage_texts: Iterable[str] = (),
) -> Reply:
    """The reply in `lang`: fixed wording and the protocol's steps translated, passages marked as English.

    Args:
        reply: the reply as the service built it (in English).
        lang: the conversation's language.
        protocol: the emergency protocol (for the Spanish immediate steps).
        passage_texts: the texts of the reply's passages: in a safety reply the first is announced as English.
    """
    if lang == "en":
        return reply
    table = TABLES[lang]
    body = reply.text
    if reply.kind in (ReplyKind.EMERGENCY,):
        first = next((t for t in passage_texts if t and t in body), None)
        if first is not None:
            body = body.replace(first, f"{table['in_english']}\n{first}", 1)
    steps = _steps((protocol or {}).values())
    if steps:  # only the numbered lines of the steps block: a passage may share a step's words
        lines = body.split("\n")
        for n, line in enumerate(lines):
            if NUMBERED.match(line):
                for english, spanish in steps:
                    line = line.replace(english, spanish)
                lines[n] = line
        body = "\n".join(lines)
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
