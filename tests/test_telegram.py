"""The Telegram channel, end to end over HTTP: real Sanic, real aiogram, a local fake Bot API server.

Each test mounts the channel's blueprint on a real Sanic app listening on 127.0.0.1, posts Telegram updates to
it over HTTP, lets the channel answer through the real aiogram client, and asserts the exact requests the fake
Bot API server (tests/support/fake_telegram.py) received. `on_new_message` goes to a handler that answers like
the bot: real replies from `bot.service` over the small corpus, rendered by `bot.replies.render`, sent with
Rasa's `OutputChannel.send_response`. The last test runs the real bot (launcher, Rasa, action server) with the
channel switched on by TELEGRAM_* variables.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import UserUttered
from rasa.shared.exceptions import RasaException
from sanic import Sanic, response

from bot.channels.telegram import SECRET_HEADER, TelegramInput
from bot.channels.telegram_config import TelegramConfig, TelegramConfigError
from bot.channels.telegram_format import MIN_LIMIT, format_reply, format_text, telegram_length
from bot.channels.telegram_state import CALLBACK_DATA_LIMIT, ButtonCodec, TelegramState, derive_secret
from bot.config import PROJECT_ROOT, Settings, get_settings
from bot.replies import (
    DISCLAIMER,
    EMERGENCY_NUMBERS,
    SAFE_FALLBACK,
    Button,
    Citation,
    Reply,
    ReplyKind,
    UnrenderableReply,
    render,
    structure,
)
from bot.service import BotService
from bot.wording import TABLES, privacy_notice
from bot.wording import TELEGRAM_EXPIRED_BUTTON as EXPIRED_BUTTON
from bot.wording import TELEGRAM_HELP as HELP_TEXT
from bot.wording import TELEGRAM_UNKNOWN_COMMAND as UNKNOWN_COMMAND
from tests.conftest import _service_missing
from tests.support.asgi import StubAgent
from tests.support.editor_bot import TELEGRAM_SECRET
from tests.support.fake_telegram import Failure, FakeTelegram, visible_text
from tests.support.servers import free_port

SECRET = "test-webhook-secret_0123456789"
CHAT = 4242
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
LONG_QUESTION = "How often does the baclofen pump need refilling, and does a refill hurt every single time?"
LONG_ANSWER_TRIGGER = "please send the long answer"
LONG_PARAGRAPHS = 15


@pytest.fixture(autouse=True, scope="module")
def _sanic_test_mode() -> Any:
    """Sanic rewrites some of its methods when an app starts; test mode lets several apps start in one process."""
    before = Sanic.test_mode
    Sanic.test_mode = True
    yield
    Sanic.test_mode = before


# -- a bot-like handler ------------------------------------------------------------------------------------


def long_reply() -> Reply:
    """Over 10,000 characters: 15 paragraphs citing 7 sources, as `passage_reply` would build them."""
    citations = tuple(
        Citation(
            n, f"S{n}", f"Publisher {n}", f"A long guide to spasticity, part {n}", f"https://example.org/g/{n}?a=1&b=2"
        )
        for n in range(1, 8)
    )
    sentence = "Stretching every day keeps muscles long and joints moving, and it helps splints fit better. "
    paragraphs = [f"{sentence * 7}[{p % 7 + 1}][{(p + 3) % 7 + 1}]" for p in range(LONG_PARAGRAPHS)]
    return Reply(ReplyKind.ANSWER, "\n".join(paragraphs), citations, buttons=(Button("Thanks", "/thanks"),))


def fixed_reply() -> Reply:
    """A short answer whose HTML is asserted character for character."""
    citations = (
        Citation(1, "NHS", "NHS", "Baclofen & you", "https://www.nhs.uk/medicines/baclofen/?a=1&b=2"),
        Citation(2, "NINDS", "NINDS", "Spasticity <overview>", "https://www.ninds.nih.gov/spasticity"),
    )
    text = "Baclofen relaxes <stiff> muscles & eases spasms. [1][2]\nIt acts on the spinal cord. [2]"
    return Reply(ReplyKind.ANSWER, text, citations)


FIXED_HTML = (
    "Baclofen relaxes &lt;stiff&gt; muscles &amp; eases spasms. "
    '<a href="https://www.nhs.uk/medicines/baclofen/?a=1&amp;b=2">[1]</a>'
    '<a href="https://www.ninds.nih.gov/spasticity">[2]</a>\n'
    'It acts on the spinal cord. <a href="https://www.ninds.nih.gov/spasticity">[2]</a>\n'
    "<b>Sources:</b>\n"
    '[1] <a href="https://www.nhs.uk/medicines/baclofen/?a=1&amp;b=2">NHS: Baclofen &amp; you</a>\n'
    '[2] <a href="https://www.ninds.nih.gov/spasticity">NINDS: Spasticity &lt;overview&gt;</a>\n'
    f"<i>{DISCLAIMER}</i>"
)


@dataclass
class BotLike:
    """Answers delivered messages the way the bot's actions do, through the message's output channel."""

    service: BotService
    delivered: list[str] = field(default_factory=list)
    metadata: list[Any] = field(default_factory=list)
    senders: list[str | None] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        text = message.text or ""
        self.delivered.append(text)
        self.metadata.append(message.metadata)
        self.senders.append(message.sender_id)
        if text == "/greet":
            reply = self.service.introduction()
        elif text == "/ask_topic":
            reply = self.service.topics_menu()
        elif text.startswith("/ask_topic"):
            reply = self.service.answer_question("", topic_id=json.loads(text[len("/ask_topic") :])["topic"]).reply
        elif text == LONG_ANSWER_TRIGGER:
            reply = long_reply()
        elif text.startswith("the fixed answer"):
            reply = fixed_reply()
        elif text == "offer a long question":
            reply = Reply(ReplyKind.MENU, "You could ask:", buttons=(Button(LONG_QUESTION, LONG_QUESTION),))
        elif text == "/restart":
            reply = Reply(ReplyKind.INTRODUCTION, "Let's start again.")
        elif text.startswith("/feedback_not_helpful"):  # the reasons, then thanks after one (ActionRecordFeedback)
            reply = self.service.feedback_thanks(False, reason_given=text != "/feedback_not_helpful")
        elif text == "fail please":
            raise RuntimeError("the action server is down")
        else:
            reply = self.service.answer_question(text).reply
        assert message.output_channel is not None and message.sender_id is not None
        sent = render(reply).as_kwargs()
        if text == "the fixed answer without its disclaimer":
            sent["reply"]["disclaimer"] = ""
        elif text == "the fixed answer with other text":
            sent["text"] = "Sources:\n[1] Nobody: Nothing. https://example.org/parsed-from-text"
        await message.output_channel.send_response(message.sender_id, sent)


# -- the harness: fake Bot API + real Sanic app with the channel -------------------------------------------


@dataclass
class Harness:
    api: FakeTelegram
    channel: TelegramInput
    bot: BotLike
    base: str
    http: aiohttp.ClientSession
    agent: StubAgent
    next_update: int = 1000

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> tuple[int, Any]:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with self.http.post(f"{self.base}/webhooks/telegram/webhook", json=update, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    def update(self, **content: Any) -> dict[str, Any]:
        self.next_update += 1
        return {"update_id": self.next_update, **content}

    def message(
        self, text: str | None = None, chat: int = CHAT, from_lang: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        sender = {
            "id": chat,
            "is_bot": False,
            "first_name": "Pat",
            **({"language_code": from_lang} if from_lang else {}),
        }
        message: dict[str, Any] = {
            "message_id": self.next_update,
            "from": sender,
            "chat": {"id": chat, "type": "private", "first_name": "Pat"},
            "date": int(time.time()),
            **extra,
        }
        if text is not None:
            message["text"] = text
        return self.update(message=message)

    def press(self, sent: dict[str, Any], row: int = 0, data: str | None = None) -> dict[str, Any]:
        """A callback_query for a button of a message the fake server sent (its JSON as Telegram returns it)."""
        markup = json.loads(sent["reply_markup"])
        button = markup["inline_keyboard"][row][0]
        message = {
            "message_id": 77,
            "from": {"id": self.api.bot_id, "is_bot": True, "first_name": "Spasticity bot"},
            "chat": {"id": CHAT, "type": "private"},
            "date": int(time.time()),
            "text": visible_text(sent["text"])[0],
            "reply_markup": markup,
        }
        query = {
            "id": f"cb-{self.next_update + 1}",
            "from": {"id": CHAT, "is_bot": False, "first_name": "Pat"},
            "message": message,
            "chat_instance": "-1",
            "data": data if data is not None else button["callback_data"],
        }
        return self.update(callback_query=query)

    def methods(self) -> list[str]:
        return [r.method for r in self.api.calls()]


def make_config(api: FakeTelegram, **overrides: Any) -> TelegramConfig:
    values: dict[str, Any] = {"token": api.token, "api_url": api.url, "webhook_secret": SECRET, **overrides}
    return TelegramConfig(**values)


@asynccontextmanager
async def serving(
    service: BotService,
    api: FakeTelegram | None = None,
    state: TelegramState | None = None,
    config: TelegramConfig | None = None,
) -> AsyncIterator[Harness]:
    """A real Sanic server with the channel mounted as Rasa mounts it, and the fake Bot API (its own or `api`)."""
    async with AsyncExitStack() as stack:
        fake = api if api is not None else await stack.enter_async_context(FakeTelegram())
        channel = TelegramInput(config or make_config(fake), state=state)
        bot = BotLike(service)
        app = Sanic(f"telegram-test-{uuid.uuid4().hex[:8]}")
        app.ctx.agent = agent = StubAgent()  # where /forget deletes: Rasa's in-memory tracker and lock stores
        app.blueprint(channel.blueprint(bot), url_prefix=f"/webhooks/{channel.url_prefix()}")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()
        await server.before_start()
        await server.after_start()
        try:
            async with aiohttp.ClientSession() as http:
                yield Harness(fake, channel, bot, f"http://127.0.0.1:{port}", http, agent)
        finally:
            await server.before_stop()
            await server.close()
            await server.after_stop()


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def as_shown(rendered: str) -> list[str]:
    """The words Telegram shows for a rendered reply: a source line's URL is behind its link."""
    lines = [re.sub(r"^(\[\d+\] .+)\. https?://\S+$", r"\1", line) for line in rendered.split("\n")]
    return "\n".join(lines).split()


