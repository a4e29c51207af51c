"""A conversation's dialogue states computed once per event, not again for every policy and every prediction.

**What.** Every policy asks the tracker for the conversation's states (`DialogueStateTracker.past_states`,
rasa/shared/core/trackers.py), and Rasa answers by replaying the whole conversation from its first event
(`Domain.states_for_tracker_history` over `generate_all_prior_trackers`): seven times a message here (the
memoization policy, the rule policy twice, TED, for each of the two or three predictions of a turn). Here the
replay is kept on the tracker, one per way of asking (domain, `omit_unset_slots`, `ignore_rule_only_turns`,
`rule_only_data`): the replay tracker, the states of the turns already replayed, and the two values Rasa's loop
carries from turn to turn. A later call replays only the events added since, with Rasa's own steps in Rasa's
order (`_states_step` is the body of Rasa's loop), and the state after the last event is computed anew each
time, as Rasa does. The replay is reused only when the events already replayed are, object for object, the
start of the tracker's applied events; anything else (a rewind, a restart, a new session) replays from the
start as Rasa would. Callers get fresh copies of the states (two levels, keeping Rasa's sharing of a sub-state
between states), since Rasa's featurizers edit them in place. Trackers of other classes (training's
`TrackerWithCachedStates`) keep Rasa's method.

**Why.** The replay made each message cost more than the one before: about a fifth of the Rasa server's time
in a 60-message conversation went to `past_states` (cProfile of `bench/turn_cost.py`), growing with every
event. With the tracker cache of `bot.rasa_patches.tracker_store`, the same tracker object, and so its replay,
carries over from one message to the next.

**Measured.** See README "Performance" (`make bench-turns`). Contract: `tests/test_rasa_patches_cost.py::
test_past_states_*` (the same states as Rasa's method on every prefix of real conversations, for every way of
asking; Rasa's own method still replays from the start on every call).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker

State = dict[str, Any]
_ATTRIBUTE = "_bot_past_states"
_APPLIED = "_bot_applied_events"
# Events after which Rasa's `applied_events` drops or rewinds what came before: the cached list cannot simply grow.
_REWINDING = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted)


@dataclass
class Applied:
    """A tracker's events as last seen by `applied_events`, and the applied events Rasa's method made of them."""

    seen: list[Event]
    applied: list[Event]


def _plain(event: Event) -> bool:
    """Whether Rasa's `applied_events` only appends this event (no rewind, no form loop that reorders)."""
    return not isinstance(event, _REWINDING) and not (isinstance(event, ActiveLoop) and event.name)


def applied_events(self: DialogueStateTracker) -> list[Event]:
    """`DialogueStateTracker.applied_events`, extending the last result when only plain events were added.

    Rasa's method walks every event on each call. Its result is kept while the conversation has no form loop
    (a loop's name anywhere changes how earlier events count) and extended while the events added are plain;
    otherwise Rasa's method runs.
    """
    if type(self) is not DialogueStateTracker:
        return list(_rasa_applied_events(self))
    events = self.events
    cached: Applied | None = self.__dict__.get(_APPLIED)
    if cached is not None and len(events) >= len(cached.seen) and _starts_with(events, cached.seen):
        added = list(itertools.islice(events, len(cached.seen), None))
        if all(_plain(e) for e in added):
            cached.seen.extend(added)
            cached.applied.extend(added)
            return list(cached.applied)
    applied: list[Event] = list(_rasa_applied_events(self))
    if not any(isinstance(e, ActiveLoop) and e.name for e in events):
        self.__dict__[_APPLIED] = Applied(list(events), list(applied))
    else:
        self.__dict__.pop(_APPLIED, None)
    return applied


@dataclass
class Replay:
    """How far the states of one way of asking have been computed on one tracker."""

    domain: Any
    rule_only_data: Any
    replay: DialogueStateTracker
    applied: list[Event] = field(default_factory=list)
    states: list[State] = field(default_factory=list)
    last_ml_action: Any = None  # Rasa's `last_ml_action_sub_state`
    hidden: bool = False  # Rasa's `turn_was_hidden`


