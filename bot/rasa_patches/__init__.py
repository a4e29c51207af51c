"""Every change the bot makes to Rasa 3.6's own behaviour, one module per change, and the Rasa version guard.

The bot runs on Rasa Open Source 3.6 (`rasa==3.6.21` in requirements.txt). Where Rasa's behaviour was wrong or
too slow for us, the fix lives here and nowhere else, so a Rasa upgrade touches this package and its contract
tests (`tests/test_rasa_patches.py`), which compare each fix with Rasa's original on the input the fix exists
for: an upgrade that changes the original fails them loudly.

Replaced at run time by `install()` (Rasa's own methods, process-wide):

- `action_validation`: action server responses validated with a compiled schema (about 20 ms -> 0.6 ms a turn);
- `event_lookup`: stored events' classes found in a table, not by walking every `Event` subclass per event;
- `payload_check`: a typed "/intent" payload counts only when the bot offered it (else the safety net is
  skipped);
- `message_cut`: a message longer than the bot reads is cut before Rasa stores it in the conversation, not
  only before NLU;
- `past_states`: the dialogue states every policy asks for are replayed once per event and kept on the
  tracker, not replayed from the conversation's first event for every policy and prediction;
- `action_payload`: the action server gets the events from the person's latest message on, not the whole
  conversation, with every other field of Rasa's request;
- `graph_runner`: the model's graph run node after node in a plan made once per target list, not through a
  dask task graph rebuilt for every run.

(`model_load`, which restored TED's weights without Rasa's training step, went with TED itself: the rules
decide every turn, see `config.yml`.)

Named in the configuration instead (Rasa's extension points, but built on what Rasa does inside them):

- `socketio`: the widget's Socket.IO handlers that replace Rasa's (`bot.channels.widget_socket.SocketIOInput`, named
  in `credentials.yml`): server-issued session ids, one room per socket, a broken payload gets a plain reply;
- `tracker_store`: the SQL tracker store with a pre-pinging connection pool (`deploy/endpoints.scaled.yml`);
- `tracker_cache`: the SQL tracker store that keeps the conversations in progress in memory, checked against
  the database at every message (`endpoints.yml`);
- `lock_store`: the race-free Redis lock store (`deploy/endpoints.scaled.yml`; its Lua scripts in `lock_scripts`);
- `pipeline_step`: how `MessageLengthGuard` is registered so that Rasa's recipe runs it first, untrained;
- `spacy_text`: `SpacyNLP` parsing the safety net's form of the text (accents folded, quotes straightened), so
  the safety net reads its doc and each message is parsed by spaCy once (`config.yml`).

Not a patch, and so not here: `SANIC_KEEP_ALIVE_TIMEOUT` for rasa-sdk's action server is an environment
setting (`bot.server_commands.child_env`, RasaHQ/rasa-sdk#1047); `BlankSafeLogisticRegressionClassifier` and the
other NLU components use Rasa's public component interface. The REST channel (`bot.channels.rest`) used to
override `RestInput`'s private `_extract_input_channel`; its own webhook never called it, so it is now built on
`InputChannel` alone and has nothing of Rasa's to patch.

`install()` runs once in every process that answers a person: `python -m bot.rasa_server` (`make run`,
`make shell`, `make run-scaled`, Kubernetes and the tests start Rasa only through it). The action server
(`python -m rasa_sdk`) runs no Rasa code and needs no patch.
"""

from __future__ import annotations

SUPPORTED_RASA = "3.6"


class UnsupportedRasaVersion(RuntimeError):
    """The installed Rasa is not the one the patches were written and tested for."""


def check_rasa_version(version: str | None = None) -> None:
    """Refuses any Rasa other than 3.6.x, whose internals the patches replace.

    Args:
        version: the version to check (default: the installed Rasa's).

    Raises:
        UnsupportedRasaVersion: with what was found and what to do about it.
    """
    if version is None:
        import rasa

        version = str(rasa.__version__)
    if version.split(".")[:2] != SUPPORTED_RASA.split("."):
        raise UnsupportedRasaVersion(
            f"This bot patches Rasa {SUPPORTED_RASA}.x internals (bot/rasa_patches/), but Rasa {version} is "
            f"installed. Install the pinned requirements (`make install`), or port each patch to Rasa {version} "
            "and make tests/test_rasa_patches.py pass before raising SUPPORTED_RASA."
        )


def install() -> None:
    """Checks the Rasa version, then installs the run-time patches; calling it again does nothing.

    Raises:
        UnsupportedRasaVersion: Rasa is not 3.6.x; nothing is patched.
    """
    check_rasa_version()
    from bot.rasa_patches import (
        action_payload,
        action_validation,
        event_lookup,
        graph_runner,
        message_cut,
        past_states,
        payload_check,
    )

    action_validation.install()
    event_lookup.install()
    payload_check.install()
    message_cut.install()
    past_states.install()
    action_payload.install()
    graph_runner.install()
