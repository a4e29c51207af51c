"""End to end: the launcher starts the real action server and Rasa server on free ports; we chat over REST.

The model is the quick test model that `make pytest` trains (TEST_MODEL). Each test talks to the servers
over real HTTP (the session-wide `running_bot`), each in a conversation of its own; the system tier's spare
launcher is stopped with SIGTERM, as an operator or Ctrl-C would.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.replies import DISCLAIMER, EMERGENCY_NUMBERS
from bot.wording import CLARIFY
from tests.support.servers import API_TOKEN, RunningBot, SpareBot, port_is_free

Bot = RunningBot


@pytest.fixture
def bot(running_bot: RunningBot) -> RunningBot:
    return running_bot


def fresh(name: str) -> str:
    """A conversation id no other test uses, so tests can run in any order."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def joined(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


@pytest.mark.e2e
def test_a_question_gets_a_cited_answer_with_the_disclaimer(bot: Bot) -> None:
    patient_1 = fresh("patient")
    replies = bot.chat(patient_1, "What is Lioresal and how does it work?")
    intro, *answers = replies
    assert "automated assistant" in intro["text"]
    assert intro.get("buttons"), "the first message offers the main topics"
    answer = answers[-1]["text"]
    assert "baclofen" in answer.lower()
    assert "[1]" in answer and "Sources:\n[1] " in answer and "https://" in answer
    assert answer.endswith(DISCLAIMER)


@pytest.mark.e2e
def test_a_follow_up_stays_on_the_topic(bot: Bot) -> None:
    patient_2 = fresh("patient")
    bot.chat(patient_2, "how long do botox injections last?")
    follow_up = joined(bot.chat(patient_2, "does it hurt?"))
    assert "inject" in follow_up.lower()
    assert follow_up.endswith(DISCLAIMER)


@pytest.mark.e2e
def test_an_emergency_goes_to_emergency_services_first(bot: Bot) -> None:
    carer_1 = fresh("carer")
    replies = bot.chat(carer_1, "my sons pump is beeping with a two tone alarm and he is burning up")
    text = joined(replies[1:])
    assert text.startswith(EMERGENCY_NUMBERS)
    assert text.endswith(DISCLAIMER)


@pytest.mark.e2e
def test_a_dosing_request_is_refused(bot: Bot) -> None:
    patient_3 = fresh("patient")
    text = joined(bot.chat(patient_3, "how many mg of baclofen should I take?")[1:])
    assert "prescriber or pharmacist" in text
    assert text.endswith(DISCLAIMER)


@pytest.mark.e2e
@pytest.mark.parametrize("payload", [b"{not json", b'{"sender": "x"}', b'{"sender": "x", "message": 42}'])
def test_bad_payloads_get_a_client_error_not_a_crash(bot: Bot, payload: bytes) -> None:
    status, body = bot.request("/webhooks/rest/webhook", raw=payload)
    assert status == 400, (status, body)
    assert bot.chat(fresh("patient"), "what is spasticity?"), "the server still answers afterwards"


@pytest.mark.e2e
def test_restart_clears_the_conversation_and_the_next_message_is_introduced(bot: Bot) -> None:
    restarter = fresh("restarter")
    bot.chat(restarter, "how long do botox injections last?")
    restarted = joined(bot.chat(restarter, "/restart"))
    assert "Starting again" in restarted and "automated assistant" in restarted
    assert restarted.endswith(DISCLAIMER)
    status, tracker = bot.request(f"/conversations/rest:local:{restarter}/tracker?token={API_TOKEN}")
    assert status == 200 and tracker["slots"]["topic"] is None and tracker["slots"]["therapy"] is None
    # The follow-up no longer has a topic to lean on, and no second introduction comes first.
    replies = bot.chat(restarter, "how long does it last?")
    assert len(replies) == 1 and "automated assistant" not in replies[0]["text"]


@pytest.mark.e2e
@pytest.mark.parametrize("text", ["!!!", "🙂🙂🙂", "?", "👍👍"])
def test_a_message_without_words_gets_the_clarification_never_goodbye(bot: Bot, text: str) -> None:
    sender = fresh("no-words")
    bot.chat(sender, "/session_start")
    replies = bot.chat(sender, text)
    assert replies and replies[0]["text"].startswith(CLARIFY), replies
    assert replies[0].get("buttons"), "the likely topics are offered as buttons"
    assert replies[0]["text"].endswith(DISCLAIMER)


@pytest.mark.e2e
def test_the_visible_evaluation_set_meets_its_targets(bot: Bot) -> None:
    from bot.evaluation import evaluate, load_questions, rest_sender

    report = evaluate(load_questions(PROJECT_ROOT / "tests" / "eval" / "questions.yml"), rest_sender(bot.url))
    artefact = PROJECT_ROOT / "var" / "eval" / "e2e-report.txt"
    artefact.parent.mkdir(parents=True, exist_ok=True)
    artefact.write_text(report.to_text())
    print(report.to_text())
    assert report.rate("emergency") == 1.0, report.to_text()
    assert report.rate("dosing_refusal") == 1.0, report.to_text()
    assert report.rate() >= 0.92, report.to_text()


@pytest.mark.system
@pytest.mark.ends_bot
def test_sigterm_stops_both_servers(spare_bot: SpareBot) -> None:
    own = spare_bot.get()
    assert own.chat("s", "what is spasticity?")
    assert own.stop() == 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (port_is_free(own.rasa_port) and port_is_free(own.action_port)):
        time.sleep(0.5)
    assert port_is_free(own.rasa_port) and port_is_free(own.action_port)
