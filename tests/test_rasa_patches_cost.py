"""Contracts of the patches that keep a message's cost low and flat along a conversation (issue 17).

`bot.rasa_patches.past_states` (the dialogue states replayed once per event), `bot.rasa_patches.tracker_cache`
(the conversations in progress kept in memory, checked against the database),
`bot.rasa_patches.action_payload` (the action server gets the current turn's events) and
`bot.rasa_patches.graph_runner` (the model's graph run from a plan made once, without dask),
each against Rasa's own code: the same results on the input they exist for, Rasa's code still doing the work
they save, and the cases where they must step aside. The last test pins the source of the Rasa code they
replace or rely on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import inspect
from pathlib import Path
from typing import Any, ClassVar

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import PROJECT_ROOT
from bot.conversation_store import delete_conversation
from bot.rasa_patches import action_payload, graph_runner, past_states, tracker_cache
from bot.rasa_patches.tracker_cache import CachedSQLTrackerStore

DOMAIN_YAML = """
version: "3.1"
intents: [greet, ask_question, thanks, form_start]
entities: [therapy]
slots:
  therapy:
    type: categorical
    values: [baclofen, botox]
    influence_conversation: true
    mappings: [{type: from_entity, entity: therapy}]
  topic:
    type: text
    influence_conversation: true
    mappings: [{type: custom}]
  note:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
responses:
  utter_greet: [{text: "Hello"}]
actions: [action_answer, action_session_start]
forms:
  ask_form:
    required_slots: [therapy]
