"""Conversation ids: every channel keeps its conversations in a namespace of its own, built by the server.

Rasa keeps a conversation under one string, the sender id, and any channel may name any string. If a client
could choose it, a REST request could read or wipe a Telegram conversation, and a Socket.IO event could join
another person's widget session. So the tracker key is always made here, by the channel, from what the server
knows; whatever id a client sends only ever becomes the suffix inside its own channel's namespace:

- Telegram: `tg:<chat id>`, from the update Telegram sent with the webhook secret;
- the website widget: `web:<the random half of the session id>`, an id the server issued and signed
  (`bot.channels.widget_session`);
- REST: `rest:<integrator>:<sender>`, the API key's name (`REST_API_KEYS`; `local` for a keyless request on
  loopback) and the body's `sender`;
- the editors' shell: `editor:<sender>`, from the editors' page behind `EDITOR_TOKEN`.

A REST client that sends `"sender": "tg:4242"` therefore talks in `rest:local:tg:4242`, never in Telegram's
`tg:4242`; an editor's `123` is `editor:123`, never a Telegram chat. Integrator names hold no `:`, so the key
of one integrator can never be another's. What goes back to a client is its own id, never the key: REST
answers with `recipient_id` equal to the `sender` it sent (integrators match replies on it), Telegram sends to
the chat id inside the key.

The feedback store hashes the key (`bot.feedback`), so two channels' conversations that happen to share a
client id are two conversations there too.
"""

from __future__ import annotations

import re

SEPARATOR = ":"
TELEGRAM = "tg"
WIDGET = "web"
REST = "rest"
EDITOR = "editor"
NAMESPACES = (TELEGRAM, WIDGET, REST, EDITOR)
# The REST namespace of requests made without an API key (allowed only on loopback, see bot.channels.rest).
LOCAL_INTEGRATOR = "local"
# An integrator's name in REST_API_KEYS: it becomes part of the key, so it may hold no separator.
INTEGRATOR_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_CHAT_ID = re.compile(r"^-?[0-9]{1,20}$")


def telegram_key(chat_id: int | str) -> str:
    """The key of a Telegram chat: `tg:<chat id>`.

    Raises:
        ValueError: `chat_id` is not a Telegram chat id (an integer, negative for groups).
    """
    text = str(chat_id)
    if not _CHAT_ID.fullmatch(text):
        raise ValueError(f"not a Telegram chat id: {text[:40]!r}")
    return f"{TELEGRAM}{SEPARATOR}{text}"


def telegram_chat(key: str) -> str:
    """The chat id inside a Telegram key, where the reply must go.

    Raises:
        ValueError: the key is not a Telegram conversation's (a reply must never go to a chat another
            channel's client named).
    """
    prefix = TELEGRAM + SEPARATOR
    chat = key[len(prefix) :] if key.startswith(prefix) else ""
    if not _CHAT_ID.fullmatch(chat):
        raise ValueError(f"not a Telegram conversation: {key[:40]!r}")
    return chat


def widget_key(session_part: str) -> str:
    """The key of a widget session: `web:<the random half of its id>` (the signature is never stored)."""
    return f"{WIDGET}{SEPARATOR}{session_part}"


def rest_key(integrator: str, sender: str) -> str:
    """The key of a REST conversation: `rest:<integrator>:<sender>`.

    Raises:
        ValueError: the integrator's name is not one `REST_API_KEYS` could hold.
    """
    if not INTEGRATOR_NAME.fullmatch(integrator):
        raise ValueError(f"not an integrator name: {integrator!r}")
    return f"{REST}{SEPARATOR}{integrator}{SEPARATOR}{sender}"


def rest_sender(key: str) -> str:
    """The client's own `sender` inside a REST key (what REST answers as `recipient_id`).

    Raises:
        ValueError: the key is not a REST conversation's.
    """
    namespace, _, rest = key.partition(SEPARATOR)
    integrator, separator, sender = rest.partition(SEPARATOR)
    if namespace != REST or not separator or not INTEGRATOR_NAME.fullmatch(integrator):
        raise ValueError(f"not a REST conversation: {key[:40]!r}")
    return sender


def editor_key(sender: str) -> str:
    """The key of an editors' shell conversation: `editor:<sender>`."""
    return f"{EDITOR}{SEPARATOR}{sender}"


def namespace_of(key: str) -> str | None:
    """The channel namespace a key belongs to, or None for a key no channel of the bot makes."""
    namespace, separator, _ = key.partition(SEPARATOR)
    return namespace if separator and namespace in NAMESPACES else None
