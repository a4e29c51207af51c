"""The action server gets the events of the current turn, not the whole conversation (`RemoteAction`).

**What.** For every custom action Rasa sends the action server the tracker with every event of the session
(`RemoteAction._action_call_format`, rasa/core/actions/action.py: `current_state(EventVerbosity.ALL)`), and
the action server parses all of it. Here the request is Rasa's, field for field (the slots, the latest
message, the latest input channel, the active loop, the latest action, the domain), except that `events` holds
the events from the person's latest message on (`recent_events`). The bot's actions read nothing older: the
slots carry the conversation's memory (topic, therapy, passages shown, language), and the only event they read
is the latest user message, for its metadata and input channel (`actions/tracker_state.py`; a test fails if an
action starts reading `tracker.events` in another way).

**Why.** The request grows with every event: about 40 KB at the 5th message and 310 KB at the 50th in the
benchmark's conversations (a bot message carries its reply data), serialised by Rasa and parsed by the action
server twice per message (`action_detect_language`, then the answer). The action server's CPU time per
message doubled between the 5th and the 50th message (`bench/turn_cost.py`).

**Measured.** See README "Performance" (`make bench-turns`). Contract: `tests/test_rasa_patches_cost.py::
test_action_payload_*` (the same request as Rasa's but for the older events; what the actions read from it is
the same).
"""

from __future__ import annotations

from typing import Any

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity


def recent_events(tracker: DialogueStateTracker) -> list[Event]:
    """The tracker's events from the latest user message on (all of them when there is none yet)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return events[index:]
    return events


def action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Any) -> dict[str, Any]:
    """Rasa's request to the action server, with the events of the current turn only."""
    tracker_state = tracker.current_state(EventVerbosity.NONE)
    tracker_state["events"] = [event.as_dict() for event in recent_events(tracker)]
    result: dict[str, Any] = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": tracker_state,
        "version": rasa.__version__,
    }
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


_rasa_action_call_format: Any = None


def rasa_original() -> Any:
    """Rasa's own `RemoteAction._action_call_format`, whether or not the patch is installed."""
    return _rasa_action_call_format or RemoteAction._action_call_format


def install() -> None:
    """Replaces Rasa's method; calling it again does nothing."""
    global _rasa_action_call_format
    if RemoteAction._action_call_format is action_call_format:
        return
    _rasa_action_call_format = RemoteAction._action_call_format
    RemoteAction._action_call_format = action_call_format