def save_log(name: str, api: FakeTelegram) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_text(json.dumps(api.log(), indent=2, ensure_ascii=False))
    return path


# -- tests -------------------------------------------------------------------------------------------------


def test_an_answer_is_one_html_message_with_citation_links_and_no_preview(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            status, body = await h.post(h.message("the fixed answer"))
            assert (status, body) == (200, {"ok": True})
            assert [r.as_json() for r in h.api.calls()] == [
                {
                    "method": "sendMessage",
                    "path": f"/bot{h.api.token}/sendMessage",
                    "http_method": "POST",
                    "content_type": "application/x-www-form-urlencoded",
                    "body": {
                        "chat_id": str(CHAT),
                        "text": FIXED_HTML,
                        "parse_mode": "HTML",
                        "disable_web_page_preview": "True",
                    },
                }
            ]
            assert h.bot.delivered == ["the fixed answer"]

    run(scenario)


def test_a_reply_is_rendered_from_its_data_never_from_its_text(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("the fixed answer with other text"))
            (sent,) = h.api.calls()
            assert sent.body["text"] == FIXED_HTML and "parsed-from-text" not in sent.body["text"]

    run(scenario)


def test_a_plain_text_is_shown_as_it_is_with_nothing_read_out_of_it() -> None:
    text = f"Sources:\n[1] A & B: <T>. https://example.org/x\n{DISCLAIMER}\n{EMERGENCY_NUMBERS}"
    (html,) = format_text(text)
    assert "<a " not in html and "<i>" not in html and "Sources:\n[1] A &amp; B: &lt;T&gt;." in html
    assert html.endswith(f"<b>{EMERGENCY_NUMBERS}</b>")  # the emergency numbers stay bold, as before


def test_a_reply_without_its_disclaimer_cannot_be_rendered_and_the_safe_fallback_is_sent(service: BotService) -> None:
    data = render(fixed_reply()).data
    assert data is not None
    for missing in ("", "  \n "):
        with pytest.raises(UnrenderableReply):
            format_reply(dataclasses.replace(data, disclaimer=missing))

    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("the fixed answer without its disclaimer"))
            (sent,) = h.api.calls()
            assert sent.body["text"] == "".join(format_reply(SAFE_FALLBACK))
            assert "Baclofen" not in sent.body["text"] and sent.body["text"].endswith(f"<i>{DISCLAIMER}</i>")
            assert "112" in sent.body["text"] and "988" in sent.body["text"]

    run(scenario)


