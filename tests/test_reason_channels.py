"""The optional reasons after "not helpful" on the REST and Socket.IO channels, in process (#16 point 3).

Each channel must carry the four reason buttons to the person and bring the pressed one back to Rasa as the
exact payload the bot offered, which the payload check honours and the feedback action stores
(tests/test_traffic.py). Telegram's inline keyboard is tested in tests/test_telegram.py, the editors' shell in
tests/test_editor.py's renderer and the traffic tests.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot.channels.rest import BoundedRestInput
from bot.replies import REASON_BUTTONS, Button, render
from bot.service import BotService
from bot.wording import THANKS_NOT_HELPFUL, THANKS_REASON
from tests.support.asgi import LOCAL_CLIENT, channel_app
from tests.support.replies import StructuredAgent, rasa_message
from tests.test_socketio_channel import Socket, socket

__all__ = ["socket"]  # the Socket.IO channel fixture, shared with test_socketio_channel.py

REASONS = [(b.title, b.payload) for b in REASON_BUTTONS]


def feedback_reply(service: BotService, text: str) -> dict[str, Any]:
    """What the feedback action sends: the reasons after "not helpful", thanks and topics after a reason."""
    return render(service.feedback_thanks(False, reason_given=text != "/feedback_not_helpful")).as_kwargs()


@pytest.mark.parametrize(("title", "payload"), REASONS)
def test_rest_offers_the_reasons_and_brings_the_pressed_one_back(service: BotService, title: str, payload: str) -> None:
    agent = StructuredAgent(lambda text: feedback_reply(service, text))
    with channel_app([BoundedRestInput(per_minute=0, max_in_flight=0)], agent, LOCAL_CLIENT) as app:
        url = "/webhooks/rest/webhook"
        first = app.request("POST", url, json={"sender": "pat", "message": "/feedback_not_helpful"}).json()
        assert first[0]["text"].startswith(THANKS_NOT_HELPFUL)
        assert [(b["title"], b["payload"]) for b in first[0]["buttons"]] == REASONS
        chosen = next(b["payload"] for b in first[0]["buttons"] if b["title"] == title)
        second = app.request("POST", url, json={"sender": "pat", "message": chosen}).json()
    assert agent.messages[-1].text == payload
    assert second[0]["text"].startswith(THANKS_REASON)


@pytest.mark.parametrize(("title", "payload"), REASONS)
def test_the_widget_gets_the_reasons_as_quick_replies_and_sends_the_pressed_one(
    socket: Socket, service: BotService, title: str, payload: str
) -> None:
    session_id = socket.join()
    socket.emitted.clear()
    socket.call("user_uttered", {"message": "/feedback_not_helpful", "session_id": session_id})
    [asked] = socket.received
    assert asked.output_channel is not None
    asyncio.run(asked.output_channel.send_response(asked.sender_id, rasa_message(feedback_reply(service, asked.text))))
    [(_, uttered, _room)] = [e for e in socket.emitted if e[0] == "bot_uttered"]
    offered = [(q["title"], q["payload"]) for q in uttered["quick_replies"]]
    assert offered == REASONS
    chosen = dict(offered)[title]
    socket.call("user_uttered", {"message": chosen, "session_id": session_id})
    assert socket.received[-1].text == payload
    assert json.loads(payload[len("/feedback_not_helpful") :])["reason"] in {
        "wrong_topic",
        "too_hard",
        "out_of_date",
        "other",
    }


def test_reason_buttons_are_plain_buttons_every_channel_already_renders() -> None:
    assert all(isinstance(b, Button) and b.payload.startswith("/feedback_not_helpful{") for b in REASON_BUTTONS)
