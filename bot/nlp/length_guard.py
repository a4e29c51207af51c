"""`MessageLengthGuard`: a pasted essay is cut to what the bot reads before any other NLU component sees it."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_patches.pipeline_step import register_pipeline_step
from bot.text import SPACED, clip, normalise


@register_pipeline_step
class MessageLengthGuard(GraphComponent):
    """Cuts a very long message to the length the bot reads, before any other NLU component sees it.

    Placed first in the pipeline. Without it every NLU component reads a pasted 100 KB message whole, on every
    channel; the answering action reads only the first `MAX_MESSAGE_CHARS` characters anyway and tells the
    person so. Registered with `register_pipeline_step` (bot/rasa_patches/pipeline_step.py says how and why).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        """`max_chars: null` means the `MAX_MESSAGE_CHARS` setting."""
        return {"max_chars": None}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageLengthGuard:
        """Creates the guard with the configured limit, or the bot's setting."""
        from bot.config import get_settings

        # One character more than the bot reads, so the answering action still sees that the message was cut
        # and tells the person.
        limit = config.get("max_chars") or get_settings().max_message_chars
        return cls(int(limit) + 1)

    def process(self, messages: list[Message]) -> list[Message]:
        """Shortens each message's text to the limit (whitespace first collapsed, as the action does)."""
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and len(text) > self.limit:
                message.set(TEXT, clip(normalise(text, SPACED), self.limit)[0])
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples are short; nothing to do."""
        return training_data