def test_the_apps_language_goes_with_each_message_and_spanish_replies_keep_their_format(service: BotService) -> None:
    """Telegram's `language_code` reaches the bot as metadata, which bot.language reads.

    A Spanish reply's sources heading and disclaimer are recognised like the English ones.
    """
    from bot.localise import localise
    from bot.wording import render_words

    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("hola, que es la espasticidad", from_lang="es-MX"))
            await h.post(h.message("What is baclofen?"))
            assert h.bot.metadata == [{"language_code": "es-MX"}, None]

    run(scenario)
    reply = localise(service.answer_question("What is baclofen?").reply, "es")
    html = "".join(format_reply(structure(reply, **render_words("es"))))
    assert "<b>Fuentes:</b>" in html and "<i>Esta es información general" in html


def test_a_question_gets_the_services_cited_answer(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("What is baclofen?"))
            (sent,) = h.api.calls()
            text = sent.body["text"]
            assert sent.method == "sendMessage" and sent.body["parse_mode"] == "HTML"
            assert "Baclofen is a medicine that relaxes stiff muscles." in text
            assert '<a href="https://example.org/nhs-bac">[1]</a>' in text
            assert '[1] <a href="https://example.org/nhs-bac">Publisher NHS-BAC: Title NHS-BAC</a>' in text
            assert text.endswith(f"<i>{DISCLAIMER}</i>")
            assert "getMe" not in h.methods()

    run(scenario)


def test_start_greets_and_topics_become_an_inline_keyboard(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("/start"))
            assert h.bot.delivered == ["/greet"] and h.bot.senders == [f"tg:{CHAT}"]
            notice, sent = h.api.calls("sendMessage")
            first = privacy_notice("telegram", "en", get_settings().tracker_retention_days)
            assert visible_text(notice.body["text"])[0] == first, "first: the notice"
            assert visible_text(sent.body["text"])[0] == render(service.introduction()).text
            keyboard = json.loads(sent.body["reply_markup"])["inline_keyboard"]
            assert [[b["text"] for b in row] for row in keyboard] == [
                ["What spasticity is"],
                ["Botulinum toxin"],
                ["The baclofen pump"],
            ]
            datas = [row[0]["callback_data"] for row in keyboard]
            assert all(len(d.encode()) <= CALLBACK_DATA_LIMIT for d in datas)
            assert [d[9:] for d in datas] == [  # signed payloads: "p" + 8-character tag + payload
                '/ask_topic{"topic": "what-is-spasticity"}',
                '/ask_topic{"topic": "botulinum-toxin"}',
                '/ask_topic{"topic": "baclofen-pump"}',
            ]
            assert h.methods() == ["sendMessage", "sendMessage"]

    run(scenario)