"""
RULE_ONLY = {"rule_only_slots": ["topic"], "rule_only_loops": ["ask_form"]}
# (omit_unset_slots, ignore_rule_only_turns, rule_only_data): every way Rasa's policies ask.
WAYS = [(False, False, None), (True, False, None), (False, True, RULE_ONLY), (True, True, RULE_ONLY)]


def _user(text: str, intent: str, therapy: str | None = None) -> UserUttered:
    entities = [{"entity": "therapy", "value": therapy, "start": 0, "end": 1}] if therapy else []
    return UserUttered(text, {"name": intent, "confidence": 1.0}, entities)


def _turn(text: str, intent: str, therapy: str | None = None, hidden: bool = False) -> list[Event]:
    return [
        _user(text, intent, therapy),
        *([SlotSet("therapy", therapy)] if therapy else []),
        ActionExecuted("action_answer", hide_rule_turn=hidden),
        BotUttered(f"About {text}", {"buttons": [{"title": "More", "payload": "/ask_question"}]}),
        SlotSet("topic", intent),
        SlotSet("note", text),
        ActionExecuted("action_listen"),
    ]


def conversation() -> list[Event]:
    """A conversation with every kind of turn the replay must follow: hidden rule turns, a rewind, a restart."""
    events: list[Event] = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        *_turn("hello", "greet"),
        *_turn("what is baclofen", "ask_question", "baclofen"),
        *_turn("thanks", "thanks", hidden=True),
        *_turn("and botox", "ask_question", "botox"),
        _user("oops", "greet"),
        UserUtteranceReverted(),
        *_turn("does it hurt", "ask_question"),
        ActionExecuted("utter_greet"),
        ActionReverted(),
        *_turn("tell me more", "ask_question", hidden=True),
        Restarted(),
        ActionExecuted("action_listen"),
        *_turn("hello again", "greet"),
        *_turn("what is botox", "ask_question", "botox"),
    ]
    return events


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.from_yaml(DOMAIN_YAML)


@pytest.fixture(autouse=True)
def patched() -> None:
    past_states.install()


def _rasa_states(tracker: DialogueStateTracker, domain: Domain, way: tuple[Any, ...]) -> list[Any]:
    states: list[Any] = past_states.rasa_original()(tracker, domain, *way)
    return states


# -- past_states ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("way", WAYS, ids=["plain", "omit-unset", "ml-turns", "omit-unset-ml-turns"])
def test_past_states_are_rasas_after_every_event_of_a_growing_conversation(
    domain: Domain, way: tuple[Any, ...]
) -> None:
    tracker = DialogueStateTracker("s", domain.slots)
    for event in conversation():
        tracker.update(event)
        got = tracker.past_states(domain, *way)
        assert got == _rasa_states(tracker, domain, way)
        for state in got:  # Rasa's featurizers edit the states they get: that must not reach the next call
            state.setdefault("user", {})["text"] = "edited"
            state.pop("slots", None)


def test_past_states_of_the_real_domain_are_rasas() -> None:
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    tracker = DialogueStateTracker("s", domain.slots)
    for event in conversation():
        tracker.update(event)
        for way in WAYS:
            assert tracker.past_states(domain, *way) == _rasa_states(tracker, domain, way)


def test_past_states_rasa_still_replays_the_whole_conversation_on_every_call(
    domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies: list[int] = []
    rasa_init_copy = DialogueStateTracker.init_copy

    def counting(self: DialogueStateTracker) -> DialogueStateTracker:
        copies.append(1)
        return rasa_init_copy(self)

    monkeypatch.setattr(DialogueStateTracker, "init_copy", counting)
    tracker = DialogueStateTracker.from_events("s", conversation(), domain.slots)
    for _ in range(3):
        _rasa_states(tracker, domain, WAYS[0])
    assert len(copies) == 3, "Rasa no longer replays per call: is the patch still needed?"
    copies.clear()
    for _ in range(3):
        tracker.past_states(domain)
    tracker.update(_user("one more", "greet"))
    tracker.past_states(domain)
    assert len(copies) == 1, "the patch replayed from the start again"


def test_past_states_start_again_when_the_events_are_not_those_replayed(domain: Domain) -> None:
    tracker = DialogueStateTracker.from_events("s", conversation()[:20], domain.slots)
    tracker.past_states(domain)
    tracker.events.clear()  # as Rasa's `_reset` does before `recreate_from_dialogue`
    for event in conversation()[:12]:
        tracker.update(event)
    assert tracker.past_states(domain) == _rasa_states(tracker, domain, WAYS[0])


def test_past_states_of_training_trackers_are_rasas_own(domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def replay(*_args: Any) -> None:
        calls.append("cached")

    monkeypatch.setattr(past_states, "Replay", replay)
    tracker = TrackerWithCachedStates.from_events("s", conversation(), domain=domain)
    tracker.past_states(domain)
    assert calls == []


@pytest.mark.parametrize("cut", range(1, len(conversation()) + 1, 3))
def test_applied_events_are_rasas_after_every_event(domain: Domain, cut: int) -> None:
    tracker = DialogueStateTracker("s", domain.slots)
    for event in conversation()[:cut]:
        tracker.update(event)
        assert tracker.applied_events() == past_states.rasa_original_applied_events()(tracker)


def test_applied_events_with_a_form_loop_are_rasas(domain: Domain) -> None:
    events = [*conversation()[:10], ActiveLoop("ask_form"), ActionExecuted("ask_form"), *_turn("x", "greet")]
    events += [ActionExecuted("ask_form"), ActiveLoop(None), *_turn("y", "greet")]
    tracker = DialogueStateTracker("s", domain.slots)
    for event in events:
        tracker.update(event)
        assert tracker.applied_events() == past_states.rasa_original_applied_events()(tracker)
        assert tracker.past_states(domain) == _rasa_states(tracker, domain, WAYS[0])


# -- tracker_cache --------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def tracker_db(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Rasa's tracker store keys for a fresh SQLite file, and for a fresh PostgreSQL schema (the scaled setup)."""
    if request.param == "sqlite":
        return {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    from sqlalchemy.engine import make_url

    url = make_url(request.getfixturevalue("postgres_url"))
    return {
        "dialect": url.drivername,
        "host": url.host,
        "port": url.port,
        "db": url.database,
        "username": url.username,
        "password": url.password,
        "query": dict(url.query),
    }


def _stores(tracker_db: dict[str, Any], domain: Domain) -> tuple[CachedSQLTrackerStore, SQLTrackerStore]:
    return CachedSQLTrackerStore(domain=domain, **tracker_db), SQLTrackerStore(domain=domain, **tracker_db)


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def _new_conversation(store: CachedSQLTrackerStore, sender: str = "s") -> DialogueStateTracker:
    """A conversation as Rasa loads it after its first message: from its session start on."""
    tracker = DialogueStateTracker.from_events(sender, conversation()[1:4], store.domain.slots)
    _run(store.save(tracker))
    return tracker


def test_tracker_cache_hands_back_the_saved_tracker_with_the_events_rasa_loads(
    tracker_db: dict[str, Any], domain: Domain
) -> None:
    cached, rasas = _stores(tracker_db, domain)
    tracker = _new_conversation(cached)
    for text in ("what is baclofen", "and botox", "does it hurt"):
        got = _run(cached.retrieve("s"))
        assert got is tracker
        for event in _turn(text, "ask_question", "botox"):
            got.update(event)
        _run(cached.save(got))
        assert list(got.events) == list(_run(rasas.retrieve("s")).events)


@pytest.mark.parametrize("start", [0, 1, 2])
def test_tracker_cache_checks_only_the_events_added_since_the_last_check(domain: Domain, start: int) -> None:
    """`loads_as_saved` from a checked prefix says what the whole check says, for every prefix and tail."""
    events = conversation()[start:]
    late_start = SessionStarted(timestamp=events[-1].timestamp + 1)
    early = ActionExecuted("action_listen", timestamp=events[0].timestamp - 100)
    for tail in ([], [late_start], [early], [ActionExecuted("action_listen")]):
        tracker = DialogueStateTracker.from_events("s", [*events, *tail], domain.slots)
        whole = tracker_cache.loads_as_saved(tracker)
        for checked in range(1, len(events) + 1):
            if tracker_cache.loads_as_saved(DialogueStateTracker.from_events("s", events[:checked], domain.slots)):
                assert tracker_cache.loads_as_saved(tracker, checked) == whole, (start, len(tail), checked)


def test_tracker_cache_stores_the_rows_rasa_stores(tmp_path: Path, domain: Domain) -> None:
    """The one-statement insert writes Rasa's rows: same ids, columns and JSON, save after save."""
    import sqlalchemy as sa

    ours = CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "ours.db"))
    rasas = SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "rasas.db"))
    for sender in ("first", "second"):
        start = conversation()[1:4]
        assert _run(ours.retrieve(sender)) is None and _run(rasas.retrieve(sender)) is None  # a new conversation
        trackers = [DialogueStateTracker.from_events(sender, start, domain.slots) for _ in range(2)]
        for tracker, store in zip(trackers, (ours, rasas), strict=True):
            _run(store.save(tracker))
        for text, intent in (("what is baclofen", "ask_question"), ("and botox", "ask_followup"), ("ok", "thanks")):
            events = _turn(text, intent, "botox")
            for tracker, store in zip(trackers, (ours, rasas), strict=True):
                for event in events:
                    tracker.update(event)
                _run(store.save(tracker))
        _run(ours.save(trackers[0]))  # nothing new: nothing written
        _run(rasas.save(trackers[1]))

    def rows(store: SQLTrackerStore) -> list[tuple[Any, ...]]:
        with store.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text("SELECT * FROM events ORDER BY id"))]

    assert rows(ours) == rows(rasas)
    assert len(rows(ours)) > 20


