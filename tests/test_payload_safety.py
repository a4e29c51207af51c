"""No typed intent payload gets past the safety net (issue 11, point 4; security review finding 8).

Unit tests of the decision (`bot.payloads`): which payloads the bot's last turn offered, and how a message is
read. Then the same on every channel against the real bot: REST, Socket.IO and the editors' shell on the
shared `running_bot`, Telegram on a bot of its own with the channel switched on. Whether the safety net saw a
message is read from the stored parse: the safety net adds `safety` to every parse it sees, and Rasa's
payload handler replaces the whole parse (keeping only text, intent and entities) when it takes a payload.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import constants as c
from bot.config import PROJECT_ROOT
from bot.payloads import (
    ChannelCommand,
    Payload,
    Reading,
    offered_payloads,
    parse_payload,
    read,
    text_to_read,
    with_earlier_events,
)
from bot.replies import EMERGENCY_NUMBERS, topic_payload
from bot.safety import SAFETY_KEY
from bot.wording import DOSING_REFUSAL, INTRODUCTION

BOTOX = topic_payload("botulinum-toxin")  # '/ask_topic{"topic": "botulinum-toxin"}', a main topic's button
PUMP = topic_payload("baclofen-pump")
HELPFUL = "/feedback_helpful"
PUMP_ALARM = "my pump is alarming"
DOSE_QUESTION = "how much baclofen should I take"
REGEX_EXTRACTOR = "RegexMessageHandler"


def _bot(text: str, *payloads: str, key: str = "buttons") -> BotUttered:
    return BotUttered(text, {key: [{"title": p, "payload": p} for p in payloads]} if payloads else {})


def _session_start(*intro: BotUttered) -> list[Event]:
    """What Rasa logs when a session starts: the action, its messages, then the session itself."""
    return [ActionExecuted("action_session_start"), *intro, SessionStarted(), ActionExecuted("action_listen")]


# -- which payloads the last turn offered -------------------------------------------------------------------

OFFERED_CASES: dict[str, tuple[list[Event], set[str]]] = {
    "nothing yet": ([], set()),
    "the reply since the latest message": (
        [UserUttered("hi"), _bot("Hello", BOTOX), UserUttered("what is it?"), _bot("Answer", HELPFUL, PUMP)],
        {HELPFUL, PUMP},
    ),
    "quick replies count as buttons": ([UserUttered("hi"), _bot("Hello", HELPFUL, key="quick_replies")], {HELPFUL}),
    "every message of the turn": (
        [UserUttered("hi"), _bot("One", BOTOX), SlotSet("topic", "x"), _bot("Two", HELPFUL)],
        {BOTOX, HELPFUL},
    ),
    "the reply before the latest message is gone": ([UserUttered("hi"), _bot("Hello", BOTOX), UserUttered("x")], set()),
    "an introduction being logged for the message being read is not seen yet": (
        _session_start(_bot("Intro", BOTOX)),
        set(),
    ),
    "a session expiring now: the reply before it still counts, the new introduction does not": (
        [UserUttered("hi"), _bot("Answer", HELPFUL), *_session_start(_bot("Intro", BOTOX))],
        {HELPFUL},
    ),
    "the introduction of the session the latest message opened counts": (
        [*_session_start(_bot("Intro", BOTOX)), UserUttered("what is it?"), _bot("Answer", HELPFUL)],
        {BOTOX, HELPFUL},
    ),
    "an older session's introduction does not": (
        [*_session_start(_bot("Intro", BOTOX)), UserUttered("q1"), _bot("A1", PUMP), UserUttered("q2"), _bot("A2")],
        set(),
    ),
    "the restart note is the reply to /restart": (
        [UserUttered("/restart"), _bot("Cleared", BOTOX), SessionStarted(), ActionExecuted("action_listen")],
        {BOTOX},
    ),
    "broken buttons are skipped": (
        [UserUttered("hi"), BotUttered("x", {"buttons": [None, {"title": "t"}, {"payload": 3}, {"payload": " "}]})],
        set(),
    ),
    "a button's payload is kept without outer whitespace": ([UserUttered("hi"), _bot("x", f"  {HELPFUL} ")], {HELPFUL}),
}


@pytest.mark.parametrize(("events", "expected"), list(OFFERED_CASES.values()), ids=list(OFFERED_CASES))
def test_offered_payloads_are_the_buttons_of_the_last_turn(events: list[Event], expected: set[str]) -> None:
    assert offered_payloads(events) == expected


# -- how a message is read -----------------------------------------------------------------------------------

OFFERED = frozenset({BOTOX, HELPFUL})
READ_CASES: dict[str, tuple[str, frozenset[str], bool, Reading]] = {
    "plain text": ("what is baclofen?", OFFERED, False, Reading.TEXT),
    "a slash later in the text": ("is 10/10 pain bad?", frozenset(), False, Reading.TEXT),
    "an offered payload": (HELPFUL, OFFERED, False, Reading.OFFERED),
    "an offered payload with entities": (BOTOX, OFFERED, False, Reading.OFFERED),
    "outer whitespace": (f"  {BOTOX}\n", OFFERED, False, Reading.OFFERED),
    "spacing inside the JSON": ('/ask_topic {"topic":"botulinum-toxin"}', OFFERED, False, Reading.OFFERED),
    "entity keys in another order": (
        '/ask_topic{"b": 1, "a": 2}',
        frozenset({'/ask_topic{"a":2,"b":1}'}),
        False,
        Reading.OFFERED,
    ),
    "the same payload not offered": (BOTOX, frozenset({HELPFUL}), False, Reading.READ_AS_TEXT),
    "another entity value": ('/ask_topic{"topic": "baclofen"}', OFFERED, False, Reading.READ_AS_TEXT),
    "entities added to an offered bare intent": (
        '/feedback_helpful{"topic": "x"}',
        OFFERED,
        False,
        Reading.READ_AS_TEXT,
    ),
    "an intent in capitals": (HELPFUL.upper(), OFFERED, False, Reading.READ_AS_TEXT),
    "an intent capitalised": ("/Feedback_helpful", OFFERED, False, Reading.READ_AS_TEXT),
    "words after an offered payload": (f"{HELPFUL} {PUMP_ALARM}", OFFERED, False, Reading.READ_AS_TEXT),
    "words after offered entities": (f"{BOTOX} {PUMP_ALARM}", OFFERED, False, Reading.READ_AS_TEXT),
    "a second line after an offered payload": (f"{BOTOX}\n{PUMP_ALARM}", OFFERED, False, Reading.READ_AS_TEXT),
    "a confidence on an offered payload": (f"{HELPFUL}@1", OFFERED, False, Reading.READ_AS_TEXT),
    "the review's bypass": (f"/ask_question@1 {PUMP_ALARM}", OFFERED, False, Reading.READ_AS_TEXT),
    "a bare intent nobody offered": ("/greet", OFFERED, False, Reading.READ_AS_TEXT),
    "broken JSON is compared as written": (
        '/ask_topic{"topic": botulinum-toxin}',
        OFFERED,
        False,
        Reading.READ_AS_TEXT,
    ),
    "JSON nested too deep to decode": (
        '/ask_topic{"a":' + "[" * 50_000 + "]" * 50_000 + "}",
        OFFERED,
        False,
        Reading.READ_AS_TEXT,
    ),
    "restart": ("/restart", frozenset(), False, Reading.CONVERSATION_CONTROL),
    "session start": (" /session_start ", frozenset(), False, Reading.CONVERSATION_CONTROL),
    "restart with words": (f"/restart@1 {PUMP_ALARM}", frozenset(), False, Reading.READ_AS_TEXT),
    "restart with entities": ('/restart{"topic": "x"}', frozenset(), False, Reading.READ_AS_TEXT),
    "restart in capitals": ("/RESTART", frozenset(), False, Reading.READ_AS_TEXT),
    "a channel command": ("/greet", frozenset(), True, Reading.CHANNEL_COMMAND),
    "a channel command with words is not one": (f"/greet {PUMP_ALARM}", frozenset(), True, Reading.READ_AS_TEXT),
    "a channel command with entities is not one": (BOTOX, frozenset(), True, Reading.READ_AS_TEXT),
}


@pytest.mark.parametrize(("text", "offered", "command", "expected"), list(READ_CASES.values()), ids=list(READ_CASES))
def test_a_message_is_read_as_a_payload_only_when_offered(
    text: str, offered: frozenset[str], command: bool, expected: Reading
) -> None:
    reading = read(text, offered, channel_command=command)
    assert reading is expected
    assert reading.is_payload == (expected in {Reading.OFFERED, Reading.CONVERSATION_CONTROL, Reading.CHANNEL_COMMAND})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/greet", Payload("greet", "", "", "")),
        (' /ask_topic {"topic": "baclofen"} ', Payload("ask_topic", "", '{"topic":"baclofen"}', "")),
        (f"/ask_question@0.9 {PUMP_ALARM}", Payload("ask_question", "@0.9", "", PUMP_ALARM)),
        ('/ask_topic{"a": 1} {"b": 2}', Payload("ask_topic", "", '{"a": 1} {"b": 2}', "")),  # not JSON: as written
        ("greet", None),
        ("/", None),
        ("/{}", None),
    ],
)
def test_payloads_are_split_as_rasa_splits_them(text: str, expected: Payload | None) -> None:
    assert parse_payload(text) == expected


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.mark.parametrize(
    ("text", "shown", "cut"),
    [
        (f"/ask_question@1 {PUMP_ALARM}", f"ask_question@1 {PUMP_ALARM}", 1),
        ("/ / //greet", "greet", 6),
        (f"{BOTOX} {PUMP_ALARM}", f'ask_topic{{"topic": "botulinum-toxin"}} {PUMP_ALARM}', 1),
        ("///", "", 3),
    ],
)
def test_a_payload_read_as_text_loses_its_leading_slashes(text: str, shown: str, cut: int, domain: Domain) -> None:
    assert text_to_read(text) == (shown, cut)
    message = Message({TEXT: shown})
    assert YAMLStoryReader.unpack_regex_message(message, domain) is message, "Rasa finds no payload left"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*'/ \t\n@{}":,.019', *c.INTENTS, "restart", "topic"]), max_size=20).map("".join))
def test_rasa_finds_no_payload_in_any_text_read_as_text(domain: Domain, text: str) -> None:
    shown, _ = text_to_read(text)
    message = Message({TEXT: shown})
    assert YAMLStoryReader.unpack_regex_message(message, domain) is message


STORED_CASES = {
    "the introduction of the session the latest message opened": (
        [*_session_start(_bot("Intro", BOTOX)), UserUttered("what is it?"), _bot("Answer", HELPFUL)],
        {BOTOX, HELPFUL},
    ),
    "the restart note": (
        [
            *_session_start(_bot("Intro")),
            UserUttered("/restart"),
            _bot("Cleared", PUMP),
            Restarted(),
            SessionStarted(),
            ActionExecuted("action_listen"),
        ],
        {PUMP},
    ),
}


@pytest.mark.parametrize(("events", "expected"), list(STORED_CASES.values()), ids=list(STORED_CASES))
def test_what_the_sql_tracker_store_leaves_out_is_read_from_it(
    events: list[Event], expected: set[str], domain: Domain, tmp_path: Path
) -> None:
    """Rasa's SQL store loads a conversation from its latest session start: the offer before it is fetched."""
    from bot.rasa_patches.tracker_store import PrePingSQLTrackerStore

    async def scenario() -> None:
        store = PrePingSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
        sender = new_sender("stored")
        tracker = DialogueStateTracker.from_events(sender, [])
        for event in events:
            time.sleep(0.002)  # distinct timestamps, as real turns have
            tracker.update(event)
        await store.save(tracker)
        loaded = await store.retrieve(sender)
        assert loaded is not None and isinstance(loaded.events[0], SessionStarted), "Rasa's store cuts here"
        assert offered_payloads(loaded.events) < expected, "part of the offer is not among the loaded events"
        assert offered_payloads(await with_earlier_events(store, loaded)) == expected
        assert [e.as_dict() for e in await with_earlier_events(store, loaded)] == [e.as_dict() for e in events]
        assert await with_earlier_events(None, loaded) == list(loaded.events), "no store: the loaded events"
        store.engine.dispose()

    asyncio.run(scenario())


