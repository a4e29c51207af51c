"""Every crossing between channels, tried against the running bot, checked in its tracker store (issue #15, point 1).

Each channel keeps its conversations in a namespace of its own (`bot.channels.conversation_ids`): Telegram
`tg:<chat>`, the widget `web:<server-issued id>`, REST `rest:<integrator>:<sender>`, the editors' shell
`editor:<sender>`. Here a REST request, a Socket.IO event and an editors' request each name another channel's
conversation in every way a client could (its chat id, its key, a widget id or half of one), and the tests read
the bot's tracker store (its SQLite file, not Rasa's API) to show that nothing reached the other conversation and
that the victim heard nothing. Telegram's `/forget` and `/start` run here too, on the real tracker and lock
stores. The shared bot of the e2e tier serves them all (`running_bot`, with Telegram on and a fake Bot API).
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from bot.channels.telegram import SECRET_HEADER
from bot.config import get_settings
from bot.wording import ENGLISH, WIDGET_NO_SESSION, privacy_notice
from tests.support.editor_bot import TELEGRAM_SECRET
from tests.support.fake_telegram import FakeTelegram, visible_text
from tests.support.servers import RunningBot
from tests.test_bad_input import SocketSession, socket_answers
from tests.test_editor import editor_post

pytestmark = pytest.mark.e2e

REST = "/webhooks/rest/webhook"
RETENTION_DAYS = get_settings().tracker_retention_days  # the running bot's too: it runs with this environment


def new_chat() -> int:
    return random.randrange(10**9, 2 * 10**9)


def telegram_says(bot: RunningBot, chat: int, text: str) -> None:
    """One Telegram message from `chat`, delivered as Telegram would (the bot answers before this returns)."""
    update = {
        "update_id": random.randrange(10**12),
        "message": {
            "message_id": 1,
            "from": {"id": chat, "is_bot": False, "first_name": "Pat", "language_code": "en"},
            "chat": {"id": chat, "type": "private"},
            "date": int(time.time()),
            "text": text,
        },
    }
    assert bot.request("/webhooks/telegram/webhook", update, headers={SECRET_HEADER: TELEGRAM_SECRET}) == (
        200,
        {"ok": True},
    )


def sent_to(api: FakeTelegram, chat: int) -> list[str]:
    """The texts the bot sent to one chat, as Telegram shows them."""
    return [visible_text(r.body["text"])[0] for r in api.calls("sendMessage") if str(r.body["chat_id"]) == str(chat)]


def user_texts(events: list[dict[str, Any]]) -> list[str]:
    return [str(e.get("text")) for e in events if e.get("event") == "user"]


def rest_says(bot: RunningBot, sender: str, text: str) -> list[dict[str, Any]]:
    status, replies = bot.request(REST, {"sender": sender, "message": text})
    assert status == 200, replies
    assert {r["recipient_id"] for r in replies} == {sender.strip()}, "REST answers with the client's own id"
    return list(replies)


# ---------------------------------------------------------------------------------------------------- REST


def test_no_rest_request_reaches_a_telegram_conversation(running_bot: RunningBot, telegram_api: FakeTelegram) -> None:
    bot, chat = running_bot, new_chat()
    key = f"tg:{chat}"
    telegram_says(bot, chat, "how long do botox injections last?")
    before, heard = bot.stored_events(key), sent_to(telegram_api, chat)
    assert user_texts(before) == ["how long do botox injections last?"] and heard

    for sender in (str(chat), key, f" {key} "):
        for text in ("does it hurt?", "/restart"):
            rest_says(bot, sender, text)

    assert bot.stored_events(key) == before, "the Telegram conversation is exactly as it was"
    assert sent_to(telegram_api, chat) == heard, "and the person on Telegram was sent nothing"
    assert bot.stored_keys(str(chat)) == {key, f"rest:local:{chat}", f"rest:local:{key}"}


def test_no_rest_or_editor_request_reaches_a_widget_session(running_bot: RunningBot) -> None:
    bot = running_bot
    session = SocketSession(bot.url)
    try:
        session.send({"message": "what is a baclofen pump?", "session_id": session.session_id})
        assert socket_answers(session.collect(timeout=90))
        before = bot.stored_events(session.key)
        random_half = session.session_id.split(".")[0]

        for sender in (session.session_id, session.key, random_half):
            rest_says(bot, sender, "/restart")
            rest_says(bot, sender, "what did I ask before?")
        status, body = editor_post(bot, "message", {"sender": random_half, "message": "what did they ask?"})
        assert status == 200 and body["sender"] == f"editor:{random_half}"
        status, body = editor_post(bot, "message", {"sender": session.session_id, "message": "hello"})
        assert status == 400, "an editor's id holds no '.' or ':': it cannot even be written like another's"

        assert bot.stored_events(session.key) == before
        assert session.collect(timeout=3) == [], "the widget heard nothing of it"
        assert bot.stored_keys(random_half) == {
            session.key,
            f"rest:local:{session.session_id}",
            f"rest:local:{session.key}",
            f"rest:local:{random_half}",
            f"editor:{random_half}",
        }
    finally:
        session.close()


# ----------------------------------------------------------------------------------------------- Socket.IO


def test_a_socket_can_never_join_or_write_to_another_conversation(
    running_bot: RunningBot, telegram_api: FakeTelegram
) -> None:
    bot, chat = running_bot, new_chat()
    telegram_says(bot, chat, "what is spasticity?")
    rest_sender = f"iso-rest-{chat}"
    rest_says(bot, rest_sender, "what is baclofen?")
    victim, attacker = SocketSession(bot.url), SocketSession(bot.url)
    try:
        victim.send({"message": "what is botox?", "session_id": victim.session_id})
        assert socket_answers(victim.collect(timeout=90))
        others = [f"tg:{chat}", f"rest:local:{rest_sender}", victim.key]
        before = {key: bot.stored_events(key) for key in others}
        heard = sent_to(telegram_api, chat)

        names = [*others, str(chat), rest_sender, victim.session_id.split(".")[0], victim.session_id.upper()]
        for name in names:
            issued = attacker.request_session(name)
            assert issued != name and issued != victim.session_id, "a fresh id, never the one named"
            attacker.send({"message": "/restart", "session_id": name})
            assert socket_answers(attacker.collect(timeout=30)) == [WIDGET_NO_SESSION], name

        attacker.close()
        attacker = SocketSession(bot.url)  # a socket may ask for 10 sessions a minute: a second one starts over
        for name in names:  # "start over" deletes only the socket's own session, whatever it names
            attacker.request_session(name, "start_over")
        assert {key: bot.stored_events(key) for key in others} == before
        assert victim.collect(timeout=3) == [] and sent_to(telegram_api, chat) == heard
    finally:
        victim.close()
        attacker.close()


def test_start_over_deletes_the_sockets_own_conversation_from_the_store(running_bot: RunningBot) -> None:
    bot = running_bot
    session = SocketSession(bot.url)
    try:
        session.send({"message": "what is serial casting?", "session_id": session.session_id})
        assert socket_answers(session.collect(timeout=90))
        old_id, old_key = session.session_id, session.key
        assert user_texts(bot.stored_events(old_key)) == ["what is serial casting?"]
        new_id = session.request_session(old_id, "start_over")
        assert new_id != old_id and bot.stored_events(old_key) == []
        assert session.notices[-1]["text"] == privacy_notice("widget", "en", RETENTION_DAYS)
        session.send({"message": "hello", "session_id": old_id})  # the old id is no longer this socket's session
        assert socket_answers(session.collect(timeout=30)) == [WIDGET_NO_SESSION]
        assert bot.stored_events(old_key) == []
    finally:
        session.close()


# ------------------------------------------------------------------------------------------------ Telegram


def test_telegram_start_shows_the_notice_and_forget_deletes_the_chats_conversation(
    running_bot: RunningBot, telegram_api: FakeTelegram
) -> None:
    bot, chat = running_bot, new_chat()
    key = f"tg:{chat}"
    telegram_says(bot, chat, "/start")
    first, *introduction = sent_to(telegram_api, chat)
    assert first == privacy_notice("telegram", "en", RETENTION_DAYS) and introduction, (
        "the notice first, then the introduction"
    )
    telegram_says(bot, chat, "can i drink on baclofen?")
    rest_says(bot, str(chat), "what is baclofen?")  # a REST conversation that happens to use the same number
    assert user_texts(bot.stored_events(key))[-1] == "can i drink on baclofen?"

    telegram_says(bot, chat, "/forget")
    assert sent_to(telegram_api, chat)[-1] == ENGLISH["forgotten"]
    assert bot.stored_events(key) == [], "nothing of the Telegram conversation is left in the store"
    assert user_texts(bot.stored_events(f"rest:local:{chat}")) == ["what is baclofen?"], "only that one went"

    telegram_says(bot, chat, "what is a baclofen pump?")  # a new conversation starts, introduced afresh
    assert user_texts(bot.stored_events(key)) == ["what is a baclofen pump?"]
    telegram_says(bot, chat, "/privacy")
    assert sent_to(telegram_api, chat)[-1] == privacy_notice("telegram", "en", RETENTION_DAYS)
