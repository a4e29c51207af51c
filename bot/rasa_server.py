"""`python -m bot.rasa_server run ...`: Rasa's own command line, with the bot's fixes to Rasa 3.6 installed first.

Every Rasa server of the bot (`make run`, `make run-scaled`, the tests, Kubernetes) starts through this module
instead of `python -m rasa`, so the fixes below hold in every process that answers a person. The arguments are
Rasa's, unchanged.

The fixes (each measured or seen failing; see README "Performance"):

- **Action responses are validated with a compiled schema.** Rasa checks every action server response against
  its JSON schema with `jsonschema.validate()`, which first re-checks the schema itself against the
  meta-schema and builds a new validator, on every call: 27 ms per call here, a quarter of a turn's CPU in
  the profile. The same schema compiled once validates the same response in about 1 ms, with the same errors
  for a bad response.
- **Event types are looked up in a table.** Rebuilding a conversation from the tracker store turns every
  stored event into an object, and Rasa finds each event's class by walking all subclasses of `Event` (with
  `inspect.isabstract` on each) for every single event: 13% of a replica's CPU in the load test, where a
  conversation holds hundreds of events. The table is built from the same walk, so it resolves every name to
  the same class (the first subclass with that name), and it is rebuilt when a name is missing, in case an
  event class was imported since.
- **A message that looks like an intent payload counts only when the bot offered it** (`bot.payloads`). Rasa
  reads any "/intent..." message as the intent written in it and drops the NLU parse, safety net included, so
  "/ask_question@1 my pump is alarming" was answered from the library. Now such a message is honoured only
  when it equals a button of the bot's last turn, is "/restart" or "/session_start" exactly, or is a channel's
  own command; anything else is read as text, on every channel.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from typing import Any

INSTALLED_FLAG = "_spasticity_bot_fixes"


@functools.lru_cache(maxsize=1)
def action_response_validator() -> Any:
    """Rasa's action-response schema, checked once against its meta-schema and compiled."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the compiled validator; same result and errors as Rasa's."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        action_response_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


_EVENT_TYPES: dict[str, type] = {}


def resolve_event_type(type_name: str, default: type | None = None) -> type | None:
    """`Event.resolve_by_type` with a table instead of a walk over every subclass per call; same results."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    found = _EVENT_TYPES.get(type_name)
    if found is None:
        table: dict[str, type] = {}
        for cls in all_subclasses(Event):
            table.setdefault(cls.type_name, cls)  # the first match wins, as in Rasa's loop
        _EVENT_TYPES.clear()
        _EVENT_TYPES.update(table)
        found = _EVENT_TYPES.get(type_name)
    if found is not None:
        return found
    if type_name == "topic":
        return None  # Rasa's backwards compatibility for old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def install() -> None:
    """Installs the fixes into the running Rasa; calling it again does nothing."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    from bot import payloads

    payloads.install()  # idempotent on its own: it checks what it wrapped
    if getattr(RemoteAction, INSTALLED_FLAG, False):
        return
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(resolve_event_type)
    setattr(RemoteAction, INSTALLED_FLAG, True)


def main(argv: Sequence[str] | None = None) -> None:
    """Runs Rasa's command line (`rasa run`, `rasa shell`, ...) with the fixes installed."""
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