def test_topics_asks_for_the_menu_of_main_topics(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("/topics"))
            assert h.bot.delivered == ["/ask_topic"]
            await h.post(h.message("/restart"))
            assert h.bot.delivered == ["/ask_topic", "/restart"], "Rasa's restart intent, nothing else"
            sent, _restarted = h.api.calls()
            assert sent.body["text"].startswith("Here are the main topics")
            titles = [row[0]["text"] for row in json.loads(sent.body["reply_markup"])["inline_keyboard"]]
            assert titles == ["What spasticity is", "Botulinum toxin", "The baclofen pump"]

    run(scenario)


def test_a_button_press_is_acknowledged_and_answered(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("/start"))
            _notice, menu = h.api.calls("sendMessage")
            h.api.clear()
            press = h.press(menu.body, row=1)
            status, _ = await h.post(press)
            assert status == 200
            assert h.bot.delivered[-1] == '/ask_topic{"topic": "botulinum-toxin"}'
            ack, answer = h.api.calls()
            assert (ack.method, ack.body) == (
                "answerCallbackQuery",
                {"callback_query_id": press["callback_query"]["id"]},
            )
            assert answer.method == "sendMessage" and answer.body["chat_id"] == str(CHAT)
            assert "Botulinum toxin is injected into an overactive muscle" in answer.body["text"]

    run(scenario)


@pytest.mark.parametrize(("title", "reason"), [("Too hard to read", "too_hard"), ("Something else", "other")])
def test_not_helpful_offers_the_reasons_and_a_pressed_one_reaches_the_bot(
    service: BotService, title: str, reason: str
) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("what is baclofen?"))
            [answer] = h.api.calls("sendMessage")
            rows = json.loads(answer.body["reply_markup"])["inline_keyboard"]
            not_helpful = next(i for i, row in enumerate(rows) if row[0]["text"] == "Not helpful")
            h.api.clear()
            await h.post(h.press(answer.body, row=not_helpful))
            assert h.bot.delivered[-1] == "/feedback_not_helpful"
            [offer] = h.api.calls("sendMessage")
            keyboard = json.loads(offer.body["reply_markup"])["inline_keyboard"]
            titles = [row[0]["text"] for row in keyboard]
            assert titles == ["Wrong topic", "Too hard to read", "Out of date", "Something else"]
            assert all(len(row[0]["callback_data"].encode()) <= CALLBACK_DATA_LIMIT for row in keyboard)
            h.api.clear()
            await h.post(h.press(offer.body, row=titles.index(title)))
            assert h.bot.delivered[-1] == f'/feedback_not_helpful{{"reason": "{reason}"}}'
            [thanks] = h.api.calls("sendMessage")
            assert visible_text(thanks.body["text"])[0].startswith("Thank you, that helps")

    run(scenario)


def test_a_refused_acknowledgement_still_gets_the_answer(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("/start"))
            _notice, menu = h.api.calls("sendMessage")
            h.api.fail_next("answerCallbackQuery", Failure(400, "Bad Request: query is too old"))
            assert (await h.post(h.press(menu.body)))[0] == 200
            assert h.methods() == ["sendMessage", "sendMessage", "answerCallbackQuery", "sendMessage"]
            assert "Spasticity means muscles are stiff" in h.api.calls()[-1].body["text"]

    run(scenario)


def test_a_long_payload_is_kept_server_side_and_survives_being_forgotten(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("offer a long question"))
            (offer,) = h.api.calls("sendMessage")
            data = json.loads(offer.body["reply_markup"])["inline_keyboard"][0][0]["callback_data"]
            assert data.startswith("k") and len(data) == 17, data
            h.api.clear()
            await h.post(h.press(offer.body))
            assert h.bot.delivered[-1] == LONG_QUESTION
            assert h.methods() == ["answerCallbackQuery", "sendMessage"]

        # Another process (a restart, or a replica without Redis) never saw the payload: the title is used.
        async with serving(service) as h2:
            await h2.post(h2.press(offer.body))
            assert h2.bot.delivered == [LONG_QUESTION]
            assert h2.methods() == ["answerCallbackQuery", "sendMessage"]

    run(scenario)


def test_forged_callback_data_runs_nothing(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("/start"))
            _notice, menu = h.api.calls("sendMessage")
            h.api.clear()
            genuine = json.loads(menu.body["reply_markup"])["inline_keyboard"][0][0]["callback_data"]
            forged = genuine[:9] + '/ask_topic{"topic": "baclofen"}'
            press = h.press(menu.body, data=forged)
            assert (await h.post(press))[0] == 200
            assert h.bot.delivered == ["/greet"]
            (ack,) = h.api.calls()
            assert ack.method == "answerCallbackQuery"
            assert ack.body == {"callback_query_id": press["callback_query"]["id"], "text": EXPIRED_BUTTON}

    run(scenario)


async def _store(agent: StubAgent, key: str, text: str) -> None:
    tracker = await agent.tracker_store.get_or_create_tracker(key)
    tracker.update(UserUttered(text))
    await agent.tracker_store.save(tracker)


