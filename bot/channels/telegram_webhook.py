"""`make telegram-webhook`: registers the Telegram webhook, with its secret token, once, when an operator asks.

Rasa's stock connector calls `setWebhook` at every start; this channel never calls the Bot API at start-up.
Run `python -m bot.channels.telegram_webhook` (what the make target does) after deploying, or after changing
TELEGRAM_WEBHOOK_URL or TELEGRAM_WEBHOOK_SECRET. It also sets the bot's command menu (/start, /topics, /help).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.types import BotCommand
from aiogram.utils.exceptions import TelegramAPIError

from bot.channels.telegram_config import TelegramConfig, TelegramConfigError, close_bot
from bot.config import get_settings

# Only these update types are requested from Telegram; the channel acknowledges any other without a reply.
ALLOWED_UPDATES = ("message", "callback_query")
COMMANDS = (
    ("start", "Start a conversation"),
    ("topics", "See the main topics"),
    ("help", "How to use this bot"),
    ("privacy", "How our conversation is kept"),
    ("forget", "Delete our conversation from the bot"),
)


async def set_webhook(config: TelegramConfig, bot: Bot | None = None) -> dict[str, Any]:
    """Registers the webhook with its secret and the bot's commands; returns Telegram's webhook info.

    aiogram 2.15's `Bot.set_webhook` predates `secret_token`, so the method is called with the raw request.

    Raises:
        TelegramConfigError: when TELEGRAM_WEBHOOK_URL is missing or not usable.
        TelegramAPIError: when Telegram refuses.
    """
    url = (config.webhook_url or "").strip()
    parts = urlsplit(url)
    if not url:
        raise TelegramConfigError(
            "Set TELEGRAM_WEBHOOK_URL to the public URL of the webhook, e.g. "
            "https://bot.example.org/webhooks/telegram/webhook"
        )
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise TelegramConfigError(f"TELEGRAM_WEBHOOK_URL must be an absolute URL, got {url!r}.")
    if parts.scheme != "https" and urlsplit(config.api_url).netloc == "api.telegram.org":
        raise TelegramConfigError("Telegram only delivers updates to https:// webhook URLs.")
    client = bot or config.new_bot()
    try:
        await client.request(
            "setWebhook",
            {
                "url": url,
                "secret_token": config.webhook_secret,
                "allowed_updates": json.dumps(list(ALLOWED_UPDATES), separators=(",", ":")),
            },
        )
        await client.set_my_commands([BotCommand(name, description) for name, description in COMMANDS])
        info = await client.request("getWebhookInfo")
    finally:
        if bot is None:
            await close_bot(client)
    return dict(info) if isinstance(info, dict) else {}


def main(argv: list[str] | None = None) -> int:
    """Sets the webhook from the environment; returns the exit code (2: bad settings, 1: Telegram refused)."""
    parser = argparse.ArgumentParser(prog="python -m bot.channels.telegram_webhook", description=__doc__)
    parser.parse_args(argv)
    try:
        config = TelegramConfig.from_settings(get_settings())
        if config is None:
            raise TelegramConfigError("Set TELEGRAM_BOT_TOKEN to the token BotFather gave you.")
        info = asyncio.run(set_webhook(config))
    except TelegramConfigError as error:
        print(error, file=sys.stderr)
        return 2
    except TelegramAPIError as error:
        print(f"Telegram refused the webhook: {error}", file=sys.stderr)
        return 1
    pending = info.get("pending_update_count", 0)
    print(f"Webhook set: {info.get('url', config.webhook_url)} (secret token on, {pending} updates pending).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
