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


def install() -> None:
    """Installs the fixes into the running Rasa; calling it again does nothing."""
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction, INSTALLED_FLAG, False):
        return
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    setattr(RemoteAction, INSTALLED_FLAG, True)


def main(argv: Sequence[str] | None = None) -> None:
    """Runs Rasa's command line (`rasa run`, `rasa shell`, ...) with the fixes installed."""
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