def test_forget_deletes_that_chats_conversation_and_nothing_else(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("what is baclofen?"))
            assert h.bot.senders == [f"tg:{CHAT}"], "the chat's conversation is tg:<chat id>"
            for key in (f"tg:{CHAT}", "tg:999", f"rest:local:{CHAT}", f"rest:local:tg:{CHAT}"):
                await _store(h.agent, key, "my private question")
            h.api.clear()
            await h.post(h.message("/forget"))
            (said,) = h.api.calls("sendMessage")
            assert visible_text(said.body["text"])[0] == TABLES["en"]["forgotten"]
            assert said.body["chat_id"] == str(CHAT)
            assert set(await h.agent.tracker_store.keys()) == {"tg:999", f"rest:local:{CHAT}", f"rest:local:tg:{CHAT}"}
            assert h.bot.delivered == ["what is baclofen?"], "/forget is the channel's: nothing reaches Rasa"
            await h.post(h.message("/forget"))  # nothing left to delete: still confirmed
            assert visible_text(h.api.calls("sendMessage")[-1].body["text"])[0] == TABLES["en"]["forgotten"]

    run(scenario)


def test_forget_says_so_when_the_store_cannot_delete(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            h.agent.tracker_store = type("Unreachable", (), {})()  # a store that cannot delete anything
            await h.post(h.message("/forget", from_lang="es"))
            (said,) = h.api.calls("sendMessage")
            assert visible_text(said.body["text"])[0] == TABLES["es"]["forget_failed"]

    run(scenario)


@pytest.mark.parametrize(("language_code", "lang"), [("en-GB", "en"), ("es-MX", "es"), (None, "en"), ("fr", "en")])
@pytest.mark.parametrize("url", [None, "https://example.org/privacy"])
def test_privacy_shows_the_notice_in_the_apps_language_with_the_operators_page(
    service: BotService, monkeypatch: pytest.MonkeyPatch, language_code: str | None, lang: str, url: str | None
) -> None:
    monkeypatch.setattr(
        "bot.channels.telegram.get_settings", lambda: dataclasses.replace(get_settings(), privacy_url=url)
    )

    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("/privacy", from_lang=language_code))
            (said,) = h.api.calls("sendMessage")
            shown = visible_text(said.body["text"])[0]
            assert shown == privacy_notice("telegram", lang, get_settings().tracker_retention_days, url)  # type: ignore[arg-type]
            assert "/forget" in shown and (url is None or url in shown)
            assert h.bot.delivered == []

    run(scenario)


def test_help_and_unknown_commands_are_answered_by_the_channel(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message("/help"))
            await h.post(h.message("/help@spasticity_test_bot"))
            await h.post(h.message('/ask_topic{"topic": "baclofen"}'))
            help1, help2, unknown = h.api.calls("sendMessage")
            assert help1.body == help2.body
            assert help1.body["text"] == HELP_TEXT.replace("&", "&amp;")
            assert unknown.body["text"] == UNKNOWN_COMMAND
            assert h.bot.delivered == [], "typed commands never reach Rasa as intents"

    run(scenario)


@pytest.mark.parametrize(
    ("field", "value", "word"),
    [
        (
            "sticker",
            {"file_id": "s1", "file_unique_id": "u1", "width": 512, "height": 512, "is_animated": False},
            "stickers",
        ),
        ("photo", [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}], "photos"),
        ("voice", {"file_id": "v1", "file_unique_id": "u3", "duration": 3}, "voice notes"),
    ],
)
def test_media_gets_a_polite_text_only_note(service: BotService, field: str, value: Any, word: str) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            assert (await h.post(h.message(**{field: value})))[0] == 200
            (note,) = h.api.calls()
            assert note.method == "sendMessage"
            assert note.body == {
                "chat_id": str(CHAT),
                "text": f"Thank you. I can only read text, so I can't open {word}. Please type your question in "
                "words, for example: what helps stiff legs in the morning?",
                "parse_mode": "HTML",
                "disable_web_page_preview": "True",
            }
            assert h.bot.delivered == []

    run(scenario)


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET[:-1], SECRET + "x", "ü" * 5])
def test_a_missing_or_wrong_secret_is_refused(service: BotService, secret: str | None) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            status, body = await h.post(h.message("What is baclofen?"), secret=secret)
            assert status == 403 and body == {"ok": False, "description": "Forbidden"}
            assert h.api.calls() == [] and h.bot.delivered == []

    run(scenario)