def test_a_tracker_not_cut_at_a_session_start_is_not_looked_up() -> None:
    tracker = DialogueStateTracker.from_events("x", [*_session_start(_bot("Intro", BOTOX)), UserUttered("hi")])

    async def scenario() -> list[Event]:
        return await with_earlier_events(object(), tracker)  # an object without the store's methods

    assert asyncio.run(scenario()) == list(tracker.events)


def test_a_channel_command_is_a_bare_intent_made_by_code() -> None:
    command = ChannelCommand(c.INTENT_GREET, CollectingOutputChannel(), "42", "telegram")
    assert isinstance(command, UserMessage) and command.text == "/greet" and command.input_channel == "telegram"
    for bad in ("greet@1", 'ask_topic{"topic": "x"}', "greet my pump is alarming", "", "Greet"):
        with pytest.raises(ValueError, match="bare intent"):
            ChannelCommand(bad, None, "42", "telegram")


# -- end to end: the real bot ------------------------------------------------------------------------------


def tracker_events(bot: Any, key: str) -> list[dict[str, Any]]:
    """The stored events of the conversation `key` (its tracker key), through Rasa's HTTP API (token in tests)."""
    from tests.support.servers import API_TOKEN

    path = f"/conversations/{urllib.parse.quote(key, safe=':')}/tracker?include_events=ALL&token={API_TOKEN}"
    status, tracker = bot.request(path)
    assert status == 200, tracker
    return list(tracker.get("events") or [])


