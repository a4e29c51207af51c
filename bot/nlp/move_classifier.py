"""`ConversationMoveClassifier`: "ok", "go on", "the first one" read by phrase; a question is never small talk.

The phrases themselves are in `bot.nlp.moves`; this is the Rasa component that applies them to the intent.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.constants import (
    INTENT_ACKNOWLEDGE,
    INTENT_ASK_FOLLOWUP,
    INTENT_ASK_QUESTION,
    INTENT_ASK_TOPIC,
    INTENT_BOT_CHALLENGE,
    INTENT_FEEDBACK_HELPFUL,
    INTENT_FEEDBACK_NOT_HELPFUL,
    INTENT_GOODBYE,
    INTENT_OUT_OF_SCOPE,
)
from bot.language import explicit_choice
from bot.nlp.moves import MOVE_KEY, MoveKind, asks_something, read_move
from bot.safety.rasa_component import override_intent
from bot.text import PHRASES, normalise

# Intents that ask the bot something, in the order they are preferred when a goodbye was misread.
ASKING_INTENTS = (INTENT_ASK_FOLLOWUP, INTENT_ASK_QUESTION, INTENT_ASK_TOPIC, INTENT_OUT_OF_SCOPE)


# "are you a bot?" names who it is talking to; "is there a cure" does not.
BOT_WORDS = re.compile(
    r"\b(?:bot|robot|chatbot|human|person|people|real|ai|machine|computer|automated|program|chatgpt|someone"
    r"|somebody|anyone|nurse|doctor|who are you|what are you|who am i)\b"
)


def misread_small_talk(predicted: str, text: str) -> bool:
    """Whether the classifier's small-talk intent cannot be right for this message (see the component)."""
    if predicted == INTENT_ACKNOWLEDGE:
        return True  # only the phrases acknowledge: the classifier also said it to "see you around", "ok ta"
    if predicted in (INTENT_GOODBYE, INTENT_FEEDBACK_HELPFUL, INTENT_FEEDBACK_NOT_HELPFUL):
        return asks_something(text)
    if predicted == INTENT_BOT_CHALLENGE:
        return BOT_WORDS.search(normalise(text, PHRASES)) is None
    return False


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ConversationMoveClassifier(GraphComponent):
    """Reads conversational moves ("ok", "go on", "the first one") that the classifier cannot (bot.nlp.moves).

    Placed after the FallbackClassifier and before the safety net, so an emergency or a dosing request still
    wins. An acknowledgement becomes `acknowledge`; a request for more, or a pointer back at the last answer's
    list, becomes `ask_followup`. The move itself travels in the parse data under `move`, where the answering
    action reads it.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ConversationMoveClassifier:
        """Creates the component; it has nothing to train or load."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrides the intent of each message that is a conversational move and records the move.

        The other way round, a question is never small talk: the classifier said goodbye to "and at night?",
        acknowledged "and saunas", took "who shouldnt use it" for a vote and "is there a cure" for "are you a
        bot?" (few words, one of them in a small-talk example). Such a message gets the classifier's best
        intent that asks something instead (`misread_small_talk`).
        """
        for message in messages:
            text = message.get(TEXT) or ""
            if explicit_choice(text):
                # "español", "english please": the language action sets it, the answering action confirms it
                # with the topics (a request for the menu, in effect; the classifier said goodbye).
                override_intent(message.data, INTENT_ASK_TOPIC)
                continue
            move = read_move(text)
            if move is None:
                predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
                if misread_small_talk(str(predicted), text):
                    self._demote(message)
                continue
            acknowledged = move.kind == MoveKind.ACKNOWLEDGE
            override_intent(message.data, INTENT_ACKNOWLEDGE if acknowledged else INTENT_ASK_FOLLOWUP)
            message.set(MOVE_KEY, move.as_parse_data(), add_to_output=True)
        return messages

    @staticmethod
    def _demote(message: Message) -> None:
        """Replaces the predicted intent with the best ranked one that fits.

        A question gets the best intent that asks something (a question by default); an acknowledgement the
        phrases do not know gets the classifier's next choice ("see you around": goodbye).
        """
        ranking = message.get(INTENT_RANKING_KEY) or []
        predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        text = message.get(TEXT) or ""
        if predicted == INTENT_ACKNOWLEDGE and not asks_something(text):
            allowed: tuple[str, ...] = tuple(
                str(r.get(INTENT_NAME_KEY)) for r in ranking if r.get(INTENT_NAME_KEY) != INTENT_ACKNOWLEDGE
            )
        else:
            allowed = ASKING_INTENTS
        best = next((dict(r) for r in ranking if r.get(INTENT_NAME_KEY) in allowed), None)
        chosen = best or {INTENT_NAME_KEY: INTENT_ASK_QUESTION, PREDICTED_CONFIDENCE_KEY: 0.0}
        rest = [r for r in ranking if r.get(INTENT_NAME_KEY) != chosen[INTENT_NAME_KEY]]
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(chosen), *rest], add_to_output=True)
