"""Opening the chat on a topic (#16 point 5): Telegram's `/start <topic-id>` and the widget's `data-topic`.

The value a page or a link names is never an intent name and never reaches the NLU: a channel sends on only an id
of the content's id shape, as the topic button's own payload in a `bot.payloads.TopicStart`, and the action
opens on that topic's overview or, for an id it does not know, greets as usual. Hermetic: the payload reading,
the action with the in-memory service, Telegram's channel in-process with the fake Bot API, the Socket.IO
channel's handlers called directly, and the widget's history. The browser side is in
`tests/test_widget_details.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.actions import ActionAnswerQuestion
from bot import constants as c
from bot.channels.widget import conversation_history
from bot.payloads import ChannelCommand, Reading, TopicStart, is_topic_id, read, topic_of_start, topic_start_text
from bot.replies import topic_payload
from bot.service import BotService
from tests.test_actions import run
from tests.test_socketio_channel import Socket, key_of, socket  # noqa: F401 (the fixture, by its name)
from tests.test_telegram import CHAT, _sanic_test_mode, serving  # noqa: F401 (Sanic's test mode, autouse)
from tests.test_telegram import run as run_async

KNOWN = "botulinum-toxin"
# Values a page or a link may name that must never be sent on: not a content id's shape.
BAD = ["", " ", "a b", "x" * 65, "-leading-dash", "../etc/passwd", 'baclofen"}', "baclofen\n", "bótox"]


# -- the payload ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD, ids=repr)
def test_a_value_of_another_shape_is_no_topic_id_and_makes_no_topic_start(value: str) -> None:
    assert not is_topic_id(value)
    with pytest.raises(ValueError):
        TopicStart(value, None, "tg:1", "telegram")


# The right shape, intent names included: they go on as a topic, never as an intent.
@pytest.mark.parametrize("value", [KNOWN, "baclofen-pump", "A1", "x" * 64, "greet", "ask_dosing"])
def test_a_topic_start_is_the_topic_buttons_payload_marked_as_a_start(value: str) -> None:
    start = TopicStart(value, None, "tg:1", "telegram", {"language_code": "es"})
    assert start.text == topic_payload(value) == topic_start_text(value), "the intent is always ask_topic"
    assert start.metadata == {"language_code": "es", c.METADATA_TOPIC_START: True}
    assert topic_of_start(start.text) == value
    assert read(start.text, frozenset(), channel_command=True, topic_start=True) is Reading.CHANNEL_COMMAND
    assert read(start.text, frozenset(), channel_command=False) is Reading.READ_AS_TEXT, "typed: read as text"
    assert read(start.text, frozenset(), channel_command=True) is Reading.READ_AS_TEXT, "no other command has one"


@pytest.mark.parametrize(
    "text",
    [
        '/ask_topic{"topic": "baclofen", "passage": "x"}',
        '/ask_topic{"passage": "baclofen-overview"}',
        '/ask_topic@1{"topic": "baclofen"}',
        '/ask_topic{"topic": "baclofen"} and how much should I take',
        '/ask_topic{"topic": 7}',
        '/ask_topic{"topic": "../x"}',
        '/ask_dosing{"topic": "baclofen"}',
        '/greet{"topic": "baclofen"}',
    ],
)
def test_nothing_but_a_topic_buttons_exact_payload_counts_as_a_start(text: str) -> None:
    assert topic_of_start(text) is None
    assert read(text, frozenset(), channel_command=True, topic_start=True) is not Reading.CHANNEL_COMMAND


def test_rasa_takes_the_topic_from_a_topic_start_and_nothing_from_the_same_text_typed() -> None:
    """Through the installed parse (`bot.rasa_patches.payload_check`), with Rasa's own payload handler."""
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_patches import payload_check
    from tests.test_rasa_patches import _processor

    payload_check.install()  # as every Rasa server does (bot.rasa_server); once is enough
    tracker = DialogueStateTracker.from_events("s", [])

    def parse(message: UserMessage) -> dict[str, Any]:
        result: dict[str, Any] = asyncio.run(payload_check.parse_message(_processor(), message, tracker))
        return result

    started = parse(TopicStart(KNOWN, None, "s", "socketio"))
    assert started["intent"]["name"] == c.INTENT_ASK_TOPIC
    assert [(e["entity"], e["value"]) for e in started["entities"]] == [(c.ENTITY_TOPIC, KNOWN)]
    typed = parse(UserMessage(topic_payload(KNOWN), sender_id="s"))
    assert typed["intent"]["name"] == "ask_question" and typed["entities"] == [], "read as text: no intent, no topic"