def last_parse(bot: Any, key: str) -> dict[str, Any]:
    """The stored parse of the latest user message of the conversation `key`, with the text as stored."""
    user = [e for e in tracker_events(bot, key) if e.get("event") == "user"][-1]
    return {**dict(user.get("parse_data") or {}), "stored_text": user.get("text")}


def assert_read_as_text(parse: dict[str, Any]) -> None:
    """The NLU pipeline and the safety net read the message; Rasa's payload handler took nothing from it."""
    assert SAFETY_KEY in parse, f"the safety net never saw {parse.get('text')!r}: {parse}"
    assert not any(e.get("extractor") == REGEX_EXTRACTOR for e in parse.get("entities") or []), parse["entities"]


def assert_honoured(parse: dict[str, Any], intent: str) -> None:
    """Rasa took the intent (and entities) written in the payload."""
    assert parse["intent"]["name"] == intent and parse["intent"]["confidence"] == 1.0, parse
    assert SAFETY_KEY not in parse, "the payload handler replaces the NLU parse"


def texts(replies: list[dict[str, Any]]) -> list[str]:
    """The reply texts without the introduction a new session starts with."""
    return [str(r.get("text") or "") for r in replies if r.get("text") and not str(r["text"]).startswith(INTRODUCTION)]


def texts_only(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The replies without the introduction."""
    return [r for r in replies if not str(r.get("text") or "").startswith(INTRODUCTION)]


def payloads_of(replies: list[dict[str, Any]]) -> list[str]:
    return [str(b["payload"]) for r in replies for b in r.get("buttons") or r.get("quick_replies") or []]


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def rest(sender: str) -> str:
    """The tracker key of a REST conversation made on this machine without an API key."""
    from bot.channels.conversation_ids import LOCAL_INTEGRATOR, rest_key

    return rest_key(LOCAL_INTEGRATOR, sender)


TYPED_BYPASSES = {
    "confidence and words": (f"/ask_question@1 {PUMP_ALARM}", "emergency"),
    "entities and words": (f"{BOTOX} {PUMP_ALARM}", "emergency"),
    "restart with words": (f"/restart@1 {PUMP_ALARM}", "emergency"),
    "a second line": (f"{BOTOX}\n{PUMP_ALARM}", "emergency"),
    "dosing": (f"/ask_question@1 {DOSE_QUESTION}", "dosing"),
    "dosing after empty entities": (f"/thanks{{}} {DOSE_QUESTION}", "dosing"),
}


@pytest.mark.e2e
@pytest.mark.parametrize(("text", "kind"), list(TYPED_BYPASSES.values()), ids=list(TYPED_BYPASSES))
def test_rest_a_typed_payload_is_escalated_or_refused_like_text(running_bot: Any, text: str, kind: str) -> None:
    sender = new_sender("payload-rest")
    running_bot.chat(sender, "what is spasticity?")  # a conversation under way, with buttons offered
    replies = texts(running_bot.chat(sender, text))
    parse = last_parse(running_bot, rest(sender))
    assert_read_as_text(parse)
    assert parse["stored_text"] == text.strip() and parse["text"] == text.strip(), "the person's text is kept"
    if kind == "emergency":
        assert parse["intent"]["name"] == c.INTENT_EMERGENCY and parse[SAFETY_KEY]["red_flag"] == "pump-alarm"
        assert replies and replies[0].startswith(EMERGENCY_NUMBERS), replies
    else:
        assert parse["intent"]["name"] == c.INTENT_ASK_DOSING and parse[SAFETY_KEY]["dosing"] == "amount"
        assert replies and replies[0].startswith(DOSING_REFUSAL), replies


@pytest.mark.e2e
def test_rest_an_offered_button_is_honoured_and_the_same_payload_unoffered_is_read_as_text(running_bot: Any) -> None:
    sender = new_sender("payload-rest")
    running_bot.chat(sender, BOTOX)  # a new conversation: its introduction was not seen yet
    assert_read_as_text(last_parse(running_bot, rest(sender)))

    other = new_sender("payload-rest")
    first = running_bot.chat(other, "what is spasticity?")
    assert BOTOX in payloads_of(first) and BOTOX not in payloads_of(texts_only(first)), "offered by the intro"
    answer = running_bot.chat(other, BOTOX)  # the intro came with the reply to the first message
    parse = last_parse(running_bot, rest(other))
    assert_honoured(parse, c.INTENT_ASK_TOPIC)
    assert [(e["entity"], e["value"]) for e in parse["entities"]] == [(c.ENTITY_TOPIC, "botulinum-toxin")]
    assert "botulinum" in " ".join(texts(answer)).lower()

    assert BOTOX not in payloads_of(answer), "the topic answer does not offer its own button again"
    running_bot.chat(other, BOTOX)
    assert_read_as_text(last_parse(running_bot, rest(other)))


@pytest.mark.e2e
def test_rest_a_button_of_the_restart_note_is_honoured(running_bot: Any) -> None:
    sender = new_sender("payload-rest")
    running_bot.chat(sender, "what is spasticity?")
    restarted = running_bot.chat(sender, "/restart")
    assert PUMP in payloads_of(restarted), restarted
    running_bot.chat(sender, PUMP)
    assert_honoured(last_parse(running_bot, rest(sender)), c.INTENT_ASK_TOPIC)


@pytest.mark.e2e
def test_rest_whitespace_variants_of_an_offered_payload_are_honoured_case_variants_are_not(running_bot: Any) -> None:
    sender = new_sender("payload-rest")
    running_bot.chat(sender, "hello")
    for variant, honoured in ((PUMP.upper(), False), (' /ask_topic {"topic":"baclofen-pump"}  ', True)):
        menu = running_bot.chat(sender, "show me the topics")
        assert PUMP in payloads_of(menu), payloads_of(menu)
        running_bot.chat(sender, variant)
        parse = last_parse(running_bot, rest(sender))
        if honoured:
            assert_honoured(parse, c.INTENT_ASK_TOPIC)
            assert [(e["entity"], e["value"]) for e in parse["entities"]] == [(c.ENTITY_TOPIC, "baclofen-pump")]
        else:
            assert_read_as_text(parse)


@pytest.mark.e2e
def test_rest_a_typed_bare_intent_is_read_as_text(running_bot: Any) -> None:
    sender = new_sender("payload-rest")
    running_bot.chat(sender, "what is baclofen?")
    for text in ("/greet", "/feedback_not_helpful{}", "/emergency", "/out_of_scope"):
        running_bot.chat(sender, text)
        assert_read_as_text(last_parse(running_bot, rest(sender)))


@pytest.mark.e2e
def test_rest_restart_and_session_start_still_work(running_bot: Any) -> None:
    sender = new_sender("payload-rest")
    running_bot.chat(sender, "what is baclofen?")
    restarted = running_bot.chat(sender, "/restart")
    assert last_parse(running_bot, rest(sender))["intent"] == {"name": "restart", "confidence": 1.0}
    assert any(INTRODUCTION in str(r.get("text")) for r in restarted), restarted
    running_bot.chat(sender, "/session_start")
    assert last_parse(running_bot, rest(sender))["intent"] == {"name": "session_start", "confidence": 1.0}


@pytest.mark.e2e
def test_rest_entity_offsets_point_into_the_persons_text(running_bot: Any) -> None:
    sender = new_sender("payload-rest")
    text = "/ask_question@1 what is Lioresal and how does it work?"
    running_bot.chat(sender, text)
    parse = last_parse(running_bot, rest(sender))
    assert_read_as_text(parse)
    found = {(e["value"], text[e["start"] : e["end"]]) for e in parse["entities"]}
    assert ("baclofen", "Lioresal") in found, parse["entities"]


@pytest.mark.e2e
def test_rasa_http_api_parse_reads_a_payload_as_text_without_a_conversation(running_bot: Any) -> None:
    from tests.support.servers import API_TOKEN

    status, parse = running_bot.request(f"/model/parse?token={API_TOKEN}", {"text": f"/ask_question@1 {PUMP_ALARM}"})
    assert status == 200, parse
    assert parse["intent"]["name"] == c.INTENT_EMERGENCY and parse[SAFETY_KEY]["red_flag"] == "pump-alarm", parse
    status, parse = running_bot.request(f"/model/parse?token={API_TOKEN}", {"text": "/restart"})
    assert parse["intent"] == {"name": "restart", "confidence": 1.0}, parse


# -- Socket.IO ---------------------------------------------------------------------------------------------


@pytest.fixture
def socket_session(running_bot: Any) -> Iterator[Any]:
    from tests.test_bad_input import SocketSession

    session = SocketSession(running_bot.url)
    yield session
    session.close()


def socket_turn(session: Any, text: str) -> list[dict[str, Any]]:
    """Sends one message over Socket.IO and collects the bot's messages to it."""
    session.send({"message": text, "session_id": session.session_id})
    return [r for r in session.collect(timeout=90, quiet=3.0) if isinstance(r, dict)]


@pytest.mark.e2e
def test_socketio_a_typed_payload_is_escalated_and_an_offered_button_honoured(
    running_bot: Any, socket_session: Any
) -> None:
    sender = socket_session.key
    first = socket_turn(socket_session, f"/ask_question@1 {PUMP_ALARM}")
    parse = last_parse(running_bot, sender)
    assert_read_as_text(parse)
    assert parse["intent"]["name"] == c.INTENT_EMERGENCY
    assert texts(first) and texts(first)[0].startswith(EMERGENCY_NUMBERS), first

    offered = payloads_of(first)  # Rasa's Socket.IO channel sends buttons as quick replies
    assert BOTOX in offered, offered
    socket_turn(socket_session, BOTOX)
    assert_honoured(last_parse(running_bot, sender), c.INTENT_ASK_TOPIC)
    socket_turn(socket_session, "/greet")
    assert_read_as_text(last_parse(running_bot, sender))


# -- the editors' shell ---------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_editor_shell_a_typed_payload_is_escalated_and_an_offered_button_honoured(running_bot: Any) -> None:
    from tests.test_editor import preview_message

    sender = f"payload-{uuid.uuid4().hex[:8]}"
    body = preview_message(running_bot, sender, f"/ask_question@1 {PUMP_ALARM}", drafts=False)
    assert body["intent"]["name"] == c.INTENT_EMERGENCY and len(body["ranking"]) > 1, "the classifier ran"
    assert texts(body["replies"])[0].startswith(EMERGENCY_NUMBERS), body["replies"]
    assert_read_as_text(last_parse(running_bot, body["sender"]))

    offered = payloads_of(body["replies"])
    assert BOTOX in offered, offered
    body = preview_message(running_bot, sender, BOTOX, drafts=False)
    assert body["intent"] == {"name": c.INTENT_ASK_TOPIC, "confidence": 1.0}, body["intent"]
    assert_honoured(last_parse(running_bot, body["sender"]), c.INTENT_ASK_TOPIC)
    body = preview_message(running_bot, sender, BOTOX, drafts=False)  # not offered by the topic answer
    assert_read_as_text(last_parse(running_bot, body["sender"]))


# -- Telegram ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def telegram_bot(
    request: pytest.FixtureRequest, test_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, Any, str]]:
    """The real bot with the Telegram channel on, talking to a local fake Bot API: (bot, api, webhook secret).

    The shared bot has the channel on when the session provides its fake API (`telegram_api`); otherwise a bot
    with the channel on is started for this module.
    """
    try:
        shared_api = request.getfixturevalue("telegram_api")
    except pytest.FixtureLookupError:
        shared_api = None
    if shared_api is not None:
        from tests.support.editor_bot import TELEGRAM_SECRET

        yield request.getfixturevalue("running_bot"), shared_api, str(TELEGRAM_SECRET)
        return
    from tests.support.fake_telegram import FakeTelegram
    from tests.support.servers import start_bot
    from tests.test_telegram import SECRET

    with FakeTelegram().running() as api:
        env = {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.url, "TELEGRAM_WEBHOOK_SECRET": SECRET}
        bot = start_bot(tmp_path_factory.mktemp("telegram-bot"), test_model, extra_env=env)
        try:
            yield bot, api, SECRET
        finally:
            bot.stop()


