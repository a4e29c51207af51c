"""Our HTTP code in-process: a Sanic app with the bot's input channels, served over ASGI with no socket.

This is how rasa-sdk tests its endpoint: the app under test is the real one (the channels' blueprints, or
Rasa's own server app built by `rasa.core.run.configure_app`, the function `rasa run` calls), and requests go
straight into it through `httpx2`'s ASGI transport. What a real server adds (the model, the action server,
the tracker store on disk) is replaced by `StubAgent`, which records each message and answers it, so a test
of validation, limits, authentication or payload handling takes milliseconds instead of a bot start.

What only a real server shows (the trained model's replies, Socket.IO over the wire, the browser, the scaled
setup) stays in the e2e and system tiers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
from rasa.core.channels.channel import InputChannel, UserMessage, register
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Sanic

# The address requests appear to come from (a documentation range, never a real client).
CLIENT = ("203.0.113.7", 40000)
# A request made on the bot's own machine (REST serves these without an API key when none is configured).
LOCAL_CLIENT = ("127.0.0.1", 40000)
REPLY_PREFIX = "stub reply to: "


class StubAgent:
    """Stands in for Rasa's `Agent` where the channels reach it: `handle_message`, its stores and its domain.

    Each message is recorded and stored in Rasa's own in-memory tracker store, and answered with one text
    message (`REPLY_PREFIX` + the text), so a test sees what reached the bot and what the channel sent back.
    """

    def __init__(self) -> None:
        """An empty agent: no messages yet, empty in-memory tracker and lock stores, Rasa's default session."""
        self.messages: list[UserMessage] = []
        self.domain = Domain.empty()  # sessions expire after 60 minutes, as in domain.yml
        self.tracker_store = InMemoryTrackerStore(self.domain)
        self.lock_store = InMemoryLockStore()

    def is_ready(self) -> bool:
        """Rasa's API routes ask this before they serve a request."""
        return True

    async def handle_message(self, message: UserMessage) -> None:
        """Records the message, stores it with the reply in the tracker, and sends the reply."""
        self.messages.append(message)
        reply = f"{REPLY_PREFIX}{message.text}"
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, input_channel=message.input_channel))
        tracker.update(BotUttered(reply))
        await self.tracker_store.save(tracker)
        await message.output_channel.send_text_message(message.sender_id, reply)


class InProcessApp:
    """A Sanic app served in-process over ASGI, with a synchronous `request` for plain pytest tests."""

    def __init__(self, app: Sanic, agent: StubAgent, client: tuple[str, int] = CLIENT) -> None:
        """Starts the app's listeners on a loop of its own; `close()` stops them.

        Args:
            app: the Sanic app under test.
            agent: what stands in for Rasa's agent.
            client: the address and port requests come from.
        """
        # Several apps start in one process: test mode stops Sanic rewriting its own methods at each start.
        Sanic.test_mode = True
        self.app = app
        self.agent = agent
        app.ctx.agent = agent
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(app._startup())
        self.client = httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app, client=client), base_url="http://testserver"
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        """One request, as `httpx2.AsyncClient.request` takes it (json=, content=, headers=, params=)."""
        return self.loop.run_until_complete(self.client.request(method, path, **kwargs))

    def run(self, coroutine: Any) -> Any:
        """Runs a coroutine on the app's loop (to call a handler directly)."""
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        """Closes the client and the loop."""
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


def _new_app(name: str) -> Sanic:
    Sanic.test_mode = True  # several apps in one process; Sanic would refuse a second one otherwise
    return Sanic(f"{name}-{uuid.uuid4().hex[:8]}")


@contextmanager
def channel_app(
    channels: Iterable[InputChannel], agent: StubAgent | None = None, client: tuple[str, int] = CLIENT
) -> Iterator[InProcessApp]:
    """The channels' blueprints under /webhooks/, as Rasa mounts them, with a stub agent behind them."""
    app = _new_app("channels")
    register(list(channels), app, route="/webhooks/")
    served = InProcessApp(app, agent or StubAgent(), client)
    try:
        yield served
    finally:
        served.close()


@contextmanager
def rasa_app(enable_api: bool, auth_token: str | None) -> Iterator[InProcessApp]:
    """Rasa's own server app, built by the function `rasa run` calls, with the API switched as asked."""
    from rasa.core.run import configure_app

    app = configure_app(input_channels=[], enable_api=enable_api, auth_token=auth_token, port=0)
    served = InProcessApp(app, StubAgent())
    try:
        yield served
    finally:
        served.close()
