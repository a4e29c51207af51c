"""Property-based tests (hypothesis): any text gets a reply from the real bot, and the content loader.

Bodies of any shape are fuzzed through the REST channel in-process (`tests/test_rest_channel.py`) and Socket.IO
payloads through the channel's handlers (`tests/test_socketio_channel.py`). Here the text properties run
against the real bot (`running_bot`) with a bounded number of examples, because only the trained model shows
them: whatever text a person sends over REST or Socket.IO gets a reply (a blank one once failed the
classifier and left the person in silence), and the server keeps serving.

The loader properties are hermetic: generated content folders that are valid load,
survive a database round trip and reload with no change; content broken in one known way raises
`ContentValidationError` naming the file and the item, and arbitrary YAML never raises anything else.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.content.loader import ContentValidationError, load_bundle
from bot.content.store import SqlContentStore
from bot.emergency_numbers import placeholder_problems
from tests.conftest import TODAY, write_content
from tests.support.servers import RunningBot

PAYLOAD_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LOADER_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------------------------ REST text


def assert_handled(status: int, body: Any) -> None:
    """200 with a list of messages, or a client error: never a server error."""
    assert status < 500, f"server error {status}: {body}"
    assert status == 200 or 400 <= status < 500, status
    if status == 200:
        assert isinstance(body, list), body


def assert_serving(bot: RunningBot) -> None:
    """The server still answers an ordinary question."""
    assert bot.process.poll() is None
    assert bot.chat(f"prop-alive-{uuid.uuid4().hex[:8]}", "what is baclofen?")


@pytest.mark.e2e
@PAYLOAD_SETTINGS
@given(text=st.text(min_size=1, max_size=300))
def test_rest_any_text_gets_a_reply_or_a_client_error(running_bot: RunningBot, text: str) -> None:
    sender = f"prop-{uuid.uuid4().hex[:10]}"
    status, reply = running_bot.request(
        "/webhooks/rest/webhook", raw=json.dumps({"sender": sender, "message": text}).encode()
    )
    assert_handled(status, reply)
    if status == 200:
        assert any(isinstance(m, dict) and m.get("text") for m in reply), f"200 but silent for {text!r}"


@pytest.mark.e2e
def test_rest_server_survives_the_generated_payloads(running_bot: RunningBot) -> None:
    assert_serving(running_bot)


# -------------------------------------------------------------------------------------- Socket.IO payloads


@pytest.fixture(scope="module")
def socket_session(running_bot: RunningBot) -> Any:
    """One Socket.IO connection reused by every generated example (a connection per example is slow)."""
    from tests.test_bad_input import SocketSession

    session = SocketSession(running_bot.url)
    yield session
    session.close()


@pytest.mark.e2e
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=200))
@example(text=" ")  # blank: no features, which once failed the classifier and left the person in silence
@example(text="\t\n")
def test_socketio_any_text_gets_a_reply(socket_session: Any, text: str) -> None:
    while not socket_session.replies.empty():  # a late reply to an earlier example
        socket_session.replies.get_nowait()
    socket_session.send({"message": text, "session_id": socket_session.session_id})
    replies = socket_session.collect(timeout=30, quiet=1.0)
    assert any(isinstance(r, dict) and r.get("text") for r in replies), f"silence over Socket.IO for {text!r}"


# ---------------------------------------------------------------------------------------- content loader

ids = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
words = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=60).filter(
    lambda t: bool(t.split())
)
# A passage's text: no placeholder but the known ones, no emergency number written out (bot.emergency_numbers).
texts = words.filter(lambda t: not placeholder_problems(t))
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=TODAY)
urls = st.from_regex(r"https://[a-z]{1,10}\.(org|com|uk)/[a-z0-9/-]{0,20}", fullmatch=True)


@st.composite
def content_folders(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A valid content folder's data: sources, topics, and passages spread over one to three files."""
    source_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    topic_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    passage_ids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    sources = {
        "sources": [
            {"id": s, "publisher": draw(words), "title": draw(words), "url": draw(urls), "accessed": draw(dates)}
            for s in source_ids
        ]
    }
    topics = {
        "topics": [
            {"id": t, "title": draw(words), "main": draw(st.booleans()), "section": draw(st.integers(1, 30))}
            for t in topic_ids
        ]
    }
    passages = [
        {
            "id": p,
            "topic": draw(st.sampled_from(topic_ids)),
            "title": draw(words),
            "text": draw(texts),
            "questions": draw(st.lists(words, min_size=1, max_size=4)),
            "sources": draw(st.lists(st.sampled_from(source_ids), min_size=1, max_size=3, unique=True)),
            "reviewed": draw(dates),
            "status": draw(st.sampled_from(["draft", "published"])),
        }
        for p in passage_ids
    ]
    files = draw(st.integers(1, 3))
    by_file = {f"p{i}.yml": {"passages": passages[i::files]} for i in range(files)}
    return sources, topics, {name: data for name, data in by_file.items() if data["passages"]}


@LOADER_SETTINGS
@given(content=content_folders())
def test_valid_content_loads_round_trips_and_reloads_idempotently(
    content: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    sources, topics, passages = content
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_content(Path(tmp) / "content", sources, topics, passages)
        bundle = load_bundle(folder, today=TODAY)
        assert load_bundle(folder, today=TODAY) == bundle
        assert set(bundle.passages) == {p["id"] for data in passages.values() for p in data["passages"]}
        store = SqlContentStore.from_url(f"sqlite:///{Path(tmp) / 'content.db'}")
        try:
            first = store.replace(bundle)
            revision = store.revision()
            assert first.changed > 0
            assert store.snapshot(include_drafts=True) == bundle
            again = store.replace(load_bundle(folder, today=TODAY))
            assert again.changed == 0, again.summary()
            assert store.revision() == revision
            assert store.snapshot(include_drafts=True) == bundle
        finally:
            store.engine.dispose()


Mutation = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], tuple[str, str]]


