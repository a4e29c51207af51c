"""The Telegram channel's output: the bot's messages as HTML, quick replies as an inline keyboard.

Rasa hands every reply to `send_response` with the conversation's tracker key, `tg:<chat id>`
(`bot.channels.conversation_ids`); the reply goes to the chat id inside it, and a key of any other channel is
refused, so no id a client of another channel names can make the bot write to a Telegram chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import RetryAfter
from rasa.core.channels.channel import OutputChannel

from bot.channels.conversation_ids import SEPARATOR, TELEGRAM, telegram_chat, telegram_key
from bot.channels.telegram_config import close_bot
from bot.channels.telegram_format import format_reply, format_text
from bot.channels.telegram_state import ButtonCodec
from bot.replies import checked
from bot.wording import TELEGRAM_CHOOSE

CHANNEL_NAME = "telegram"
MAX_RETRY_AFTER_S = 5  # wait this long at most when Telegram asks us to slow down, then give up on the message


def _chat(recipient_id: str) -> str:
    """The chat a reply goes to: the chat id inside a `tg:` key, or a chat id the channel itself passes on.

    Raises:
        ValueError: any other channel's key; a reply never goes to a chat someone else's id names.
    """
    if recipient_id.startswith(TELEGRAM + SEPARATOR):
        return telegram_chat(recipient_id)
    return telegram_chat(telegram_key(recipient_id))


class TelegramOutput(OutputChannel):
    """Sends the bot's messages to a Telegram chat as HTML, with quick replies as an inline keyboard."""

    @classmethod
    def name(cls) -> str:
        """The channel name Rasa records with each message."""
        return CHANNEL_NAME

    def __init__(self, bot: Bot, codec: ButtonCodec) -> None:
        self.bot = bot
        self.codec = codec

    async def _send(self, chat_id: str, html_text: str, markup: InlineKeyboardMarkup | None) -> None:
        for attempt in (1, 2):
            try:
                await self.bot.send_message(
                    chat_id, html_text, parse_mode="HTML", disable_web_page_preview=True, reply_markup=markup
                )
                return
            except RetryAfter as error:
                if attempt == 2 or error.timeout > MAX_RETRY_AFTER_S:
                    raise
                await asyncio.sleep(error.timeout)

    async def send_parts(self, chat_id: str, parts: list[str], markup: InlineKeyboardMarkup | None = None) -> None:
        """Sends HTML messages in order; the keyboard goes with the last one."""
        chat_id = _chat(chat_id)
        if not parts and markup is not None:
            parts = [TELEGRAM_CHOOSE]  # Telegram needs some text to hang a keyboard under
        for number, part in enumerate(parts, start=1):
            await self._send(chat_id, part, markup if number == len(parts) else None)

    async def send_html(self, chat_id: str, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Sends a plain text as one or more HTML messages; the keyboard goes with the last one."""
        await self.send_parts(chat_id, format_text(text), markup)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A structured reply is rendered from its data (the safe fallback if it has no disclaimer).

        Any other message (a domain response) goes the way Rasa sends it, as text with buttons.
        """
        chat_id = _chat(recipient_id)  # Rasa passes the tracker key
        reply = checked(message)
        if reply is None:
            await super().send_response(chat_id, message)
            return
        buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
        await self.send_parts(chat_id, format_reply(reply), await self.keyboard(buttons))

    async def keyboard(self, buttons: Sequence[dict[str, Any]]) -> InlineKeyboardMarkup | None:
        """One button per row (long titles stay readable, and each is a large target), or None if empty."""
        markup = InlineKeyboardMarkup(row_width=1)
        for button in buttons:
            title = str(button.get("title") or "").strip()
            if not title:
                continue
            if button.get("url"):
                markup.row(InlineKeyboardButton(title, url=str(button["url"])))
            else:
                payload = str(button.get("payload") or title)
                markup.row(InlineKeyboardButton(title, callback_data=await self.codec.encode(payload)))
        return markup if markup.inline_keyboard else None

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """A text message (split when longer than Telegram allows)."""
        await self.send_html(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """A text message whose quick replies become an inline keyboard under its last part."""
        await self.send_html(recipient_id, text, await self.keyboard(buttons))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Quick replies are buttons on Telegram."""
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def close(self) -> None:
        """Closes the HTTP session to the Bot API."""
        await close_bot(self.bot)
