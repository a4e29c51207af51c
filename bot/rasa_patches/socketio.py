"""The Socket.IO channel's handlers that replace Rasa's (`SocketIOInput.blueprint`, rasa/core/channels/socketio.py).

**What.** `bot.channels.widget.SocketIOInput` builds Rasa's blueprint and then registers its own handlers for
two events on the same python-socketio server (`self.sio`), which replaces Rasa's:

- `session_request` (`session_request_handler`, here): awaits `enter_room`, and gives a fresh id for a missing,
  non-text, empty or over-long session id (Rasa kept any value, and failed on a payload that is not an object);
- the user message event (`handle_message` in `bot.channels.widget`): a payload that is not an object, a
  message that is not text or holds a lone surrogate gets a plain reply instead of an exception, and the text
  is cleaned as the REST channel cleans it.

`replace_handler` does the replacing, and refuses when Rasa registered no handler for the event, so a Rasa
that renames its events fails at start instead of leaving both handlers live.

**Why.** Rasa 3.6 calls python-socketio's `enter_room` without `await`; since python-socketio 5.10 (we have
5.18) that is a coroutine, so with session persistence no socket ever joined its conversation's room and every
bot reply went nowhere. Rasa's message handler raised on a broken payload, and the person heard nothing.

**Measured.** With Rasa's handler a widget with session persistence received no reply at all; with this one,
every reply (tests/test_widget.py and tests/test_bad_input.py, e2e tier). Each decision is checked in-process
in tests/test_socketio_channel.py. Contract: `tests/test_rasa_patches.py::test_socketio_*` (Rasa's own
`session_request` leaves the socket outside the room and its message handler raises on a broken payload;
ours differ exactly there).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

MAX_ROOM_CHARS = 128  # a session id longer than this is not a client's id: a fresh one is given instead

Handler = Callable[[str, Any], Awaitable[None]]


def replace_handler(sio: Any, event: str, handler: Handler, namespace: str | None) -> None:
    """Registers `handler` for `event` in place of the handler Rasa's blueprint registered.

    Raises:
        RuntimeError: Rasa registered no handler for that event (an upgrade renamed it).
    """
    if event not in sio.handlers.get(namespace or "/", {}):
        raise RuntimeError(
            f"Rasa's Socket.IO blueprint registers no {event!r} handler to replace: see bot/rasa_patches/socketio.py"
        )
    sio.on(event, handler, namespace=namespace)


def session_request_handler(channel: Any, sio: Any) -> Handler:
    """Rasa's `session_request` handler with `enter_room` awaited and the session id checked.

    Args:
        channel: the `SocketIOInput` (its `session_persistence` and `namespace`).
        sio: the python-socketio server its blueprint made.
    """

    async def session_request(sid: str, data: Any) -> None:
        requested = data.get("session_id") if isinstance(data, dict) else None
        valid = isinstance(requested, str) and 0 < len(requested) <= MAX_ROOM_CHARS
        session_id = requested if valid else uuid.uuid4().hex
        if channel.session_persistence:
            await sio.enter_room(sid, session_id, namespace=channel.namespace)
        await sio.emit("session_confirm", session_id, room=sid, namespace=channel.namespace)

    return session_request
