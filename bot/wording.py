"""Every fixed word the bot says to a person, in English and in Spanish: one table per language, the same keys.

This module is data only (it imports nothing of the bot's replies), so every other module can take its words
from here. What lives where:

- here: the disclaimer, the emergency and crisis numbers and the safety replies' fixed lines; the service's
  own replies (introduction, menu, fallbacks, scope, dosing refusal, ...); the small-talk replies of
  `domain.yml` (`utter_*`, which Rasa reads from the domain: `tests/test_wording.py` checks the domain says
  exactly what the tables say); and, English only, what the channels and the scaled gateway say on their own
  (Telegram's /help and notes, the widget's Socket.IO errors, the gateway's "can't answer right now");
- `bot/localise.py`: how a reply built in English is put into the conversation's language with these tables;
- `content/`: the library's passages and the emergency protocol's steps (`immediate_es` for Spanish);
- `widget/src`: the widget's own labels (send button, placeholder...), which whoever embeds it may configure.

The library's passages are in English for now. A Spanish-speaking person still gets in Spanish everything that
keeps them safe or tells them what is happening: the emergency numbers for their country and what to do now,
the crisis lines, the dosing refusal, the disclaimer, the introduction, the fallbacks and the scope statement.
An answer from the library comes with a Spanish note that it is in English, so nobody mistakes it for a
Spanish text they misread. `tests/test_wording.py` checks that both tables have the same keys.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from bot.language import Lang

# -- Safety wording, written once ----------------------------------------------------------------------------

DISCLAIMER = (
    "This is general information, not medical advice. Please talk to your own doctor, nurse, therapist or "
    "pharmacist about your situation, and never start, stop or change a treatment without them."
)

# The emergency and crisis numbers, written once: every text that gives them (replies, the unavailable
# messages, the channels' help and fallback texts) is built from these, so they are the same everywhere.
EMERGENCY_NUMBER_LIST = "911 in the US, 999 in the UK, 112 in the EU"
CRISIS_LINE_LIST = "call or text 988 in the US, call Samaritans free on 116 123 in the UK, or call 112 in the EU"
POISON_HELP_LIST = "Poison Help 1-800-222-1222 in the US, NHS 111 in the UK (999 if they are unwell), 112 in the EU"

EMERGENCY_NUMBERS = (
    f"If this is happening now, call emergency services straight away: {EMERGENCY_NUMBER_LIST}. "
    "Do not wait for a reply here."
)
# For texts that are not emergency replies (help, "I can't answer right now"): where to go if it is one.
EMERGENCY_SHORT = f"In an emergency, call emergency services: {EMERGENCY_NUMBER_LIST}."

CRISIS_LINES = (
    "If you are thinking about suicide or harming yourself, you are not alone and help is there now: "
    f"{CRISIS_LINE_LIST}."
)
# A medicine taken by mistake or too much, when the person seems well: advice now, before signs appear.
POISON_HELP = f"If someone took too much of a medicine by mistake and seems well, get advice now: {POISON_HELP_LIST}."
# Heads the numbered sources under a reply (in another language: `render_words`).
SOURCES_HEADING = "Sources:"
# Heads the protocol's immediate steps in a safety reply.
IMMEDIATE_HEADING = "What to do now:"

# Sent instead of a reply that cannot be rendered (a bug, never a person's doing; `bot.replies.SAFE_FALLBACK`):
# no medical content, where to get help now. English only: it must not depend on anything that could fail.
CANNOT_SHOW = (
    "I'm sorry, something went wrong on my side and I can't show that answer safely. Please ask again in a "
    f"moment. {EMERGENCY_SHORT} {CRISIS_LINES}"
)

# The feedback buttons offered after every answer (`bot.replies.FEEDBACK_BUTTONS`).
HELPFUL = "Helpful"
NOT_HELPFUL = "Not helpful"
# The optional reasons offered after "not helpful" (`bot.replies.REASON_BUTTONS`), by `bot.feedback.Reason`.
REASON_WRONG_TOPIC = "Wrong topic"
REASON_TOO_HARD = "Too hard to read"
REASON_OUT_OF_DATE = "Out of date"
REASON_OTHER = "Something else"

# -- The service's replies -----------------------------------------------------------------------------------

# bot.service, bot.conversation, bot.overview, bot.safety_replies.
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
    "Thank you for telling me; the people who write my library will see that this answer did not help. If "
    "you like, tell them what was wrong with one of the buttons below, or just ask in other words."
)
# After a reason for "not helpful" was chosen (optional: the person may ignore the reason buttons).
THANKS_REASON = (
    "Thank you, that helps the people who write my library. You could ask in other words, or choose a topic below."
)
NOTHING_MORE = (
    "That is all my library has on this. You could ask about another part of it in your own words, or choose "
    "one of these topics."
)

# -- English only: what the channels and the gateway say on their own --------------------------------------
# These are not (yet) in the tables: the Telegram channel, the widget's Socket.IO handlers and the gateway
# answer before any conversation (and so any language) is known.

# Telegram (bot/channels/telegram.py): /help, an unknown command, an expired button, a failed update.
TELEGRAM_HELP = (
    "I'm an automated assistant, not a doctor or nurse. I explain spasticity and its treatments using "
    "trusted health sources, and I show where each answer comes from.\n"
    "• Type a question in your own words, for example: what is a baclofen pump?\n"
    "• Or tap one of the topic buttons I send.\n"
    "• /topics shows the main topics; /restart starts a new conversation; /help shows this message.\n"
    "• /privacy says how our conversation is kept; /forget deletes it from my server.\n"
    "I can't advise on your own doses or treatment: please ask your care team about that.\n"
    f"{EMERGENCY_SHORT}"
)
# A sticker, photo, voice note...: `{what}` is one of `TELEGRAM_MEDIA_KINDS`.
TELEGRAM_MEDIA_NOTE = (
    "Thank you. I can only read text, so I can't open {what}. Please type your question in words, for "
    "example: what helps stiff legs in the morning?"
)
# Telegram message fields that carry something other than text, and how to name them in the note.
TELEGRAM_MEDIA_KINDS = {
    "sticker": "stickers",
    "photo": "photos",
    "voice": "voice notes",
    "video_note": "video messages",
    "audio": "audio files",
    "video": "videos",
    "animation": "GIFs",
    "document": "files",
    "location": "locations",
    "venue": "locations",
    "contact": "contacts",
    "poll": "polls",
    "dice": "dice",
}
TELEGRAM_UNKNOWN_COMMAND = "I don't know that command. Type your question in your own words, or send /help."
TELEGRAM_EXPIRED_BUTTON = "This button has expired. Please type your question instead."
TELEGRAM_SORRY = (
    f"I'm sorry, something went wrong on my side. Please try again in a moment. {EMERGENCY_SHORT} {CRISIS_LINES}"
)
# Telegram needs some text to hang a keyboard under, when a message has buttons and nothing else.
TELEGRAM_CHOOSE = "Please choose:"

# The widget's Socket.IO handlers (bot/channels/widget.py): a message that is not text, a lost session.
WIDGET_UNREADABLE = "Sorry, I couldn't read that message. Please type your question as plain text."
WIDGET_NO_SESSION = "Sorry, this chat lost its connection details. Please reload the page and ask again."

# The scaled setup's gateway (bot/scaled.py): its answer when no Rasa replica or action server can.
GATEWAY_UNAVAILABLE = (
    "I'm sorry, I can't answer right now because part of this service is not working. Please try again in a "
    f"few minutes. {EMERGENCY_NUMBERS} {CRISIS_LINES}"
)

# -- A person to talk to (HUMAN_HELP_*, bot/emergency_numbers.py) ----------------------------------------------
# "can I talk to someone?" (action_ask_human), with a person to talk to configured, before how to reach them.
ASK_HUMAN = "I'm an automated assistant, so I can't put you through to a person myself."
# The same question with nobody configured: where to turn instead.
ASK_HUMAN_UNSET = (
    "I'm an automated assistant, and I can't connect you with a person from here. For anything about your own "
    "care, please contact your care team: your doctor, nurse, therapist or pharmacist."
)

# -- The tables ----------------------------------------------------------------------------------------------

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
    "thanks_reason": THANKS_REASON,
    "nothing_more": NOTHING_MORE,
    "english_only": "",
    "in_english": "In English:",
    "helpful": HELPFUL,
    "not_helpful": NOT_HELPFUL,
    "reason_wrong_topic": REASON_WRONG_TOPIC,
    "reason_too_hard": REASON_TOO_HARD,
    "reason_out_of_date": REASON_OUT_OF_DATE,
    "reason_other": REASON_OTHER,
    "language_chosen": "OK, I'll answer in English from now on.",
    "ask_human": ASK_HUMAN,
    "ask_human_unset": ASK_HUMAN_UNSET,
    # Templates (`{fields}`), filled by bot/emergency_numbers.py (configured numbers are written "000 (Australia),
    # 13 11 14 (Lifeline)" in every language) and bot/replies (review dates); `bot.localise` leaves them out.
    "local_crisis": "call {numbers}",
    "local_poison": "call {numbers}",
    "call_phone": "Call {number} ({label})",
    "human_help_named": "To talk to a person, contact {name}: {contact}.",
    "human_help_unnamed": "To talk to a person: {contact}.",
    "contact_phone": "call {phone}",
    "contact_url_phone": "{url} or call {phone}",
    "human_phone_label": "to talk to a person",
    "reviewed_on": "reviewed {month} {year}",
    # Privacy, said by the channels themselves: the notice at first contact (the widget's first connection,
    # Telegram's /start and /privacy), the link to PRIVACY_URL when set, and Telegram's /forget.
    # `{kept}` is privacy_kept_days (TRACKER_RETENTION_DAYS) or, when conversations are never purged,
    # privacy_kept_until_deleted.
    "privacy_notice_widget": (
        "About your privacy: this chat is kept on our server so that you can pick it up again after a reload. "
        "{kept} Please don't type your name, address, date of birth or other details that identify you. You can "
        "delete this conversation at any time with the Start over button."
    ),
    "privacy_notice_telegram": (
        "About your privacy: I keep our conversation on my server so that I can follow it. {kept} Please don't "
        "send your name, address, date of birth or other details that identify you. Send /forget at any time to "
        "delete our conversation from my server (the messages stay in this Telegram chat until you delete them), "
        "or /privacy to see this again."
    ),
    "privacy_kept_days": "It is deleted automatically once {days} days have passed since your last message.",
    "privacy_kept_until_deleted": "It is kept until you delete it.",
    "privacy_more": "More about privacy: {url}",
    "forgotten": (
        "Done: I've deleted our conversation from my server and forgotten what we talked about. The messages "
        "stay in this Telegram chat until you delete them. Ask me a new question whenever you like."
    ),
    "forget_failed": "Sorry, I couldn't delete our conversation just now. Please send /forget again in a few minutes.",
    # The small-talk replies of domain.yml, which Rasa sends (tests/test_wording.py: the domain says the same).
    "utter_greet": "Hello! Ask me anything about spasticity and its treatments, in your own words.",
    "utter_goodbye": "Goodbye, and take care. Come back whenever you have a question.",
    "utter_thanks": "You're welcome. Is there anything else you'd like to know?",
    "utter_acknowledge": (
        "Is there anything else you'd like to know? You can ask about this in more detail, or ask me to tell you more."
    ),
    "utter_iamabot": (
        "I'm an automated assistant, not a person and not a clinician. I answer from a library of information "
        "about spasticity written from trusted health sources, and I show the sources. For advice about your "
        "own care, please talk to your doctor, nurse, therapist or pharmacist."
    ),
}

# The Spanish lists of numbers (the countries a Spanish speaker most likely calls from): `bot.emergency_numbers`
# replaces them, like the English ones, with the numbers a deployment configures.
ES_EMERGENCY_NUMBER_LIST = "911 en EE. UU. y en México, 112 en España y en toda la Unión Europea"
ES_CRISIS_LINE_LIST = (
    "en EE. UU. llame al 988 y marque 2 para hablar en español, o envíe la palabra AYUDA por mensaje de texto al "
    "988; en España llame al 024; en México llame a la Línea de la Vida, 800 911 2000"
)
ES_POISON_HELP_LIST = (
    "en EE. UU. llame a Poison Help, 1-800-222-1222 (atienden en español); en España o en México, llame al 112 o al 911"
)

SPANISH: dict[str, str] = {
    "disclaimer": (
        "Esta es información general, no un consejo médico. Hable con su médico, enfermera, terapeuta o "
        "farmacéutico sobre su caso, y nunca empiece, deje ni cambie un tratamiento sin hablarlo con ellos."
    ),
    "sources_heading": "Fuentes:",
    "emergency_numbers": (
        f"Si esto está pasando ahora, llame ya a los servicios de emergencia: {ES_EMERGENCY_NUMBER_LIST}. "
        "No espere una respuesta aquí."
    ),
    "emergency_short": f"En una emergencia, llame a los servicios de emergencia: {ES_EMERGENCY_NUMBER_LIST}.",
    "crisis_lines": (
        "Si está pensando en el suicidio o en hacerse daño, no está solo o sola, y hay ayuda ahora mismo: "
        f"{ES_CRISIS_LINE_LIST}."
    ),
    "poison_help": (
        "Si alguien tomó demasiado de un medicamento por error y parece estar bien, pida consejo ahora: "
        f"{ES_POISON_HELP_LIST}."
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
        f"En una emergencia, llame a los servicios de emergencia: {ES_EMERGENCY_NUMBER_LIST}. Si está pensando en "
        f"el suicidio o en hacerse daño, no está solo o sola, y hay ayuda ahora mismo: {ES_CRISIS_LINE_LIST}."
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
        "Gracias por decírmelo; quienes escriben mi biblioteca verán que esta respuesta no le sirvió. Si quiere, "
        "dígales qué falló con uno de los botones de abajo, o pregúntelo con otras palabras."
    ),
    "thanks_reason": (
        "Gracias, eso ayuda a quienes escriben mi biblioteca. Puede preguntarlo con otras palabras o elegir un tema."
    ),
    "nothing_more": (
        "Eso es todo lo que mi biblioteca tiene sobre esto. Puede preguntar por otro aspecto con sus palabras o "
        "elegir uno de estos temas."
    ),
    "english_only": "Todavía no tengo esta información en español. Esta es la respuesta en inglés:",
    "in_english": "En inglés:",
    "helpful": "Me sirvió",
    "not_helpful": "No me sirvió",
    "reason_wrong_topic": "Otro tema",
    "reason_too_hard": "Difícil de entender",
    "reason_out_of_date": "Desactualizada",
    "reason_other": "Otra cosa",
    "language_chosen": "De acuerdo, a partir de ahora le respondo en español.",
    "ask_human": "Soy un asistente automático, así que no puedo ponerle en contacto con una persona yo mismo.",
    "ask_human_unset": (
        "Soy un asistente automático y desde aquí no puedo ponerle en contacto con una persona. Para todo lo que "
        "tenga que ver con su propio cuidado, contacte con su equipo médico: su médico, enfermera, terapeuta o "
        "farmacéutico."
    ),
    "local_crisis": "llame al {numbers}",
    "local_poison": "llame al {numbers}",
    "call_phone": "Llamar al {number} ({label})",
    "human_help_named": "Para hablar con una persona, contacte con {name}: {contact}.",
    "human_help_unnamed": "Para hablar con una persona: {contact}.",
    "contact_phone": "llame al {phone}",
    "contact_url_phone": "{url} o llame al {phone}",
    "human_phone_label": "para hablar con una persona",
    "reviewed_on": "revisado en {month} de {year}",
    "privacy_notice_widget": (
        "Sobre su privacidad: esta conversación se guarda en nuestro servidor para que pueda retomarla si recarga "
        "la página. {kept} Por favor, no escriba su nombre, dirección, fecha de nacimiento ni otros datos que le "
        "identifiquen. Puede borrar esta conversación cuando quiera con el botón para empezar de nuevo."
    ),
    "privacy_notice_telegram": (
        "Sobre su privacidad: guardo nuestra conversación en mi servidor para poder seguirla. {kept} Por favor, no "
        "envíe su nombre, dirección, fecha de nacimiento ni otros datos que le identifiquen. Envíe /forget cuando "
        "quiera para borrar nuestra conversación de mi servidor (los mensajes siguen en este chat de Telegram hasta "
        "que usted los borre), o /privacy para ver este aviso otra vez."
    ),
    "privacy_kept_days": "Se borra automáticamente cuando pasan {days} días desde su último mensaje.",
    "privacy_kept_until_deleted": "Se guarda hasta que usted la borre.",
    "privacy_more": "Más sobre la privacidad: {url}",
    "forgotten": (
        "Hecho: he borrado nuestra conversación de mi servidor y he olvidado de qué hablamos. Los mensajes siguen "
        "en este chat de Telegram hasta que usted los borre. Hágame una pregunta nueva cuando quiera."
    ),
    "forget_failed": (
        "Lo siento, ahora no he podido borrar nuestra conversación. Envíe /forget de nuevo dentro de unos minutos."
    ),
    "utter_greet": "¡Hola! Pregúnteme lo que quiera sobre la espasticidad y sus tratamientos, con sus palabras.",
    "utter_goodbye": "Adiós, cuídese. Vuelva cuando tenga una pregunta.",
    "utter_thanks": "De nada. ¿Hay algo más que quiera saber?",
    "utter_acknowledge": (
        "¿Hay algo más que quiera saber? Puede preguntar sobre esto con más detalle, o pedirme que le cuente más."
    ),
    "utter_iamabot": (
        "Soy un asistente automático, no una persona ni un profesional sanitario. Respondo con una biblioteca de "
        "información sobre la espasticidad escrita a partir de fuentes de salud fiables, y muestro las fuentes. "
        "Para consejos sobre su propio cuidado, hable con su médico, enfermera, terapeuta o farmacéutico."
    ),
}

TABLES: dict[Lang, dict[str, str]] = {"en": ENGLISH, "es": SPANISH}

# Month names for "reviewed March 2027" / "revisado en marzo de 2027".
MONTHS: dict[Lang, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
}  # fmt: skip


def text(key: str, lang: Lang) -> str:
    """One fixed text in a language."""
    return TABLES[lang][key]


def privacy_notice(kind: str, lang: Lang, retention_days: int, url: str | None = None) -> str:
    """The privacy notice a channel shows at first contact, with the link to `PRIVACY_URL` when there is one.

    Args:
        kind: `widget` or `telegram` (each says how to delete the conversation there).
        lang: the language of the page or of the Telegram app.
        retention_days: `TRACKER_RETENTION_DAYS`, so the notice promises what the purge does (0: never purged).
        url: the operator's privacy page, if any.
    """
    table = TABLES[lang]
    kept = (
        table["privacy_kept_days"].format(days=retention_days)
        if retention_days > 0
        else table["privacy_kept_until_deleted"]
    )
    notice = table[f"privacy_notice_{kind}"].format(kept=kept)
    return f"{notice}\n{table['privacy_more'].format(url=url)}" if url else notice


def is_template(value: str) -> bool:
    """Whether a table's text is a template, filled before use (never a piece of a reply as it stands)."""
    return "{" in value


def reviewed_on(day: date, lang: Lang) -> str:
    """When a source was last reviewed, as a reply shows it beside the source: "reviewed March 2027"."""
    return TABLES[lang]["reviewed_on"].format(month=MONTHS[lang][day.month - 1], year=day.year)


class RenderWords(TypedDict):
    """The words `bot.replies.render` takes for a language (`render(reply, **render_words(lang))`)."""

    disclaimer: str
    sources_heading: str
    lang: Lang


def render_words(lang: Lang) -> RenderWords:
    """The words `bot.replies.render` needs in a language: the disclaimer, the sources heading, the language.

    The language names the words the rendering makes itself (review dates, "Call 112 (EU)").
    """
    table = TABLES[lang]
    return RenderWords(disclaimer=table["disclaimer"], sources_heading=table["sources_heading"], lang=lang)
