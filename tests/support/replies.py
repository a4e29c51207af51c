"""Bot messages as Rasa 3.6 hands them to an output channel, for the channels' in-process tests.

`rasa_message` takes what an action gives the rasa-sdk dispatcher (`OutgoingMessage.as_kwargs()`) and does
what Rasa does with it: the action server's response item (`CollectingDispatcher.utter_message`), Rasa's
`RemoteAction._utter_responses` (buttons kept, empty values dropped), the `BotUttered` event
(`create_bot_utterance`), and the message the processor passes to `OutputChannel.send_response`
(`BotUttered.message()`). `StructuredAgent` answers every message that way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa.core.actions.action import create_bot_utterance
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from rasa_sdk.executor import CollectingDispatcher

from tests.support.asgi import StubAgent


def bot_uttered(kwargs: dict[str, Any]) -> BotUttered:
    """The `BotUttered` event Rasa logs for one message an action sent with these dispatcher arguments."""
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(**kwargs)
    response = dict(dispatcher.messages[0])
    response.pop("response", None)
    draft: dict[str, Any] = {}
    buttons = response.pop("buttons", []) or []
    if buttons:
        draft["buttons"] = list(buttons)
    draft.update({k: v for k, v in response.items() if v})
    return create_bot_utterance(draft)


def rasa_message(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The message `OutputChannel.send_response` receives for these dispatcher arguments."""
    return bot_uttered(kwargs).message()


class StructuredAgent(StubAgent):
    """A stub agent that answers each message with what `answer` returns, sent the way Rasa sends it."""

    def __init__(self, answer: Callable[[str], dict[str, Any]]) -> None:
        """`answer` maps the person's text to the dispatcher arguments of the reply."""
        super().__init__()
        self.answer = answer

    async def handle_message(self, message: UserMessage) -> None:
        """Records the message and the reply in the tracker, and sends the reply to the channel."""
        self.messages.append(message)
        event = bot_uttered(self.answer(message.text or ""))
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, input_channel=message.input_channel))
        tracker.update(event)
        await self.tracker_store.save(tracker)
        await message.output_channel.send_response(message.sender_id, event.message())