def test_tracker_cache_a_new_conversation_costs_one_lookup(
    tracker_db: dict[str, Any], domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No row: `retrieve` answers None from the index lookup, and the first save counts nothing."""
    cached, rasas = _stores(tracker_db, domain)
    counted: list[str] = []

    def no_query(*_args: Any, **_kwargs: Any) -> Any:
        counted.append("query")
        raise AssertionError("Rasa's event query ran for a new conversation")

    monkeypatch.setattr(SQLTrackerStore, "_event_query", no_query)
    assert _run(cached.retrieve("new")) is None
    tracker = DialogueStateTracker.from_events("new", conversation()[1:4], domain.slots)
    _run(cached.save(tracker))  # as Rasa's `create_tracker` does
    for event in _turn("what is baclofen", "ask_question"):
        tracker.update(event)
    _run(cached.save(tracker))  # the end of the first message
    assert counted == []
    monkeypatch.undo()
    assert list(_run(rasas.retrieve("new")).events) == list(tracker.events)


def test_tracker_cache_rasas_store_rebuilds_the_tracker_for_every_message(
    tracker_db: dict[str, Any], domain: Domain
) -> None:
    _, rasas = _stores(tracker_db, domain)
    tracker = DialogueStateTracker.from_events("s", conversation()[1:4], domain.slots)
    _run(rasas.save(tracker))
    assert _run(rasas.retrieve("s")) is not _run(rasas.retrieve("s"))


def test_tracker_cache_sees_a_message_another_replica_stored(tracker_db: dict[str, Any], domain: Domain) -> None:
    cached, rasas = _stores(tracker_db, domain)
    tracker = _new_conversation(cached)
    elsewhere = _run(rasas.retrieve("s"))
    for event in _turn("answered by the other replica", "greet"):
        elsewhere.update(event)
    _run(rasas.save(elsewhere))
    got = _run(cached.retrieve("s"))
    assert got is tracker, "caught up from the newer rows, not rebuilt"
    assert list(got.events) == list(elsewhere.events) == list(_run(rasas.retrieve("s")).events)
    assert got.past_states(domain) == _rasa_states(_run(rasas.retrieve("s")), domain, WAYS[0])
    for event in _turn("and this one here", "ask_question"):
        got.update(event)
    _run(cached.save(got))  # stores only its own new events
    assert list(_run(rasas.retrieve("s")).events) == list(got.events)


def test_tracker_cache_alternating_servers_store_what_rasa_would(tmp_path: Path, domain: Domain) -> None:
    """Two cached servers taking turns on one conversation (nginx's round robin): the rows stay exact."""
    db = str(tmp_path / "tracker.db")
    first, second = (CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=db) for _ in range(2))
    rasas = SQLTrackerStore(domain=domain, dialect="sqlite", db=db)
    _new_conversation(first)
    for turn in range(8):
        server = (first, second)[turn % 2]
        tracker = _run(server.retrieve("s")) or DialogueStateTracker.from_events("s", [], domain.slots)
        for event in _turn(f"message {turn}", "ask_question"):
            tracker.update(event)
        _run(server.save(tracker))
        assert list(_run(rasas.retrieve("s")).events) == list(tracker.events)
    texts = [e.text for e in _run(rasas.retrieve("s")).events if isinstance(e, UserUttered)]
    assert texts[-8:] == [f"message {turn}" for turn in range(8)]


def test_tracker_cache_reads_rasas_way_after_a_new_session_elsewhere(
    tracker_db: dict[str, Any], domain: Domain
) -> None:
    cached, rasas = _stores(tracker_db, domain)
    tracker = _new_conversation(cached)
    elsewhere = _run(rasas.retrieve("s"))
    for event in [SessionStarted(), ActionExecuted("action_listen"), *_turn("a new session", "greet")]:
        elsewhere.update(event)
    _run(rasas.save(elsewhere))
    got = _run(cached.retrieve("s"))
    assert got is not tracker
    assert list(got.events) == list(_run(rasas.retrieve("s")).events)


def test_tracker_cache_never_hands_out_a_deleted_conversation(tracker_db: dict[str, Any], domain: Domain) -> None:
    cached, _ = _stores(tracker_db, domain)
    _new_conversation(cached)
    assert _run(delete_conversation(cached, "s")) == 3
    assert _run(cached.retrieve("s")) is None
    _new_conversation(cached)
    with cached.session_scope() as session:  # deleted behind the store's back (the retention purge's way)
        session.query(cached.SQLEvent).delete()
        session.commit()
    assert _run(cached.retrieve("s")) is None


def test_tracker_cache_hands_a_tracker_out_once(tracker_db: dict[str, Any], domain: Domain) -> None:
    cached, _ = _stores(tracker_db, domain)
    tracker = _new_conversation(cached)
    first = _run(cached.retrieve("s"))
    first.update(_user("read, changed, never saved", "greet"))
    second = _run(cached.retrieve("s"))
    assert first is tracker and second is not tracker
    assert len(second.events) == 3


def test_tracker_cache_keeps_no_tracker_that_rasa_would_load_differently(
    tracker_db: dict[str, Any], domain: Domain
) -> None:
    cached, rasas = _stores(tracker_db, domain)
    tracker = _new_conversation(cached)
    for event in [*_turn("hello", "greet"), ActionExecuted("action_session_start"), SessionStarted()]:
        tracker.update(event)
    _run(cached.save(tracker))
    got = _run(cached.retrieve("s"))
    assert got is not tracker
    assert list(got.events) == list(_run(rasas.retrieve("s")).events) == [tracker.events[-1]]


def test_tracker_cache_forgets_idle_conversations_and_keeps_a_bounded_number(
    tracker_db: dict[str, Any], domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached, _ = _stores(tracker_db, domain)
    monkeypatch.setattr(tracker_cache, "CACHE_SIZE", 2)
    trackers = [_new_conversation(cached, f"s{n}") for n in range(3)]
    assert _run(cached.retrieve("s0")) is not trackers[0]  # the oldest of three went
    assert _run(cached.retrieve("s2")) is trackers[2]
    monkeypatch.setattr(tracker_cache, "CACHE_IDLE_S", -1.0)
    assert _run(cached.retrieve("s1")) is not trackers[1]


def test_the_bot_uses_the_cached_store() -> None:
    endpoints = (PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8")
    assert "type: bot.rasa_patches.tracker_cache.CachedSQLTrackerStore" in endpoints


# -- action_payload ------------------------------------------------------------------------------------------


def _requests(domain: Domain, events: list[Event]) -> tuple[dict[str, Any], dict[str, Any]]:
    tracker = DialogueStateTracker.from_events("s", events, domain.slots)
    action = RemoteAction("action_answer", None)
    return action_payload.rasa_original()(action, tracker, domain), action_payload.action_call_format(
        action, tracker, domain
    )


@pytest.mark.parametrize("cut", [1, 3, 4, 10, 20, len(conversation())])
def test_action_payload_is_rasas_request_with_the_current_turns_events(domain: Domain, cut: int) -> None:
    rasas, ours = _requests(domain, conversation()[:cut])
    events = ours["tracker"].pop("events")
    everything = rasas["tracker"].pop("events")
    assert ours == rasas  # every other field, the domain included
    assert everything[len(everything) - len(events) :] == events
    users = [i for i, e in enumerate(everything) if e["event"] == "user"]
    assert len(events) == len(everything) - users[-1] if users else len(events) == len(everything)


def test_action_payload_rasa_still_sends_every_event_of_the_session(domain: Domain) -> None:
    rasas, ours = _requests(domain, conversation())
    assert len(rasas["tracker"]["events"]) == len(conversation())
    assert len(ours["tracker"]["events"]) < len(conversation()) / 5


def test_action_payload_what_the_actions_read_is_the_same(domain: Domain) -> None:
    from rasa_sdk import Tracker

    from actions import tracker_state

    events = [*conversation()[:12], UserUttered("hola", {"name": "greet"}, metadata={"lang": "es"}, input_channel="x")]
    events += _turn("and botox", "ask_question", "botox")[1:]
    rasas, ours = (Tracker.from_dict(r["tracker"]) for r in _requests(domain, events))
    for read in (tracker_state.latest_metadata, tracker_state.from_editor, tracker_state.latest_text):
        assert read(ours) == read(rasas)
    assert ours.get_latest_input_channel() == rasas.get_latest_input_channel() == "x"
    assert ours.latest_message == rasas.latest_message and ours.slots == rasas.slots


def test_action_payload_the_actions_read_no_older_event() -> None:
    """Every `tracker.events` in actions/ looks for the latest user message: older events are not sent."""
    uses = [
        line.strip()
        for path in (PROJECT_ROOT / "actions").glob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if "tracker.events" in line or "events_after_latest_restart" in line or "applied_events" in line
    ]
    latest_user = 'next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})'
    assert uses and all(latest_user in use for use in uses), uses


# -- graph_runner ---------------------------------------------------------------------------------------------


class _Join(GraphComponent):
    """A node that records its call and returns its name joined to its inputs' outputs."""

    calls: ClassVar[list[str]] = []

    def __init__(self, name: str, fail: type[Exception] | None) -> None:
        self._name, self._fail = name, fail

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: Any, resource: Any, execution_context: ExecutionContext
    ) -> _Join:
        return cls(config["name"], config.get("fail"))

    def run(self, **inputs: Any) -> str:
        _Join.calls.append(self._name)
        if self._fail is not None:
            raise self._fail(f"{self._name} failed")
        return f"{self._name}({','.join(f'{k}={inputs[k]}' for k in sorted(inputs))})"


def _schema(fail: dict[str, type[Exception]] | None = None, ghost: bool = False) -> GraphSchema:
    """Nodes b and c need a, d needs c and b, e stands apart; `msg` is an input.

    With `ghost`, c also needs something that no node or input provides.
    """
    needs = {
        "a": {"m": "msg"},
        "b": {"x": "a"},
        "c": {"x": "a", **({"g": "ghost"} if ghost else {})},
        "d": {"y": "c", "x": "b"},
        "e": {},
    }
    return GraphSchema(
        {
            name: SchemaNode(
                needs=node_needs,
                uses=_Join,
                constructor_name="create",
                fn="run",
                config={"name": name, **({"fail": fail[name]} if fail and name in fail else {})},
                eager=True,
                is_target=name in ("d", "e"),
            )
            for name, node_needs in needs.items()
        }
    )


def _runner(schema: GraphSchema) -> Any:
    from rasa.engine.runner.dask import DaskGraphRunner

    return DaskGraphRunner(schema, model_storage=None, execution_context=ExecutionContext(schema))


def test_graph_runner_plan_puts_every_node_after_what_it_needs_once() -> None:
    steps = graph_runner.plan(_schema().nodes, ["d"])
    names = [name for name, _needs in steps]
    assert names == ["a", "c", "b", "d"], "in d's needs order; e is not needed; a is needed twice, planned once"
    assert dict(steps)["d"] == ("c", "b") and dict(steps)["a"] == ("msg",)
    assert dict(graph_runner.plan(_schema(ghost=True).nodes, ["d"]))["c"] == ("a", "ghost")
    assert graph_runner.plan(_schema().nodes, ["msg"]) == (), "an input is no node"
    cyclic = GraphSchema({**_schema().nodes, "a": dataclasses.replace(_schema().nodes["a"], needs={"z": "d"})})
    with pytest.raises(ValueError, match="cycle"):
        graph_runner.plan(cyclic.nodes, ["d"])


@pytest.mark.parametrize("targets", [["d"], ["b", "e"], None, ["a", "msg"]])
def test_graph_runner_gives_what_dask_gives(targets: list[str] | None) -> None:
    runner = _runner(_schema())
    outputs = []
    for run in (graph_runner.rasa_original(), graph_runner.run, graph_runner.run):  # the second run uses the plan
        _Join.calls.clear()
        outputs.append((run(runner, inputs={"msg": "hi"}, targets=targets), sorted(_Join.calls)))
    assert outputs[0] == outputs[1] == outputs[2]
    if targets == ["d"]:
        assert outputs[0][0] == {"d": "d(x=b(x=a(m=hi)),y=c(x=a(m=hi)))"}
        assert outputs[0][1] == ["a", "b", "c", "d"], "each needed node ran once"


def test_graph_runner_raises_what_dask_raises() -> None:
    from rasa.engine.exceptions import GraphComponentException, GraphRunError

    for fail in (RuntimeError, ValueError, KeyError):  # GraphNode wraps what a component raises
        runner = _runner(_schema({"c": fail}))
        for run in (graph_runner.rasa_original(), graph_runner.run):
            with pytest.raises(GraphComponentException, match="node c") as caught:
                run(runner, inputs={"msg": "hi"}, targets=["d"])
            assert type(caught.value.__cause__) is fail
    clash, ghost = _runner(_schema()), _runner(_schema(ghost=True))
    for run in (graph_runner.rasa_original(), graph_runner.run):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            run(clash, inputs={"msg": "a"}, targets=["d"])
        with pytest.raises(GraphRunError, match="Expected input 'ghost' to provide parameter 'g'"):
            run(ghost, inputs={"msg": "hi"}, targets=["d"])


def test_graph_runner_is_installed_with_the_other_patches() -> None:
    from rasa.engine.runner.dask import DaskGraphRunner

    from bot import rasa_patches

    rasa_patches.install()
    assert DaskGraphRunner.run is graph_runner.run
    assert graph_runner.rasa_original().__module__ == "rasa.engine.runner.dask"


GRAPH_TEXTS = [
    "what is spasticity",
    "my pump is beeping",
    "how does baclofen work",
    "thanks",
    "can I stop my tizanidine",
    "hola, qué es la espasticidad",
    "",
]


@pytest.mark.e2e
def test_graph_runner_gives_rasas_outputs_on_the_trained_model(test_model: Path) -> None:
    """The trained model's NLU and policies give the same outputs under the plan as under dask."""
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER

    from bot import rasa_patches

    rasa_patches.install()
    agent = Agent.load(str(test_model))
    processor = agent.processor
    assert processor is not None
    runner, metadata = processor.graph_runner, processor.model_metadata
    nlu, core = metadata.nlu_target, metadata.core_target
    for text in GRAPH_TEXTS:
        parsed = []
        for run in (graph_runner.rasa_original(), graph_runner.run):
            out = run(runner, inputs={PLACEHOLDER_MESSAGE: [UserMessage(text)]}, targets=[nlu])
            message = out[nlu][0]
            parsed.append({key: message.get(key) for key in ("intent", "intent_ranking", "entities", "text")})
        assert parsed[0] == parsed[1], text
        assert core is not None
        user = UserUttered(text, parsed[0]["intent"], parsed[0]["entities"])
        predictions = []
        for run in (graph_runner.rasa_original(), graph_runner.run):
            tracker = DialogueStateTracker.from_events(
                "graph-runner", [ActionExecuted("action_listen"), user], slots=metadata.domain.slots
            )
            prediction = run(runner, inputs={PLACEHOLDER_TRACKER: tracker}, targets=[core])[core]
            predictions.append((prediction.policy_name, prediction.probabilities, prediction.events))
        assert predictions[0] == predictions[1], text


# -- the Rasa code these patches were written for ------------------------------------------------------------

RASA_SOURCES = {
    "rasa.shared.core.trackers.DialogueStateTracker.past_states": "5463eefb5c69d27f",
    "rasa.shared.core.trackers.DialogueStateTracker.applied_events": "764d5065ea9997d6",
    "rasa.shared.core.trackers.DialogueStateTracker.generate_all_prior_trackers": "a1f6954347b52649",
    "rasa.shared.core.domain.Domain.states_for_tracker_history": "035111ce73ac90ba",
    "rasa.core.tracker_store.SQLTrackerStore._retrieve": "c8adbf6f4b61ddd1",
    "rasa.core.tracker_store.SQLTrackerStore._event_query": "cd44f7901b860bfd",
    "rasa.core.tracker_store.SQLTrackerStore.save": "57165e46eab3de08",
    "rasa.core.tracker_store.SQLTrackerStore._additional_events": "d22f99eb863acb07",
    "rasa.core.actions.action.RemoteAction._action_call_format": "428795b944f22edb",
    "rasa.shared.core.trackers.DialogueStateTracker.current_state": "a9f1526ceddf7a28",
    "rasa.engine.runner.dask.DaskGraphRunner.run": "45f0f52f574f3aa9",
    "rasa.engine.runner.dask.DaskGraphRunner._build_dask_graph": "5bb99f974d512a36",
    "rasa.engine.runner.dask.DaskGraphRunner._add_inputs_to_graph": "d04a0ca2df6241c1",
    "rasa.engine.graph.GraphSchema.minimal_graph_schema": "58dfb30335499fff",
}


def _rasa_function(path: str) -> Any:
    import importlib

    module_name, cls_name, attr = path.rsplit(".", 2)
    if (cls_name, attr) == ("DialogueStateTracker", "past_states"):
        return past_states.rasa_original()
    if (cls_name, attr) == ("DialogueStateTracker", "applied_events"):
        return past_states.rasa_original_applied_events()
    if (cls_name, attr) == ("RemoteAction", "_action_call_format"):
        return action_payload.rasa_original()
    if (cls_name, attr) == ("DaskGraphRunner", "run"):
        return graph_runner.rasa_original()
    return getattr(getattr(importlib.import_module(module_name), cls_name), attr)


@pytest.mark.parametrize("path", list(RASA_SOURCES))
def test_the_rasa_code_these_patches_rely_on_is_the_code_they_were_written_for(path: str) -> None:
    source = inspect.getsource(_rasa_function(path))
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == RASA_SOURCES[path], (
        f"Rasa's {path} changed: re-check the patches of this file against the new code, then update the hash"
    )