def test_malformed_updates_get_a_clear_400(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            url = f"{h.base}/webhooks/telegram/webhook"
            for raw, description in [
                (b"not json", "The body is not JSON"),
                (b'{"message": {}}', "No integer update_id"),
                (b"[1, 2]", "No integer update_id"),
            ]:
                async with h.http.post(url, data=raw, headers={SECRET_HEADER: SECRET}) as resp:
                    assert resp.status == 400
                    assert (await resp.json()) == {"ok": False, "description": description}
            assert h.api.calls() == []

    run(scenario)


def test_a_retried_update_is_answered_once(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            update = h.message("What is baclofen?")
            assert await h.post(update) == (200, {"ok": True})
            assert await h.post(update) == (200, {"ok": True, "duplicate": True})
            assert await h.post(update) == (200, {"ok": True, "duplicate": True})
            assert h.methods() == ["sendMessage"]
            assert h.bot.delivered == ["What is baclofen?"]

    run(scenario)


def test_a_retry_arriving_while_the_first_delivery_is_answered_is_not_answered_again(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            update = h.message("What is baclofen?")
            results = await asyncio.gather(*(h.post(update) for _ in range(5)))
            assert sorted(r[1].get("duplicate", False) for r in results) == [False, True, True, True, True]
            assert h.methods() == ["sendMessage"] and h.bot.delivered == ["What is baclofen?"]

    run(scenario)


def test_a_long_answer_is_split_under_4096_without_cutting_a_citation(service: BotService) -> None:
    rendered = render(long_reply()).text
    assert len(rendered) >= 10_000

    async def scenario() -> None:
        async with serving(service) as h:
            await h.post(h.message(LONG_ANSWER_TRIGGER))
            sent = h.api.calls()
            save_log("telegram-long-answer-requests.json", h.api)
            assert [r.method for r in sent] == ["sendMessage"] * 3
            texts = [r.body["text"] for r in sent]
            # Every part is within the limit and valid HTML (the fake refuses anything else with a 400).
            visible = [visible_text(t)[0] for t in texts]
            assert all(telegram_length(v) <= 4096 for v in visible), [len(v) for v in visible]
            # Nothing lost or reordered: the visible words are the rendered reply's words.
            assert " ".join(visible).split() == as_shown(rendered)
            # No citation cut: every marker and source line is a whole link, in exactly one part.
            links = [re.findall(r'<a href="([^"]+)">([^<]+)</a>', t) for t in texts]
            assert sum(len(found) for found in links) == LONG_PARAGRAPHS * 2 + 7
            assert all(re.fullmatch(r"\[\d\]|Publisher \d: A long guide to spasticity, part \d", label)
                       for found in links for _, label in found)  # fmt: skip
            # Parts end at sentence ends or lines, the sources stay together after their heading, and the
            # keyboard is under the last part only.
            assert all(re.search(r"(\.|</a>|</i>)$", t) for t in texts)
            assert texts[-1].count("<b>Sources:</b>") == 1 and texts[-1].endswith(f"<i>{DISCLAIMER}</i>")
            assert ["reply_markup" in r.body for r in sent] == [False, False, True]

    run(scenario)


def test_a_telegram_rate_limit_is_waited_out_once(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            h.api.fail_next("sendMessage", Failure(429, "Too Many Requests: retry after 1", retry_after=1))
            started = time.monotonic()
            await h.post(h.message("the fixed answer"))
            assert time.monotonic() - started >= 1.0
            first, second = h.api.calls()
            assert first.body == second.body and first.body["text"] == FIXED_HTML

    run(scenario)


def test_a_failing_bot_apologises_instead_of_crashing(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            assert await h.post(h.message("fail please")) == (200, {"ok": True})
            (sorry,) = h.api.calls()
            assert "something went wrong on my side" in sorry.body["text"]

    run(scenario)


def test_edits_and_other_updates_are_acknowledged_without_a_reply(service: BotService) -> None:
    async def scenario() -> None:
        async with serving(service) as h:
            edited = {"message_id": 5, "chat": {"id": CHAT, "type": "private"}, "date": 1, "text": "edited"}
            assert (await h.post(h.update(edited_message=edited)))[0] == 200
            assert (await h.post(h.update(my_chat_member={"chat": {"id": CHAT}})))[0] == 200
            assert (await h.post(h.message(new_chat_members=[{"id": 1, "is_bot": False, "first_name": "A"}])))[0] == 200
            assert h.api.calls() == [] and h.bot.delivered == []

    run(scenario)


def test_retries_reaching_another_replica_are_answered_once_with_redis(service: BotService) -> None:
    redis: Any = importlib.import_module("redis")  # untyped package
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        _service_missing(f"Redis at {REDIS_URL}", error)

    async def scenario() -> None:
        bot_id = int(time.time() * 1000) % 10**9  # a bot of its own: keys of other runs cannot interfere
        token = f"{bot_id}:AAEfakeTokenForRedisTests_abcdefgh"
        async with FakeTelegram(token=token) as api:
            first = serving(service, api, TelegramState(bot_id, REDIS_URL))
            second = serving(service, api, TelegramState(bot_id, REDIS_URL))
            async with first as replica_a, second as replica_b:
                update = replica_a.message("What is baclofen?")
                assert await replica_a.post(update) == (200, {"ok": True})
                assert await replica_b.post(update) == (200, {"ok": True, "duplicate": True})
                assert replica_a.bot.delivered == ["What is baclofen?"] and replica_b.bot.delivered == []
                assert [r.method for r in api.calls()] == ["sendMessage"]
                # A long payload stored by one replica is found by the other.
                await replica_a.post(replica_a.message("offer a long question"))
                offer = api.calls("sendMessage")[-1]
                press = replica_a.press(offer.body)  # update ids come from one sequence, as from Telegram
                press["callback_query"]["message"]["reply_markup"] = None  # no title to fall back on
                await replica_b.post(press)
                assert replica_b.bot.delivered == [LONG_QUESTION]
        keys = list(client.scan_iter(f"spasticity:telegram:{bot_id}:*"))
        assert any(b":update:" in k for k in keys) and any(b":button:" in k for k in keys)
        assert all(0 < client.ttl(k) <= 90 * 24 * 3600 for k in keys)
        client.delete(*keys)

    try:
        run(scenario)
    finally:
        client.close()


def test_without_redis_the_state_stays_in_bounded_memory() -> None:
    async def scenario() -> None:
        state = TelegramState(1, "redis://127.0.0.1:1/0", update_memory=3)  # nothing listens on port 1
        assert await state.claim_update(1) is True
        assert await state.claim_update(1) is False
        for update_id in (2, 3, 4):
            assert await state.claim_update(update_id) is True
        assert await state.claim_update(1) is True, "the oldest id was evicted: memory stays bounded"
        codec = ButtonCodec(b"k" * 32, state)
        data = await codec.encode(LONG_QUESTION)
        assert await codec.decode(data) == LONG_QUESTION
        assert await codec.decode("k" + "A" * 16) is None and await codec.decode("xyz") is None
        await state.close()

    run(scenario)


def test_without_a_token_the_channel_opens_no_route(service: BotService) -> None:
    empty = Settings.from_env()
    assert TelegramConfig.from_settings(empty.__class__(**{**empty.__dict__, "telegram_bot_token": None})) is None

    async def scenario() -> None:
        async with FakeTelegram() as api:
            channel = TelegramInput(None)
            app = Sanic(f"telegram-off-{uuid.uuid4().hex[:8]}")
            app.blueprint(channel.blueprint(BotLike(service)), url_prefix="/webhooks/telegram")

            @app.get("/")
            async def hello(_: Any) -> Any:  # Rasa's own routes are there too
                return response.text("hello")

            port = free_port()
            server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
            assert server is not None
            await server.startup()
            await server.before_start()
            await server.after_start()
            url = f"http://127.0.0.1:{port}/webhooks/telegram/webhook"
            async with aiohttp.ClientSession() as http, http.post(url, json={}) as resp:
                assert resp.status == 404
            await server.before_stop()
            await server.close()
            await server.after_stop()
            assert channel.get_output_channel() is None and api.calls() == []

    run(scenario)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "does not look like a bot token"),
        ({"TELEGRAM_BOT_TOKEN": "1:AAAAAAAAAAAAAAAAAAAAAAAA", "TELEGRAM_API_URL": "ftp://x"}, "http(s) URL"),
        ({"TELEGRAM_BOT_TOKEN": "1:AAAAAAAAAAAAAAAAAAAAAAAA", "TELEGRAM_WEBHOOK_SECRET": "no spaces"}, "1 to 256"),
    ],
)
def test_bad_settings_get_a_clear_message(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(TelegramConfigError, match=re.escape(message)):
        TelegramConfig.from_settings(Settings.from_env())


def test_rasa_stops_with_the_message_when_the_channel_is_misconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.channels.telegram.get_settings", Settings.from_env)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "12345")
    with pytest.raises(RasaException, match="Telegram channel: TELEGRAM_BOT_TOKEN does not look like a bot token"):
        TelegramInput.from_credentials(None)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    assert TelegramInput.from_credentials(None).get_output_channel() is None
    # credentials.yml lists the channel, and Rasa's loader builds it (switched off here) without complaint.
    from rasa.core.run import _create_single_channel

    credentials = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text())
    name = "bot.channels.telegram.TelegramInput"
    assert name in credentials
    channel = _create_single_channel(name, credentials[name])
    assert isinstance(channel, TelegramInput) and channel.config is None


def test_the_secret_is_derived_from_the_token_when_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "1:AAAAAAAAAAAAAAAAAAAAAAAA"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    config = TelegramConfig.from_settings(Settings.from_env())
    assert config is not None and config.webhook_secret == derive_secret(token, "webhook").hex()
    assert config.api_url == "https://api.telegram.org"


def _webhook_command(api: FakeTelegram, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.channels.telegram_webhook"],
        cwd=PROJECT_ROOT,
        env={
            **clean,
            "PYTHONPATH": str(PROJECT_ROOT),
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": api.url,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_set_webhook_registers_the_secret_only_when_asked() -> None:
    with FakeTelegram().running() as api:
        url = "https://bot.example.org/webhooks/telegram/webhook"
        done = _webhook_command(api, TELEGRAM_WEBHOOK_URL=url)
        assert done.returncode == 0, done.stderr
        assert f"Webhook set: {url}" in done.stdout
        assert [(r.method, r.body) for r in api.calls()] == [
            (
                "setWebhook",
                {
                    "url": url,
                    "secret_token": derive_secret(api.token, "webhook").hex(),
                    "allowed_updates": '["message","callback_query"]',
                },
            ),
            (
                "setMyCommands",
                {
                    "commands": '[{"command":"start","description":"Start a conversation"},'
                    '{"command":"topics","description":"See the main topics"},'
                    '{"command":"help","description":"How to use this bot"},'
                    '{"command":"privacy","description":"How our conversation is kept"},'
                    '{"command":"forget","description":"Delete our conversation from the bot"}]'
                },
            ),
            ("getWebhookInfo", {}),
        ]
        api.clear()
        missing = _webhook_command(api)
        assert missing.returncode == 2 and "Set TELEGRAM_WEBHOOK_URL" in missing.stderr
        insecure = _webhook_command(api, TELEGRAM_WEBHOOK_URL="not a url")
        assert insecure.returncode == 2 and "must be an absolute URL" in insecure.stderr
        assert api.calls() == []


@settings(max_examples=60, deadline=None)
@given(
    paragraphs=st.lists(
        st.text(alphabet=st.sampled_from("abc xyz.?!&<>\"'é😀[1]\t"), min_size=0, max_size=900), min_size=1, max_size=12
    ),
    limit=st.integers(min_value=MIN_LIMIT, max_value=4096),
)
def test_splitting_keeps_every_word_and_every_link_whole(paragraphs: list[str], limit: int) -> None:
    citations = (Citation(1, "S", "Pub & co", "Title <1>", "https://example.org/a?b=1&c=2"),)
    message = render(Reply(ReplyKind.ANSWER, "\n".join(paragraphs), citations))
    text = message.text
    assert message.data is not None
    parts = format_reply(message.data, limit)
    assert parts
    for part in parts:
        shown, error = visible_text(part)
        assert error is None and shown.strip()
        assert telegram_length(shown) <= limit
        assert part.count("<a ") == part.count("</a>")
    assert " ".join(visible_text(p)[0] for p in parts).split() == as_shown(text)


@pytest.mark.e2e
def test_the_running_bot_answers_on_telegram(running_bot: Any, telegram_api: FakeTelegram) -> None:
    """The shared bot runs with TELEGRAM_* set: the channel is on, answers through aiogram, never calls getMe."""
    api, bot = telegram_api, running_bot
    # A chat and update ids of this test's own: the fake API and the bot's dedupe are the session's.
    chat = 10_000_000 + uuid.uuid4().int % 1_000_000
    first_update = chat * 10

    def mine() -> list[Any]:
        return [r for r in api.calls() if str(r.body.get("chat_id")) == str(chat) or r.method != "sendMessage"]

    assert not {"getMe", "setWebhook"} & {r.method for r in api.calls()}, "nothing is sent at start-up"
    path = "/webhooks/telegram/webhook"
    update = {
        "update_id": first_update,
        "message": {
            "message_id": 1,
            "from": {"id": chat, "is_bot": False, "first_name": "Pat"},
            "chat": {"id": chat, "type": "private"},
            "date": int(time.time()),
            "text": "What is Lioresal and how does it work?",
        },
    }
    assert bot.request(path, update)[0] == 403
    assert bot.request(path, update, headers={SECRET_HEADER: "not-the-secret"})[0] == 403
    asked = time.monotonic()
    assert bot.request(path, update, headers={SECRET_HEADER: TELEGRAM_SECRET}) == (200, {"ok": True})
    answered_s = time.monotonic() - asked
    duplicate = bot.request(path, update, headers={SECRET_HEADER: TELEGRAM_SECRET})
    assert duplicate == (200, {"ok": True, "duplicate": True})
    sent = [r for r in api.calls() if str(r.body.get("chat_id")) == str(chat)]
    assert {r.method for r in sent} == {"sendMessage"}
    intro, *answers = [r.body for r in sent]
    assert "automated assistant" in intro["text"] and "reply_markup" in intro
    answer = answers[-1]["text"]
    assert "baclofen" in answer.lower() and '<a href="https://' in answer
    assert answer.endswith(f"<i>{DISCLAIMER}</i>")
    assert all(b["parse_mode"] == "HTML" and b["disable_web_page_preview"] == "True" for b in (intro, *answers))
    # Press the first of the intro's topic buttons: acknowledged, then answered with citations.
    topic = json.loads(intro["reply_markup"])["inline_keyboard"][0][0]
    callback_id = f"cb-e2e-{chat}"
    press = {
        "update_id": first_update + 1,
        "callback_query": {
            "id": callback_id,
            "from": {"id": chat, "is_bot": False, "first_name": "Pat"},
            "message": {
                "message_id": 1000,
                "chat": {"id": chat, "type": "private"},
                "date": int(time.time()),
                "text": "Hello!",
                "reply_markup": json.loads(intro["reply_markup"]),
            },
            "chat_instance": "-1",
            "data": topic["callback_data"],
        },
    }
    before = len(mine())
    pressed = time.monotonic()
    assert bot.request(path, press, headers={SECRET_HEADER: TELEGRAM_SECRET}) == (200, {"ok": True})
    press_s = time.monotonic() - pressed
    ack, *topic_answer = mine()[before:]
    assert (ack.method, ack.body) == ("answerCallbackQuery", {"callback_query_id": callback_id})
    assert topic_answer and '<a href="https://' in topic_answer[-1].body["text"]
    assert not {"getMe", "setWebhook"} & {r.method for r in api.calls()}
    save_log("telegram-running-bot-requests.json", api)
    print(f"\nreal bot with Telegram: first answer in {answered_s:.2f} s, button press answered in {press_s:.2f} s")
