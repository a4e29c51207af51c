"""Action server responses validated with a schema compiled once (`RemoteAction._validate_action_result`).

**What.** Rasa checks every response of the action server against its JSON schema with
`jsonschema.validate()`, in the private `RemoteAction._validate_action_result`
(rasa/core/actions/action.py). `validate()` first checks the schema itself against the meta-schema and builds a
new validator, on every call. Here the same schema is checked once, compiled once, and reused; a bad response
fails with the same `ValidationError` and the same message (the error `best_match` picks, as
`jsonschema.validate` does), Rasa's hint appended as Rasa appends it.

Each event is first checked against the one alternative its `event` names (a slot event against the slot
schema), plus the properties every event shares. Rasa's schema says an event must match exactly one of 23
alternatives (`oneOf`), each of which fixes `event` to its own constant, so an event that matches the one its
type names matches no other: the verdict is the same, without building 22 failures per event. Whenever that
quick check fails (or a response has a shape it does not know), the whole schema decides, so a bad response
gets exactly the error Rasa would give.

**Why.** It was a quarter of a turn's CPU in the Rasa server's profile; with the compiled validator, the
`oneOf` still cost 7% of the Rasa server's CPU per message (py-spy, 2026-12-07: a reply's five to ten events,
each failing against 22 alternatives).

**Measured.** One response (two events, one message with a button), on the development machine: Rasa's
`validate()` 20 ms (27 ms when first profiled), the compiled validator 0.6 ms. The quick path on a real answer
(eight events): see `test_action_validation_quick_path_*`. Contract:
`tests/test_rasa_patches.py::test_action_validation_*` (same verdict and message as Rasa's own call on good and
bad responses).
"""

from __future__ import annotations

import functools
from typing import Any

FAILED = (
    ". Failed to validate Action server response from API, make sure your response from the Action "
    "endpoint is valid. For more information about the format visit {docs}/custom-actions"
)


@functools.lru_cache(maxsize=1)
def action_response_validator() -> Any:
    """Rasa's action-response schema, checked once against its meta-schema and compiled."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@functools.lru_cache(maxsize=1)
def quick_validators() -> tuple[Any, dict[str, Any]]:
    """The response schema without the events' `oneOf`, and one compiled validator per event type.

    Returns:
        The validator of the response's own shape (events as a list of objects with the shared properties),
        and, for each event type, a validator of the shared properties plus that type's alternative.
    """
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    event_schema = dict(schema["properties"]["events"]["items"])
    alternatives = event_schema.pop("oneOf")
    shape = {**schema, "properties": {**schema["properties"], "events": {"type": "array", "items": event_schema}}}
    validator_class = validator_for(schema)
    per_type = {}
    for alternative in alternatives:
        event_type = alternative["properties"]["event"]["const"]
        per_type[event_type] = validator_class({**event_schema, "allOf": [alternative]})
    return validator_class(shape), per_type


def passes_quick_check(result: Any) -> bool:
    """True when `result` is valid by the per-type check; False means "ask the whole schema", not "invalid"."""
    shape, per_type = quick_validators()
    if not isinstance(result, dict) or not shape.is_valid(result):
        return False
    for event in result.get("events") or ():
        validator = per_type.get(event.get("event"))
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the compiled validator; same result and errors as Rasa's."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    if passes_quick_check(result):
        return True
    # As `jsonschema.validate` does: of all the errors, the one `best_match` picks (the first error alone
    # differed from Rasa's message on nested failures, e.g. an entity without its type).
    error = best_match(action_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += FAILED.format(docs=DOCS_BASE_URL)
    raise error


_rasa_validate_action_result: Any = None


def rasa_original() -> Any:
    """Rasa's own `RemoteAction._validate_action_result`, whether or not the patch is installed."""
    from rasa.core.actions.action import RemoteAction

    return _rasa_validate_action_result or RemoteAction._validate_action_result


def install() -> None:
    """Replaces Rasa's method; calling it again does nothing."""
    global _rasa_validate_action_result
    from rasa.core.actions.action import RemoteAction

    if RemoteAction._validate_action_result is validate_action_result:
        return
    _rasa_validate_action_result = RemoteAction._validate_action_result
    RemoteAction._validate_action_result = validate_action_result
