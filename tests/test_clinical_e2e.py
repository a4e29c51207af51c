"""Every critical and major finding of the clinical audit, asked of the real bot over REST (issue 11).

Each test sends what a patient or carer would type and asserts the action the person must take *now*, not only
that an emergency word appears: for autonomic dysreflexia that is sitting up and draining the catheter, for a
pump user whose stiffness suddenly returns it is calling the pump team now, for an overdose it is the poison
help numbers. The findings are in `../shared/research/reviews/content-audit.md` (C1-C3, M1-M5); the wording
asserted comes from `content/emergency_protocol.yml` and the passages it holds to it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bot.replies import DISCLAIMER, EMERGENCY_NUMBERS, IMMEDIATE_HEADING

pytestmark = pytest.mark.e2e


def ask(bot: Any, text: str) -> str:
    """The bot's reply to `text` in a conversation of its own, without the greeting of a new conversation."""
    replies = bot.chat(f"clinical-{uuid.uuid4().hex[:8]}", text)
    texts = [r.get("text", "") for r in replies if "automated assistant" not in r.get("text", "")]
    reply = "\n".join(texts)
    assert reply.endswith(DISCLAIMER), reply
    return reply


def emergency(bot: Any, text: str) -> str:
    """The reply, checked to be an emergency reply: the numbers first, then the protocol's steps."""
    reply = ask(bot, text)
    assert reply.startswith(EMERGENCY_NUMBERS), reply
    assert IMMEDIATE_HEADING in reply, reply
    return reply


def in_order(reply: str, *parts: str) -> None:
    """Each part is in the reply, in this order (case-insensitive)."""
    lowered = reply.lower()
    positions = [lowered.find(part.lower()) for part in parts]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), (parts, reply)


# -- critical --------------------------------------------------------------------------------------


def test_c1_a_pump_user_whose_stiffness_suddenly_gets_worse_calls_the_pump_team_now(running_bot: Any) -> None:
    reply = emergency(running_bot, "I have a baclofen pump and my spasticity suddenly got much worse")
    in_order(reply, "high temperature, confusion, very rigid muscles or a seizure, call emergency services now")
    in_order(reply, "call the pump team now, not tomorrow", "go to an emergency department")


def test_c1_the_general_question_gives_pump_users_the_urgent_route(running_bot: Any) -> None:
    reply = ask(running_bot, "Spasticity suddenly much worse for no reason")
    assert "pump team now" in reply.lower(), reply
    assert "not usually" not in reply.lower()


@pytest.mark.parametrize(
    "text",
    [
        "tetraplegic, catheter blocked, pounding headache, sweating",
        "my husband is a c5 quad, his catheter has stopped draining and his head is pounding",
    ],
)
def test_c2_autonomic_dysreflexia_gets_first_aid_now_not_the_pump_reply(running_bot: Any, text: str) -> None:
    reply = emergency(running_bot, text)
    in_order(
        reply,
        "sit the person upright straight away and lower their legs",
        "loosen anything tight",
        "drain, unblock or change it",
        "check the bowel and the skin",
        "call emergency services at once if the symptoms are severe",
    )
    assert "withdrawal" not in reply.lower()


def test_c3_a_blocked_catheter_with_spasms_gets_action_now_and_the_dysreflexia_warning(running_bot: Any) -> None:
    reply = ask(running_bot, "catheter blocked and legs spasming")
    lowered = reply.lower()
    assert "unblock" in lowered and "now" in lowered, reply
    assert "autonomic dysreflexia" in lowered and "sit up" in lowered, reply


# -- major -----------------------------------------------------------------------------------------


def test_m1_mri_rules_depend_on_the_make_of_pump(running_bot: Any) -> None:
    reply = ask(running_bot, "can I have an MRI scan with my prometra pump")
    lowered = reply.lower()
    assert "make and model" in lowered and "tell your pump team" in lowered, reply


@pytest.mark.parametrize(
    "text",
    ["my sons pump is beeping", "my pump is beeping, not sure which alarm it is"],
)
def test_m2_a_beeping_pump_is_treated_as_the_critical_alarm(running_bot: Any, text: str) -> None:
    reply = emergency(running_bot, text)
    in_order(
        reply,
        "if you are not sure which alarm you hear, treat it as the two-tone alarm",
        "call the pump team or the doctor who looks after the pump now",
    )


def test_m2_asking_whether_a_beep_is_an_emergency_says_when_to_treat_it_as_one(running_bot: Any) -> None:
    reply = ask(running_bot, "What does a single beep from the pump mean?")
    lowered = reply.lower()
    assert "not sure which alarm" in lowered and "two-tone alarm" in lowered, reply
    assert "not yet an emergency" not in lowered


def test_m2_a_single_beep_told_apart_from_the_two_tone_alarm_is_answered_not_escalated(running_bot: Any) -> None:
    reply = ask(running_bot, "the pump keeps doing one single beep, not the 2 tone one, is that urgent")
    lowered = reply.lower()
    assert not reply.startswith(EMERGENCY_NUMBERS), reply
    assert "same day" in lowered and "not sure which alarm" in lowered, reply


def test_m3_running_out_of_tizanidine_with_a_racing_heart_says_what_to_do_today(running_bot: Any) -> None:
    reply = ask(running_bot, "ran out of zanaflex heart racing")
    lowered = reply.lower()
    assert "urgent supply" in lowered or "emergency" in lowered, reply
    assert "today" in lowered or "911" in lowered, reply


def test_m4_running_out_of_baclofen_gets_an_urgent_supply_today(running_bot: Any) -> None:
    reply = ask(running_bot, "forgot to get my baclofen prescription and ran out, is that dangerous")
    lowered = reply.lower()
    assert "urgent supply today" in lowered or ("urgent supply" in lowered and "today" in lowered), reply


def test_m5_a_paralysed_limb_can_be_spastic(running_bot: Any) -> None:
    reply = ask(running_bot, "am i paralysed if my muscles are tight?")
    lowered = reply.lower()
    assert "a paralysed muscle can still be stiff" in lowered, reply
    assert "different from paralysis, where a muscle cannot work at all" not in lowered


# -- medicine emergencies, and signs that may be a side effect ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "what to do in an overdose of tizanidine",
        "what if someone takes too much",
        "my dad took double his baclofen by mistake",
        "my toddler ate some of my tizanidine tablets",
    ],
)
def test_an_overdose_gets_emergency_and_poison_help_never_a_refusal_alone(running_bot: Any, text: str) -> None:
    reply = emergency(running_bot, text)
    in_order(reply, "cannot be woken", "call emergency services now", "1-800-222-1222 in the us, nhs 111 in the uk")
    assert "do not make them sick" in reply.lower()
    assert not reply.startswith("I can't give advice about your own medicine")


def test_a_side_effect_question_with_emergency_signs_escalates_first_then_answers(running_bot: Any) -> None:
    reply = emergency(running_bot, "could my mum's new drowsiness and muddle be from baclofen?")
    in_order(reply, EMERGENCY_NUMBERS, "call emergency services now", "About your question:")
    answer = reply.split("About your question:", 1)[1].lower()
    assert "baclofen" in answer and "drows" in answer, answer
