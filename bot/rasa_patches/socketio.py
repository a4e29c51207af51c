"""Replacing the Socket.IO channel's handlers (`SocketIOInput.blueprint`, rasa/core/channels/socketio.py).

**What.** `bot.channels.widget_socket.SocketIOInput` builds Rasa's blueprint and then registers its own handlers
on the same python-socketio server (`self.sio`) for `connect`, `disconnect`, `session_request` and the user
message event, which replaces Rasa's (what each one does is in that module). `replace_handler` does the
replacing, and refuses when Rasa registered no handler for the event, so a Rasa that renames its events fails at
start instead of leaving both handlers live.

**Why.** Rasa 3.6 calls python-socketio's `enter_room` without `await`; since python-socketio 5.10 (we have
5.18) that is a coroutine, so with session persistence no socket ever joined its conversation's room and every
bot reply went nowhere. Rasa's `session_request` kept any id a client sent (so a client could join any
conversation's room, and collect rooms without end), and its message handler raised on a broken payload, and
the person heard nothing.

**Measured.** With Rasa's handler a widget with session persistence received no reply at all; with ours, every
reply (tests/test_widget.py and tests/test_bad_input.py, e2e tier). Each decision is checked in-process in
tests/test_socketio_channel.py. Contract: `tests/test_rasa_patches.py::test_socketio_*` (Rasa's own
`session_request` leaves the socket outside the room and its message handler raises on a broken payload;
ours differ exactly there).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[..., Awaitable[Any]]  # (sid, data), or (sid, environ, auth) for `connect`


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