# -- the action -------------------------------------------------------------------------------------------------


def tracker(topic: str, start: bool = True) -> Tracker:
    """A conversation whose latest message is a topic start (or, with `start=False`, that topic's button)."""
    latest = {
        "text": topic_payload(topic),
        "intent": {"name": c.INTENT_ASK_TOPIC, "confidence": 1.0},
        "entities": [{"entity": c.ENTITY_TOPIC, "value": topic}],
    }
    metadata = {c.METADATA_TOPIC_START: True} if start else {}
    events = [{"event": "user", "text": latest["text"], "parse_data": latest, "metadata": metadata}]
    return Tracker("tester", {}, latest, events, False, None, {}, "action_listen")


def test_a_known_topic_opens_on_its_overview_like_its_button(service: BotService) -> None:
    started, started_events = run(ActionAnswerQuestion(service), tracker(KNOWN))
    pressed, pressed_events = run(ActionAnswerQuestion(service), tracker(KNOWN, start=False))
    assert started[0]["text"].startswith("Botulinum toxin is injected")
    assert started == pressed and started_events == pressed_events
    assert SlotSet(c.SLOT_TOPIC, KNOWN) in started_events
    assert started[0]["buttons"], "the topic's next questions to press"


@pytest.mark.parametrize("topic", ["no-such-topic", "greet", "ask_dosing", "x" * 64])
def test_an_unknown_topic_gets_the_usual_greeting_and_nothing_else(service: BotService, topic: str) -> None:
    messages, events = run(ActionAnswerQuestion(service), tracker(topic))
    assert [m.get("response") for m in messages] == [c.UTTER_GREET] and events == []


def test_a_topic_without_a_published_overview_gets_the_greeting(service: BotService) -> None:
    any_topic = next(iter(service.bundle.topics.values()))
    service.bundle.topics["empty-topic"] = dataclasses.replace(any_topic, id="empty-topic")  # no passage of its own
    messages, _ = run(ActionAnswerQuestion(service), tracker("empty-topic"))
    assert [m.get("response") for m in messages] == [c.UTTER_GREET]


def test_only_a_start_greets_a_button_for_an_unknown_topic_is_answered_as_before(service: BotService) -> None:
    messages, _ = run(ActionAnswerQuestion(service), tracker("no-such-topic", start=False))
    assert messages and messages[0].get("response") is None


# -- Telegram ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delivered"),
    [
        (f"/start {KNOWN}", topic_payload(KNOWN)),
        (f"/start@spasticity_bot {KNOWN}", topic_payload(KNOWN)),
        ("/start no-such-topic", topic_payload("no-such-topic")),  # the action greets: see above
        ("/start", "/greet"),
        *[(f"/start {value}", "/greet") for value in ["x" * 65, "a%20b", "ask_topic{}", "../x", "bótox"]],
        ("/start baclofen how much should I take", "/greet"),
    ],
)
def test_start_with_a_deep_link_parameter_opens_on_it_and_anything_else_greets(
    service: BotService, text: str, delivered: str
) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message(text, from_lang="es"))
            assert h.bot.delivered == [delivered] and h.bot.senders == [f"tg:{CHAT}"]
            notice = h.api.calls("sendMessage")[0].body["text"]
            assert "privacidad" in notice.lower(), "the privacy notice first, in the app's language"
            if delivered == "/greet":
                assert h.bot.metadata == [None]
            else:
                assert h.bot.metadata == [{"language_code": "es", c.METADATA_TOPIC_START: True}]

    run_async(scenario)