class TelegramChat:
    """One private chat with the bot over its webhook, as Telegram would post the updates."""

    def __init__(self, bot: Any, api: Any, secret: str) -> None:
        self.bot, self.api, self.secret = bot, api, secret
        self.chat_id = int(time.time() * 1000) % 10**9 + uuid.uuid4().int % 1000
        self.next_update = self.chat_id * 1000

    def _post(self, **content: Any) -> list[dict[str, Any]]:
        from bot.channels.telegram import SECRET_HEADER

        self.next_update += 1
        before = len(self.api.calls())
        update = {"update_id": self.next_update, **content}
        status, body = self.bot.request("/webhooks/telegram/webhook", update, headers={SECRET_HEADER: self.secret})
        assert (status, body) == (200, {"ok": True}), body
        return [r.body for r in self.api.calls()[before:] if r.method == "sendMessage"]

    def say(self, text: str) -> list[dict[str, Any]]:
        """Sends a typed message; returns what the bot sent."""
        sender = {"id": self.chat_id, "is_bot": False, "first_name": "Pat"}
        message = {"message_id": self.next_update, "from": sender, "chat": {"id": self.chat_id, "type": "private"}}
        return self._post(message={**message, "date": int(time.time()), "text": text})

    def press(self, sent: dict[str, Any], payload_title: str) -> list[dict[str, Any]]:
        """Presses the button with this title under a message the bot sent."""
        markup = json.loads(sent["reply_markup"])
        button = next(b for row in markup["inline_keyboard"] for b in row if b["text"] == payload_title)
        query = {
            "id": f"cb-{self.next_update}",
            "from": {"id": self.chat_id, "is_bot": False, "first_name": "Pat"},
            "message": {"message_id": 1, "chat": {"id": self.chat_id, "type": "private"}, "date": 1, "text": "x"},
            "chat_instance": "-1",
            "data": button["callback_data"],
        }
        return self._post(callback_query=query)