def _first_passage(passages: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = sorted(passages)[0]
    return f"passages/{name}", passages[name]["passages"][0]


def drop_text(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    file, item = _first_passage(passages)
    del item["text"]
    return file, item["id"]


def unknown_topic(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    file, item = _first_passage(passages)
    item["topic"] = "no-such-topic-" + uuid.uuid4().hex[:6]
    return file, item["id"]


def unknown_source(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    file, item = _first_passage(passages)
    item["sources"] = ["NO-SUCH-SOURCE"]
    return file, item["id"]


def bad_review_date(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    file, item = _first_passage(passages)
    item["reviewed"] = "last tuesday"
    return file, item["id"]


def future_review(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    file, item = _first_passage(passages)
    item["reviewed"] = TODAY + dt.timedelta(days=30)
    return file, item["id"]


def questions_not_a_list(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    file, item = _first_passage(passages)
    item["questions"] = {"q": "what?"}
    return file, item["id"]


def bad_status(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    file, item = _first_passage(passages)
    item["status"] = "live"
    return file, item["id"]


def bad_passage_id(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    file, item = _first_passage(passages)
    item["id"] = "bad id!"
    return file, "bad id!"


def duplicate_passage(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    _, item = _first_passage(passages)
    last = sorted(passages)[-1]
    passages[last]["passages"].append(dict(item))
    return f"passages/{last}", item["id"]


def passage_not_a_mapping(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    file, _ = _first_passage(passages)
    data = passages[sorted(passages)[0]]["passages"]
    data.append("just a string")
    return file, f"item {len(data)}"


def passages_not_a_list(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    name = sorted(passages)[0]
    passages[name] = {"passages": "none yet"}
    return f"passages/{name}", "passages"


def wrong_top_level(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    name = sorted(passages)[0]
    passages[name] = [passages[name]["passages"]]
    return f"passages/{name}", "(file)"


def invalid_yaml(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    name = sorted(passages)[0]
    passages[name] = "passages:\n  - id: x\n    text: [unclosed\n"
    return f"passages/{name}", "line"


def bad_url(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    item = sources["sources"][0]
    item["url"] = "ftp://not a url"
    return "sources.yml", item["id"]


def source_without_publisher(
    sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]
) -> tuple[str, str]:
    item = sources["sources"][0]
    del item["publisher"]
    return "sources.yml", item["id"]


def future_access(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    item = sources["sources"][0]
    item["accessed"] = TODAY + dt.timedelta(days=1)
    return "sources.yml", item["id"]


def bad_section(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    item = topics["topics"][0]
    item["section"] = "three"
    return "topics.yml", item["id"]


def topic_title_not_text(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> tuple[str, str]:
    item = topics["topics"][0]
    item["title"] = ["a", "list"]
    return "topics.yml", item["id"]


MUTATIONS: list[Mutation] = [
    drop_text,
    unknown_topic,
    unknown_source,
    bad_review_date,
    future_review,
    questions_not_a_list,
    bad_status,
    bad_passage_id,
    duplicate_passage,
    passage_not_a_mapping,
    passages_not_a_list,
    wrong_top_level,
    invalid_yaml,
    bad_url,
    source_without_publisher,
    future_access,
    bad_section,
    topic_title_not_text,
]


@LOADER_SETTINGS
@given(content=content_folders(), mutation=st.sampled_from(MUTATIONS))
def test_broken_content_raises_a_validation_error_naming_file_and_item(
    content: tuple[dict[str, Any], dict[str, Any], dict[str, Any]], mutation: Mutation
) -> None:
    sources, topics, passages = content
    file, item = mutation(sources, topics, passages)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_content(Path(tmp) / "content", sources, topics, passages)
        with pytest.raises(ContentValidationError) as raised:
            load_bundle(folder, today=TODAY)
    problems = raised.value.problems
    assert problems and all(p.file and p.item and p.problem for p in problems)
    named = [p for p in problems if p.file == file and (p.item == item or p.item.startswith(item))]
    assert named, f"{mutation.__name__}: expected {file}: {item}; got {[str(p) for p in problems]}"


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30) | dates,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
# Data shaped like the content files at the top, anything below.
shaped = st.one_of(
    yaml_values,
    st.fixed_dictionaries({"passages": st.lists(st.dictionaries(st.sampled_from(
        ["id", "topic", "title", "text", "questions", "sources", "reviewed", "status"]), yaml_values), max_size=3)}),
)  # fmt: skip


@LOADER_SETTINGS
@given(
    sources=st.one_of(st.just(None), yaml_values),
    topics=st.one_of(st.just(None), yaml_values),
    passage_data=shaped,
    raw_text=st.one_of(st.none(), st.text(max_size=200)),
)
def test_arbitrary_yaml_loads_or_raises_only_validation_errors(
    sources: Any, topics: Any, passage_data: Any, raw_text: str | None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_content(
            Path(tmp) / "content",
            sources,
            topics,
            {"a.yml": yaml.safe_dump(passage_data, allow_unicode=True), **({"b.yml": raw_text} if raw_text else {})},
        )
        try:
            load_bundle(folder, today=TODAY)
        except ContentValidationError as error:
            assert error.problems and all(p.file and p.item for p in error.problems)
