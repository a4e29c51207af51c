"""Action server responses validated with a schema compiled once (`RemoteAction._validate_action_result`).

**What.** Rasa checks every response of the action server against its JSON schema with
`jsonschema.validate()`, in the private `RemoteAction._validate_action_result`
(rasa/core/actions/action.py). `validate()` first checks the schema itself against the meta-schema and builds a
new validator, on every call. Here the same schema is checked once, compiled once, and reused; a bad response
fails with the same `ValidationError` and the same message, Rasa's hint appended as Rasa appends it.

**Why.** It was a quarter of a turn's CPU in the Rasa server's profile.

**Measured.** One response (two events, one message with a button), on the development machine: Rasa's
`validate()` 20 ms (27 ms when first profiled), the compiled validator 0.6 ms. Contract:
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


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the compiled validator; same result and errors as Rasa's."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        action_response_validator().validate(result)
    except ValidationError as error:
        error.message += FAILED.format(docs=DOCS_BASE_URL)
        raise
    return True


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