def with_keyboard(sent: list[dict[str, Any]]) -> dict[str, Any]:
    return next(m for m in reversed(sent) if "reply_markup" in m)


@pytest.mark.e2e
def test_telegram_commands_buttons_and_typed_payloads(telegram_bot: tuple[Any, Any, str]) -> None:
    from bot.wording import TELEGRAM_UNKNOWN_COMMAND as UNKNOWN_COMMAND
    from tests.support.fake_telegram import visible_text

    bot, api, secret = telegram_bot
    chat = TelegramChat(bot, api, secret)
    sender = f"tg:{chat.chat_id}"  # the chat's tracker key

    # The channel's own commands still reach their intents.
    chat.say("/start")
    assert last_parse(bot, sender)["intent"] == {"name": c.INTENT_GREET, "confidence": 1.0}
    menu = chat.say("/topics")
    assert last_parse(bot, sender)["intent"] == {"name": c.INTENT_ASK_TOPIC, "confidence": 1.0}

    # A button of the last turn is honoured, with its entities.
    titles = {b["text"] for row in json.loads(with_keyboard(menu)["reply_markup"])["inline_keyboard"] for b in row}
    title = next(t for t in titles if "botulinum" in t.lower())
    answer = chat.press(with_keyboard(menu), title)
    parse = last_parse(bot, sender)
    assert_honoured(parse, c.INTENT_ASK_TOPIC)
    assert [(e["entity"], e["value"]) for e in parse["entities"]] == [(c.ENTITY_TOPIC, "botulinum-toxin")]
    assert answer and "botulinum" in " ".join(m["text"] for m in answer).lower()

    # The same button pressed again under the old menu is not in the last turn: read as text.
    chat.press(with_keyboard(menu), title)
    assert_read_as_text(last_parse(bot, sender))

    # Typed payloads never reach Rasa as payloads: the channel answers them as unknown commands.
    events_before = len(tracker_events(bot, sender))
    for typed in (f"/ask_question@1 {PUMP_ALARM}", BOTOX, "/greet"):
        sent = chat.say(typed)
        assert [m["text"] for m in sent] == [UNKNOWN_COMMAND]
    assert len(tracker_events(bot, sender)) == events_before

    # /restart is the channel's too, and the emergency typed as text is escalated.
    chat.say("/restart")
    assert last_parse(bot, sender)["intent"] == {"name": "restart", "confidence": 1.0}
    sent = chat.say(f"ask_question@1 {PUMP_ALARM}")
    assert last_parse(bot, sender)["intent"]["name"] == c.INTENT_EMERGENCY
    assert sent and visible_text(sent[0]["text"])[0].startswith(EMERGENCY_NUMBERS), sent