def test_a_deep_link_opens_on_the_topics_overview_after_the_notice(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message(f"/start {KNOWN}"))
            notice, sent = h.api.calls("sendMessage")
            assert notice.body["text"].startswith("About your privacy")
            assert "Botulinum toxin is injected" in sent.body["text"]
            assert json.loads(sent.body["reply_markup"])["inline_keyboard"], "with its questions as buttons"

    run_async(scenario)


# -- the widget's Socket.IO channel ------------------------------------------------------------------------------


def request(socket: Socket, session_id: Any = None, topic: Any = None, lang: str = "en") -> str:  # noqa: F811
    socket.call("session_request", {"session_id": session_id, "metadata": {"lang": lang, "topic": topic}})
    return socket.confirmed()[-1]


def test_a_new_widget_conversation_opens_on_the_pages_topic_after_the_notice(socket: Socket) -> None:  # noqa: F811
    session_id = request(socket, topic=KNOWN, lang="es")
    [start] = socket.received
    assert isinstance(start, TopicStart) and start.text == topic_payload(KNOWN)
    assert start.sender_id == key_of(socket, session_id) and start.input_channel == "socketio"
    assert start.metadata == {"lang": "es", c.METADATA_TOPIC_START: True}
    assert [event for event, _, _ in socket.emitted] == ["bot_uttered", "session_confirm"], "notice, id, then Rasa"


@pytest.mark.parametrize("topic", [*BAD, None, 7, ["baclofen"], {"topic": "x"}], ids=repr)
def test_a_widget_topic_of_another_shape_is_never_sent_on(socket: Socket, topic: Any) -> None:  # noqa: F811
    request(socket, topic=topic)
    assert socket.received == [] and len(socket.confirmed()) == 1


def test_a_conversation_under_way_is_not_moved_to_the_pages_topic(socket: Socket) -> None:  # noqa: F811
    session_id = request(socket)
    socket.store(key_of(socket, session_id))
    assert request(socket, session_id, topic=KNOWN) == session_id
    assert socket.received == []


def test_starting_over_on_a_topic_page_opens_the_new_conversation_on_it(socket: Socket) -> None:  # noqa: F811
    old = request(socket)
    socket.call("start_over", {"session_id": old, "metadata": {"lang": "en", "topic": KNOWN}})
    new = socket.confirmed()[-1]
    assert new != old and [m.sender_id for m in socket.received] == [key_of(socket, new)]
    assert isinstance(socket.received[0], TopicStart)


def test_a_typed_topic_start_is_read_as_text_not_as_a_command(socket: Socket) -> None:  # noqa: F811
    session_id = request(socket)
    socket.call("user_uttered", {"message": topic_payload(KNOWN), "session_id": session_id})
    [typed] = socket.received
    assert type(typed) is UserMessage and not isinstance(typed, ChannelCommand)
    command, start = isinstance(typed, ChannelCommand), isinstance(typed, TopicStart)
    assert read(typed.text or "", frozenset(), channel_command=command, topic_start=start) is Reading.READ_AS_TEXT


# -- the widget's history ---------------------------------------------------------------------------------------


def test_the_history_never_shows_the_start_as_something_the_person_sent() -> None:
    intro = BotUttered("Intro", {"buttons": [{"title": "Botulinum toxin", "payload": topic_payload(KNOWN)}]})
    events = [
        UserUttered(topic_payload("baclofen"), input_channel="socketio"),  # the page's topic start
        BotUttered("Baclofen overview"),
        intro,
        UserUttered(topic_payload(KNOWN), input_channel="socketio"),  # a pressed button: shown as its title
        BotUttered("Botulinum overview"),
    ]
    shown = [(m["sender"], m["text"]) for m in conversation_history(events)["messages"]]
    assert shown == [
        ("bot", "Baclofen overview"),
        ("bot", "Intro"),
        ("user", "Botulinum toxin"),
        ("bot", "Botulinum overview"),
    ]
