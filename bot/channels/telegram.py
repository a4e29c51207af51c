"""The Telegram channel: a Rasa input channel that fixes what Rasa 3.6's stock `telegram` connector lacks.

The stock connector (`rasa/core/channels/telegram.py`) calls `getMe` on every update to "verify" it, sets the
webhook at every start, accepts any POST, answers Telegram's retries twice, sends plain text cut at blank lines
and puts button payloads straight into `callback_data` (64 bytes at most). This one:

- accepts an update only with the right `X-Telegram-Bot-Api-Secret-Token` header (constant-time comparison),
  and answers 403 otherwise;
- never calls the Bot API at start-up: `make telegram-webhook` (`telegram_webhook.py`) registers the webhook
  with its secret, once, when an operator asks;
- claims each `update_id` once (`telegram_state`), so a retried update is acknowledged but not answered again;
- sends HTML rendered from each reply's data (`telegram_output`; citations as links, link previews off; a reply
  without its disclaimer is refused and the safe fallback sent instead), split under 4096 characters without cutting a
  citation (`telegram_format`); quick replies become an inline keyboard whose presses come back as the payload;
- keeps each chat's conversation under `tg:<chat id>` (`bot.channels.conversation_ids`), a key no other channel
  can name, and sends each reply to the chat id inside that key;
- answers `/start` (the privacy notice, then the introduction; `/start <topic-id>`, what a deep link
  `t.me/<bot>?start=<topic-id>` sends, opens on that topic: `_start`), `/topics`, `/restart`, `/help`,
  `/privacy` (the notice, in the app's language, with `PRIVACY_URL` when set) and `/forget` (deletes the chat's
  conversation from the tracker store, under its lock, and says so), and tells people who send a sticker, photo
  or voice note that it reads text;
- talks to the Bot API at `TELEGRAM_API_URL`, so a self-hosted Bot API server works.

The channel is listed in `credentials.yml` and reads its settings from the environment (`bot.config`), so no
secret is written to a file; without `TELEGRAM_BOT_TOKEN` it opens no route at all.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.constants import USER_INTENT_RESTART
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import constants as c
from bot.channels.conversation_ids import telegram_key
from bot.channels.telegram_config import TelegramConfig, TelegramConfigError
from bot.channels.telegram_output import CHANNEL_NAME, TelegramOutput
from bot.channels.telegram_state import ButtonCodec, TelegramState, derive_secret
from bot.config import get_settings
from bot.conversation_store import forget_conversation
from bot.language import normalise_code
from bot.payloads import ChannelCommand, TopicStart, is_topic_id
from bot.wording import (
    TELEGRAM_EXPIRED_BUTTON,
    TELEGRAM_HELP,
    TELEGRAM_MEDIA_KINDS,
    TELEGRAM_MEDIA_NOTE,
    TELEGRAM_SORRY,
    TELEGRAM_UNKNOWN_COMMAND,
    privacy_notice,
)
from bot.wording import text as wording

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 256 * 1024  # a real update is a few kilobytes; anything larger is not from Telegram


def _chat_id(message: Any) -> str | None:
    chat = message.get("chat") if isinstance(message, dict) else None
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    return str(chat_id) if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None


def _pressed_title(message: Any, data: str) -> str | None:
    """The title of the button whose callback_data is `data`, from the message the keyboard is under."""
    markup = message.get("reply_markup") if isinstance(message, dict) else None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data and isinstance(button.get("text"), str):
                return str(button["text"])
    return None


class TelegramInput(InputChannel):
    """Receives Telegram webhook updates at `/webhooks/telegram/webhook`.

    Args:
        config: the checked settings; None turns the channel off (no route is opened).
        state: what the channel remembers (update ids, button payloads); built from `config` by default.
    """

    @classmethod
    def name(cls) -> str:
        """The channel's name, which is also its URL prefix."""
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Builds the channel from the environment; credentials.yml may override a value, never needs one.

        Raises:
            RasaException: when a Telegram setting is malformed; `rasa run` stops and prints the message.
        """
        try:
            config = TelegramConfig.from_settings(get_settings(), credentials)
        except TelegramConfigError as error:
            raise RasaException(f"Telegram channel: {error}") from error
        if config is None:
            logger.info("Telegram channel off: TELEGRAM_BOT_TOKEN is not set.")
        return cls(config)

    def __init__(self, config: TelegramConfig | None, state: TelegramState | None = None) -> None:
        self.config = config
        self.state = state or (TelegramState(config.bot_id, config.redis_url) if config else None)
        self._output: TelegramOutput | None = None

    def get_output_channel(self) -> TelegramOutput | None:
        """The one output channel of this input channel (one HTTP session to the Bot API); None when off."""
        if self.config is None or self.state is None:
            return None
        if self._output is None:
            codec = ButtonCodec(derive_secret(self.config.token, "buttons"), self.state)
            self._output = TelegramOutput(self.config.new_bot(), codec)
        return self._output

    def authorised(self, request: Request) -> bool:
        """True when the request carries the webhook secret (compared in constant time)."""
        if self.config is None:
            return False
        given = request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(given.encode("utf-8"), self.config.webhook_secret.encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The webhook route, or an empty blueprint when the channel is off."""
        webhook = Blueprint("spasticity_telegram", __name__)
        output = self.get_output_channel()
        if output is None or self.state is None:
            return webhook
        state = self.state

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.authorised(request):
                return response.json({"ok": False, "description": "Forbidden"}, status=403)
            if len(request.body or b"") > MAX_UPDATE_BYTES:
                return response.json({"ok": False, "description": "Update too large"}, status=413)
            try:
                update = json.loads(request.body or b"")
            except ValueError:
                return response.json({"ok": False, "description": "The body is not JSON"}, status=400)
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                return response.json({"ok": False, "description": "No integer update_id"}, status=400)
            if not await state.claim_update(update_id):
                logger.info("Telegram update %s already handled; acknowledging the retry only.", update_id)
                return response.json({"ok": True, "duplicate": True})
            await self.handle(update, output, on_new_message, getattr(request.app.ctx, "agent", None))
            return response.json({"ok": True})

        @webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await output.close()
            await state.close()

        return webhook

    async def handle(
        self,
        update: dict[str, Any],
        output: TelegramOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any = None,
    ) -> None:
        """Answers one (new) update; errors are logged and told to the person, never raised to Telegram.

        Args:
            update: the update as Telegram sent it.
            output: where replies go.
            on_new_message: Rasa's handler of a user message.
            agent: Rasa's agent (its tracker and lock stores), for `/forget`; None where there is none.
        """
        chat_id: str | None = None
        try:
            if isinstance(update.get("callback_query"), dict):
                query = update["callback_query"]
                chat_id = _chat_id(query.get("message")) or _chat_id({"chat": query.get("from")})
                await self._on_button(query, chat_id, output, on_new_message)
            elif isinstance(update.get("message"), dict):
                chat_id = _chat_id(update["message"])
                await self._on_message(update["message"], chat_id, output, on_new_message, agent)
            # Edited messages, channel posts and other update types are acknowledged without a reply: answering
            # an edit again would repeat an answer the person already has.
        except Exception:
            logger.exception("Telegram update %s failed", update.get("update_id"))
            if chat_id is not None:
                try:
                    await output.send_html(chat_id, TELEGRAM_SORRY)
                except Exception:  # the Bot API is unreachable too: nothing more we can do
                    logger.exception("Could not tell chat %s about the failure", chat_id)

    async def _deliver(
        self,
        text: str,
        chat_id: str,
        output: TelegramOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: Any = None,
    ) -> None:
        # The Telegram app's language ("es", "en-GB") goes along: the bot answers a Spanish app in Spanish.
        language = sender.get("language_code") if isinstance(sender, dict) else None
        metadata = {"language_code": language} if isinstance(language, str) and language else None
        await on_new_message(
            UserMessage(text, output, telegram_key(chat_id), input_channel=CHANNEL_NAME, metadata=metadata)
        )

    async def _on_message(
        self,
        message: dict[str, Any],
        chat_id: str | None,
        output: TelegramOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Any = None,
    ) -> None:
        if chat_id is None:
            return
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            text = text.strip()
            if not text.startswith("/"):
                await self._deliver(text, chat_id, output, on_new_message, message.get("from"))
                return
            # A typed "/..." is a Telegram command, never a Rasa intent: only buttons the bot offered carry
            # intents, so nobody can type their way to an intent or entity the conversation did not offer.
            # The intents go as `ChannelCommand`s: Rasa honours those unoffered (bot.payloads), a typed "/..." never.
            command = text.split()[0].split("@", 1)[0].lower()
            key = telegram_key(chat_id)
            lang = normalise_code((message.get("from") or {}).get("language_code")) or "en"
            settings = get_settings()
            notice = privacy_notice("telegram", lang, settings.tracker_retention_days, settings.privacy_url)
            if command == "/start":
                await output.send_html(chat_id, notice)
                await on_new_message(self._start(text, output, key, message.get("from")))
            elif command == "/topics":
                # The topic intent without a topic is the bot's menu of main topics.
                await on_new_message(ChannelCommand(c.INTENT_ASK_TOPIC, output, key, CHANNEL_NAME))
            elif command == "/restart":
                # Rasa's own restart: the conversation is forgotten and the next message is introduced afresh.
                await on_new_message(ChannelCommand(USER_INTENT_RESTART, output, key, CHANNEL_NAME))
            elif command == "/privacy":
                await output.send_html(chat_id, notice)
            elif command == "/forget":
                await output.send_html(chat_id, wording(await self._forget(agent, key), lang))
            elif command == "/help":
                await output.send_html(chat_id, TELEGRAM_HELP)
            else:
                await output.send_html(chat_id, TELEGRAM_UNKNOWN_COMMAND)
            return
        kinds = [name for key, name in TELEGRAM_MEDIA_KINDS.items() if message.get(key)]
        if kinds:
            await output.send_html(chat_id, TELEGRAM_MEDIA_NOTE.format(what=kinds[0]))

    @staticmethod
    def _start(text: str, output: TelegramOutput, key: str, sender: Any) -> UserMessage:
        """What `/start` asks of Rasa: the greeting, or a `TopicStart` when a deep link names a topic.

        A deep link's parameter (`/start baclofen-pump`) goes on only when it has the shape of a content id; the
        action answers with that topic's overview, or greets as usual when it is no topic it knows. Anything
        else (several words, odd characters, over 64 characters) is not looked at: the usual greeting.
        """
        words = text.split()
        if len(words) == 2 and is_topic_id(words[1]):
            language = sender.get("language_code") if isinstance(sender, dict) else None
            metadata = {"language_code": language} if isinstance(language, str) and language else None
            return TopicStart(words[1], output, key, CHANNEL_NAME, metadata)
        return ChannelCommand(c.INTENT_GREET, output, key, CHANNEL_NAME)

    @staticmethod
    async def _forget(agent: Any, key: str) -> str:
        """Deletes the chat's conversation; the wording key of what to tell the person."""
        if agent is None or getattr(agent, "tracker_store", None) is None:
            logger.error("/forget: the bot has no tracker store to delete from yet.")
            return "forget_failed"
        try:
            deleted = await forget_conversation(agent, key)
        except Exception:  # the database is down: say so, and let them ask again
            logger.exception("/forget could not delete a Telegram conversation")
            return "forget_failed"
        logger.info("/forget: a Telegram conversation was deleted (%d stored items).", deleted)
        return "forgotten"

    async def _on_button(
        self,
        query: dict[str, Any],
        chat_id: str | None,
        output: TelegramOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        query_id = query.get("id")
        if not isinstance(query_id, str):
            return
        data = query.get("data")
        payload = await output.codec.decode(data) if isinstance(data, str) else None
        if payload is None and isinstance(data, str):
            # A payload forgotten (restart, eviction) is not lost: the button's title is the question.
            payload = _pressed_title(query.get("message"), data)
        if payload is None or chat_id is None:
            await output.bot.answer_callback_query(query_id, text=TELEGRAM_EXPIRED_BUTTON)
            return
        # Acknowledge first: Telegram shows a spinner on the button until it is answered. A late acknowledgement
        # is refused ("query is too old") but the person still deserves the answer.
        try:
            await output.bot.answer_callback_query(query_id)
        except TelegramAPIError as error:
            logger.warning("Could not acknowledge button press %s: %s", query_id, error)
        await self._deliver(payload, chat_id, output, on_new_message, query.get("from"))
