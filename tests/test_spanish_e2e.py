"""A Spanish speaker over REST against the real bot: the language sticks, and safety comes in Spanish.

The Spanish sets themselves are checked in process (tests/test_safety_es.py); this is one smoke pass through
Rasa, the language action, the safety net and the Spanish wording, as a person would meet them.
"""

from __future__ import annotations

import uuid
from typing import Any

from bot.replies import EMERGENCY_NUMBERS
from bot.wording import SPANISH
from tests.support.servers import RunningBot


def _say(bot: RunningBot, sender: str, text: str, metadata: dict[str, Any] | None = None) -> str:
    body: dict[str, Any] = {"sender": sender, "message": text}
    if metadata is not None:
        body["metadata"] = metadata
    status, replies = bot.request("/webhooks/rest/webhook", body)
    assert status == 200 and replies, replies
    return str(replies[-1].get("text") or "")  # after the introduction, when the message opened the session


def test_a_spanish_page_gets_spanish_safety_and_marked_english_answers(running_bot: RunningBot) -> None:
    sender = f"es-{uuid.uuid4().hex[:8]}"
    spanish = {"lang": "es-MX"}
    crisis = _say(running_bot, sender, "ya no quiero vivir, estoy pensando en quitarme la vida", spanish)
    assert crisis.startswith(SPANISH["emergency_numbers"]), crisis
    assert "800 911 2000" in crisis and "024" in crisis and "988" in crisis
    assert crisis.endswith(SPANISH["disclaimer"])
    # The language sticks without the stamp, and a Spanish question finds the English passage, marked as such.
    answer = _say(running_bot, sender, "¿qué es la espasticidad?")
    assert answer.startswith(SPANISH["english_only"]) and "Fuentes:" in answer, answer
    refusal = _say(running_bot, sender, "¿puedo tomar el doble de baclofeno esta noche?")
    assert refusal.startswith(SPANISH["dosing_refusal"]), refusal


def test_a_spanish_emergency_without_a_stamp_is_answered_in_both_languages(running_bot: RunningBot) -> None:
    sender = f"es-{uuid.uuid4().hex[:8]}"
    text = "mi esposo tiene la bomba de baclofeno y tiene fiebre, esta confundido y muy rigido"
    reply = _say(running_bot, sender, text)
    assert reply.startswith(SPANISH["emergency_numbers"]), reply
    assert EMERGENCY_NUMBERS in reply, "the English reply follows in full"


def test_choosing_spanish_then_english_is_confirmed_each_time(running_bot: RunningBot) -> None:
    sender = f"es-{uuid.uuid4().hex[:8]}"
    status, replies = running_bot.request(
        "/webhooks/rest/webhook", {"sender": sender, "message": "hola", "metadata": {"lang": "es"}}
    )
    assert status == 200 and replies[0]["text"].startswith(SPANISH["introduction"]), replies
    assert _say(running_bot, sender, "español").startswith(SPANISH["language_chosen"])
    assert _say(running_bot, sender, "gracias").startswith("De nada")  # the domain's Spanish response
    assert _say(running_bot, sender, "english please").startswith("OK, I'll answer in English")
