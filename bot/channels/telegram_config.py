"""The Telegram channel's settings, checked once, and the aiogram client they describe.

Kept apart from the channel (`telegram.py`, which needs Rasa and Sanic) so that `make telegram-webhook`
starts in a moment: it needs only these settings and aiogram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer

from bot.channels.telegram_state import derive_secret
from bot.config import Settings

_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class TelegramConfigError(ValueError):
    """A Telegram setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class TelegramConfig:
    """The channel's settings, checked.

    Attributes:
        token: the bot token (`TELEGRAM_BOT_TOKEN`).
        api_url: the Bot API base URL (`TELEGRAM_API_URL`).
        webhook_secret: what Telegram must send in `X-Telegram-Bot-Api-Secret-Token`.
        webhook_url: the public URL of this channel's webhook, for `make telegram-webhook`.
        redis_url: Redis shared between replicas, or None.
    """

    token: str
    api_url: str
    webhook_secret: str
    webhook_url: str | None = None
    redis_url: str | None = None

    @property
    def bot_id(self) -> int:
        """The numeric id at the start of the token (the bot's user id)."""
        return int(self.token.split(":", 1)[0])

    @classmethod
    def from_settings(cls, settings: Settings, overrides: dict[str, Any] | None = None) -> TelegramConfig | None:
        """The configuration from the environment (and optional credentials.yml values); None without a token.

        Raises:
            TelegramConfigError: when a value is malformed.
        """
        values = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
        token = str(values.get("access_token") or settings.telegram_bot_token or "").strip()
        if not token:
            return None
        if not _TOKEN.match(token):
            raise TelegramConfigError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters, digits, - "
                "and _, as BotFather gives it)."
            )
        api_url = str(values.get("api_url") or settings.telegram_api_url).strip().rstrip("/")
        parts = urlsplit(api_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise TelegramConfigError(f"TELEGRAM_API_URL must be an http(s) URL, got {api_url!r}.")
        secret = str(values.get("secret_token") or settings.telegram_webhook_secret or "").strip()
        if secret and not _SECRET.match(secret):
            raise TelegramConfigError(
                "TELEGRAM_WEBHOOK_SECRET may only hold 1 to 256 letters, digits, - and _ (Telegram's rule)."
            )
        if not secret:
            # Derived from the token, so the webhook is always protected even when nobody sets a secret.
            secret = derive_secret(token, "webhook").hex()
        return cls(
            token=token,
            api_url=api_url,
            webhook_secret=secret,
            webhook_url=values.get("webhook_url") or settings.telegram_webhook_url,
            redis_url=values.get("redis_url") or settings.telegram_redis_url,
        )

    def new_bot(self) -> Bot:
        """An aiogram client for this bot and Bot API server (no request is made until one is needed)."""
        return Bot(self.token, server=TelegramAPIServer.from_base(self.api_url), validate_token=False)


async def close_bot(bot: Bot) -> None:
    """Closes the client's HTTP session, if it opened one.

    `Bot.close()` is deprecated in aiogram 2.x (its meaning changes in 3.0); closing the session is what we want.
    """
    session = bot._session
    if session is not None and not session.closed:
        await session.close()