def _states_step(
    domain: Any,
    tracker: DialogueStateTracker,
    hide_rule_turn: bool,
    previous: Sequence[State],
    last_ml_action: Any,
    hidden: bool,
    options: tuple[bool, bool, Any],
) -> tuple[State | None, Any, bool]:
    """One turn of Rasa's `Domain.states_for_tracker_history` loop: the state (None: hidden), the carried values."""
    omit_unset_slots, ignore_rule_only_turns, rule_only_data = options
    if ignore_rule_only_turns:
        if not hidden:
            last_ml_action = domain._get_prev_action_sub_state(tracker)
        if not tracker.followup_action and tracker.latest_action_name != tracker.active_loop_name:
            hidden = hide_rule_turn
        if hidden:
            return None, last_ml_action, hidden
    state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if previous:
            domain._substitute_rule_only_user_input(state, previous[-1])
        if last_ml_action:
            state[PREVIOUS_ACTION] = last_ml_action
    return domain._clean_state(state), last_ml_action, hidden


def copy_states(states: Sequence[State]) -> list[State]:
    """Copies of the states, two levels deep, keeping which states share a sub-state (as Rasa's list does).

    The sub-states' values are text, tuples and numbers, which nobody edits in place.
    """
    copied: dict[int, dict[str, Any]] = {}
    out: list[State] = []
    for state in states:
        new: State = {}
        for key, sub_state in state.items():
            if isinstance(sub_state, dict):
                twin = copied.get(id(sub_state))
                if twin is None:
                    twin = copied[id(sub_state)] = dict(sub_state)
                new[key] = twin
            else:
                new[key] = sub_state
        out.append(new)
    return out


def _starts_with(events: Iterable[Event], prefix: Sequence[Event]) -> bool:
    """Whether `events` begins with exactly the objects of `prefix` (identity, not equality)."""
    count = 0
    for a, b in zip(prefix, events, strict=False):
        if a is not b:
            return False
        count += 1
    return count == len(prefix)


def past_states(
    self: DialogueStateTracker,
    domain: Any,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """`DialogueStateTracker.past_states`, replaying only the events added since the last call."""
    if type(self) is not DialogueStateTracker:
        return list(_rasa_past_states(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data))
    replays: dict[tuple[bool, bool], Replay] = self.__dict__.setdefault(_ATTRIBUTE, {})
    key = (omit_unset_slots, ignore_rule_only_turns)
    applied = self.applied_events()
    progress = replays.get(key)
    if (
        progress is None
        or progress.domain is not domain
        or progress.rule_only_data != rule_only_data
        or not _starts_with(applied, progress.applied)
    ):
        progress = replays[key] = Replay(domain, rule_only_data, self.init_copy())
    options = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    for event in applied[len(progress.applied) :]:
        if isinstance(event, ActionExecuted):
            state, progress.last_ml_action, progress.hidden = _states_step(
                domain, progress.replay, event.hide_rule_turn, progress.states, progress.last_ml_action,
                progress.hidden, options,
            )  # fmt: skip
            if state is not None:
                progress.states.append(state)
        progress.replay.update(event)
    progress.applied = applied
    last, _, _ = _states_step(
        domain, progress.replay, False, progress.states, progress.last_ml_action, progress.hidden, options
    )
    return copy_states([*progress.states, *([last] if last is not None else [])])


_rasa_past_states: Any = None
_rasa_applied_events: Any = None


def rasa_original() -> Any:
    """Rasa's own `DialogueStateTracker.past_states`, whether or not the patch is installed."""
    return _rasa_past_states or DialogueStateTracker.past_states


def rasa_original_applied_events() -> Any:
    """Rasa's own `DialogueStateTracker.applied_events`, whether or not the patch is installed."""
    return _rasa_applied_events or DialogueStateTracker.applied_events


def install() -> None:
    """Replaces Rasa's two methods; calling it again does nothing."""
    global _rasa_past_states, _rasa_applied_events
    if DialogueStateTracker.past_states is past_states:
        return
    _rasa_past_states = DialogueStateTracker.past_states
    _rasa_applied_events = DialogueStateTracker.applied_events
    DialogueStateTracker.past_states = past_states
    DialogueStateTracker.applied_events = applied_events
