"""Live content reload: the store's revision, consistent snapshots, and the service's atomic swap.

The revision tests run on the in-memory store and on the real SQLite and PostgreSQL stores; the swap tests
check that a service answering questions in one thread never fails, and never mixes two libraries, while
another thread loads new content and the service rebuilds its index aside.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from bot.channels.editor_preview import EditorPreview, preview_metadata, preview_request, sign
from bot.content.library import ContentUnavailable
from bot.content.records import ContentBundle, Status
from bot.content.store import ContentChanging, InMemoryContentStore, SqlContentStore, content_hash
from bot.nlp.pipeline import TextAnalyser
from bot.nlp.terminology import Term
from bot.service import BotService
from tests.conftest import make_small_bundle

EDITOR_TOKEN = "reload-test-editor-token"


def with_text(bundle: ContentBundle, passage_id: str, text: str) -> ContentBundle:
    """The bundle with one passage's text changed."""
    passages = dict(bundle.passages)
    passages[passage_id] = dataclasses.replace(passages[passage_id], text=text)
    return dataclasses.replace(bundle, passages=passages)


# -- the revision --------------------------------------------------------------------------------------


def test_the_in_memory_revision_moves_only_when_content_changes(small_bundle: ContentBundle) -> None:
    store = InMemoryContentStore(small_bundle)
    first = store.revision()
    store.replace(small_bundle)
    assert store.revision() == first
    store.replace(with_text(small_bundle, "baclofen-what-it-is", "Changed."))
    assert store.revision() == first + 1


def test_the_sql_revision_is_recorded_by_each_changing_load(sql_store: SqlContentStore) -> None:
    bundle = make_small_bundle()
    assert sql_store.revision() is None, "an empty database has no revision yet"
    sql_store.replace(bundle)
    info = sql_store.revision_info()
    assert info is not None and info.revision == 1
    assert info.content_hash == content_hash(bundle) and info.loaded_at is not None
    sql_store.replace(bundle)
    assert sql_store.revision() == 1, "an unchanged load does not make services rebuild"
    changed = with_text(bundle, "pump-refills", "The pump is refilled at the clinic.")
    sql_store.replace(changed)
    info = sql_store.revision_info()
    assert info is not None and info.revision == 2 and info.content_hash == content_hash(changed)


def test_a_failed_load_leaves_the_revision_alone(sql_store: SqlContentStore) -> None:
    bundle = make_small_bundle()
    sql_store.replace(bundle)
    broken = with_text(bundle, "pump-refills", "Cites a source that does not exist.")
    broken.passages["pump-refills"] = dataclasses.replace(broken.passages["pump-refills"], sources=("NOPE",))
    with pytest.raises(Exception):  # noqa: B017 - the database's foreign-key error, whichever driver
        sql_store.replace(broken)
    assert sql_store.revision() == 1
    assert sql_store.snapshot().passages["pump-refills"].text == bundle.passages["pump-refills"].text


def test_the_content_hash_ignores_order_but_not_content(small_bundle: ContentBundle) -> None:
    reordered = dataclasses.replace(small_bundle, passages=dict(reversed(list(small_bundle.passages.items()))))
    assert content_hash(reordered) == content_hash(small_bundle)
    assert content_hash(with_text(small_bundle, "pump-refills", "x")) != content_hash(small_bundle)


class FlakyRevisionStore(InMemoryContentStore):
    """A store whose revision moves between every two reads, as if loads kept committing."""

    def __init__(self, bundle: ContentBundle, moves: int) -> None:
        super().__init__(bundle)
        self.moves = moves

    def revision(self) -> int:
        if self.moves > 0:
            self.moves -= 1
            self._revision += 1
        return self._revision


def test_a_snapshot_read_during_a_load_is_read_again(small_bundle: ContentBundle) -> None:
    store = FlakyRevisionStore(small_bundle, moves=2)
    bundle, revision = store.versioned_snapshot()
    assert bundle.passages and revision == store.revision()
    with pytest.raises(ContentChanging):
        FlakyRevisionStore(small_bundle, moves=100).versioned_snapshot()


# -- the service ---------------------------------------------------------------------------------------


def make_service(
    store: InMemoryContentStore | SqlContentStore, analyser: TextAnalyser, terms: list[Term]
) -> BotService:
    # The background check is off (-1) where a test calls refresh() itself, so nothing races the asserts.
    return BotService(store, lambda: analyser, terms, threshold=0.3, reload_interval=-1)


def test_refresh_swaps_in_new_content_only_when_the_revision_moved(
    small_bundle: ContentBundle, analyser: TextAnalyser, small_terms: list[Term]
) -> None:
    store = InMemoryContentStore(small_bundle)
    service = make_service(store, analyser, small_terms)
    assert "sleepiness" in service.answer_question("baclofen side effects").reply.text
    assert service.library.refresh() is False
    store.replace(with_text(small_bundle, "baclofen-side-effects", "Baclofen side effects: drowsiness and nausea."))
    assert "sleepiness" in service.answer_question("baclofen side effects").reply.text, "not before the check"
    assert service.library.refresh() is True
    assert service.library.content_revision() == store.revision()
    assert "drowsiness" in service.answer_question("baclofen side effects").reply.text


@pytest.mark.parametrize("idle_s", [0.0, 0.3])
def test_the_very_next_turn_after_a_load_is_answered_from_it(
    small_bundle: ContentBundle, analyser: TextAnalyser, small_terms: list[Term], idle_s: float
) -> None:
    """Issue 16 point 2: once the load is committed, the next question gets the new text, busy or idle."""
    store = InMemoryContentStore(small_bundle)
    service = BotService(store, lambda: analyser, small_terms, threshold=0.3, reload_interval=0)
    assert "twelve weeks" not in service.answer_question("pump refill").reply.text
    time.sleep(idle_s)
    store.replace(with_text(small_bundle, "pump-refills", "The baclofen pump is refilled every twelve weeks."))
    with service.library.turn():
        assert "twelve weeks" in service.answer_question("pump refill").reply.text


def test_a_turn_in_progress_keeps_its_snapshot_while_the_next_turn_reads_the_load(
    small_bundle: ContentBundle, analyser: TextAnalyser, small_terms: list[Term]
) -> None:
    store = InMemoryContentStore(small_bundle)
    service = BotService(store, lambda: analyser, small_terms, threshold=0.3, reload_interval=0)
    with service.library.turn():
        service.library.snapshot()  # this turn pinned the content it started with
        store.replace(with_text(small_bundle, "pump-refills", "The baclofen pump is refilled every twelve weeks."))
        assert "twelve weeks" not in service.answer_question("pump refill").reply.text
    with service.library.turn():
        assert "twelve weeks" in service.answer_question("pump refill").reply.text


class DeadRevisionStore(InMemoryContentStore):
    """A store whose database went away after the first load: reading the revision fails."""

    dead = False

    def revision(self) -> int:
        if self.dead:
            raise ConnectionError("the database is down")
        return super().revision()


def test_a_dead_database_at_the_check_keeps_the_loaded_content_answering(
    small_bundle: ContentBundle, analyser: TextAnalyser, small_terms: list[Term], caplog: pytest.LogCaptureFixture
) -> None:
    store = DeadRevisionStore(small_bundle)
    service = BotService(store, lambda: analyser, small_terms, threshold=0.3, reload_interval=0)
    before = service.answer_question("pump refill").reply.text
    store.dead = True
    answers = [service.answer_question("pump refill").reply.text for _ in range(5)]
    assert answers == [before] * 5
    warnings = [r for r in caplog.records if "Could not check the content revision" in r.getMessage()]
    assert len(warnings) == 1, "warned once, not at every turn"


def test_a_positive_interval_checks_at_most_that_often(
    small_bundle: ContentBundle, analyser: TextAnalyser, small_terms: list[Term]
) -> None:
    store = InMemoryContentStore(small_bundle)
    service = BotService(store, lambda: analyser, small_terms, threshold=0.3, reload_interval=3600)
    service.library.warm_up()
    store.replace(with_text(small_bundle, "pump-refills", "The baclofen pump is refilled every twelve weeks."))
    assert "twelve weeks" not in service.answer_question("pump refill").reply.text


def test_content_that_cannot_be_used_keeps_the_old_content_in_service(
    small_bundle: ContentBundle, analyser: TextAnalyser, small_terms: list[Term]
) -> None:
    store = InMemoryContentStore(small_bundle)
    service = make_service(store, analyser, small_terms)
    service.library.warm_up()
    only_drafts = {k: dataclasses.replace(p, status=Status.DRAFT) for k, p in small_bundle.passages.items()}
    store.replace(dataclasses.replace(small_bundle, passages=only_drafts))
    assert service.library.refresh() is False
    assert "sleepiness" in service.answer_question("baclofen side effects").reply.text
    assert service.library.refresh() is False, "the same unusable revision is not rebuilt at every check"
    with pytest.raises(ContentUnavailable):
        service.library.reload()
    assert "sleepiness" in service.answer_question("baclofen side effects").reply.text


def test_a_turn_reads_one_snapshot_even_if_a_swap_lands_in_the_middle(
    small_bundle: ContentBundle, analyser: TextAnalyser, small_terms: list[Term]
) -> None:
    store = InMemoryContentStore(small_bundle)
    service = make_service(store, analyser, small_terms)
    with service.turn():
        before = service.bundle
        store.replace(with_text(small_bundle, "pump-refills", "New refill text."))
        assert service.library.refresh() is True
        assert service.bundle is before, "the turn keeps the snapshot it started with"
        assert "New refill text" not in service.answer_question("pump refill").reply.text
    assert "New refill text" in service.answer_question("pump refill").reply.text


def test_answers_never_fail_or_mix_libraries_while_content_is_reloaded(
    small_bundle: ContentBundle, analyser: TextAnalyser, small_terms: list[Term]
) -> None:
    # Two libraries that differ in every passage's text: each answer must come wholly from one of them.
    one = small_bundle
    two = dataclasses.replace(
        one, passages={k: dataclasses.replace(p, text=p.text + " (v2)") for k, p in one.passages.items()}
    )
    store = InMemoryContentStore(one)
    service = make_service(store, analyser, small_terms)
    service.library.warm_up()
    errors: list[BaseException] = []
    answers = 0
    stop = threading.Event()

    def ask() -> None:
        nonlocal answers
        questions = ["baclofen side effects", "does botox hurt", "pump refill", "what is spasticity"]
        while not stop.is_set():
            for question in questions:
                try:
                    with service.turn():
                        bundle = service.bundle
                        turn = service.answer_question(question)
                        # Every cited passage is the pinned snapshot's version.
                        for pid in turn.reply.passage_ids:
                            assert bundle.passages[pid].text in turn.reply.text
                        answers += 1
                except BaseException as exc:  # any failure is the test's finding
                    errors.append(exc)

    workers = [threading.Thread(target=ask) for _ in range(3)]
    for worker in workers:
        worker.start()
    swaps = 0
    for index in range(20):
        store.replace(two if index % 2 == 0 else one)
        swaps += service.library.refresh()
        time.sleep(0.01)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    assert not errors, errors[:3]
    assert swaps == 20 and answers > 20


def test_sql_store_reload_through_the_service(
    sql_store: SqlContentStore, analyser: TextAnalyser, small_terms: list[Term]
) -> None:
    bundle = make_small_bundle()
    sql_store.replace(bundle)
    service = make_service(sql_store, analyser, small_terms)
    assert service.library.content_revision() is None
    service.library.warm_up()
    assert service.library.content_revision() == 1
    sql_store.replace(with_text(bundle, "pump-refills", "The baclofen pump is refilled every twelve weeks."))
    assert service.library.refresh() is True and service.library.content_revision() == 2
    assert "twelve weeks" in service.answer_question("pump refill").reply.text


# -- drafts for editors only ---------------------------------------------------------------------------


def test_drafts_are_answered_only_inside_an_editors_preview(
    small_bundle: ContentBundle, analyser: TextAnalyser, small_terms: list[Term]
) -> None:
    service = make_service(InMemoryContentStore(small_bundle), analyser, small_terms)
    question = "is there a liquid baclofen?"
    assert "Draft text" not in service.answer_question(question).reply.text
    preview = EditorPreview(drafts=True)
    with service.turn(preview):
        turn = service.answer_question(question)
    assert "Draft text" in turn.reply.text
    debug = preview.debug(turn.reply.passage_ids)
    best = debug["searches"][0][0]
    assert best["id"] == "draft-passage" and best["status"] == "draft" and best["chosen"]
    assert best["score"] > 0 and best["sources"][0]["publisher"] == "Publisher NHS-BAC"
    assert debug["revision"] == service.library.content_revision()
    with service.turn(EditorPreview(drafts=False)):
        assert "Draft text" not in service.answer_question(question).reply.text
    assert "Draft text" not in service.answer_question(question).reply.text, "patients after an editor"


def test_the_drafts_index_follows_a_reload(
    small_bundle: ContentBundle, analyser: TextAnalyser, small_terms: list[Term]
) -> None:
    store = InMemoryContentStore(small_bundle)
    service = make_service(store, analyser, small_terms)
    with service.turn(EditorPreview(drafts=True)):
        assert "Draft text" in service.answer_question("is there a liquid baclofen?").reply.text
    store.replace(with_text(small_bundle, "draft-passage", "Reworded draft about liquid baclofen."))
    service.library.refresh()
    with service.turn(EditorPreview(drafts=True)):
        assert "Reworded draft" in service.answer_question("is there a liquid baclofen?").reply.text


@pytest.mark.parametrize(
    ("channel", "sender", "text", "token", "expected"),
    [
        ("editor", "editor-a", "hello", EDITOR_TOKEN, True),
        ("rest", "editor-a", "hello", EDITOR_TOKEN, False),  # a patient's channel, even with valid metadata
        ("socketio", "editor-a", "hello", EDITOR_TOKEN, False),
        ("editor", "editor-b", "hello", EDITOR_TOKEN, False),  # signed for another conversation
        ("editor", "editor-a", "other text", EDITOR_TOKEN, False),  # signed for another message
        ("editor", "editor-a", "hello", "another-token-entirely", False),
        ("editor", "editor-a", "hello", None, False),  # no EDITOR_TOKEN in the action server: never
    ],
)
def test_a_preview_needs_the_editor_channel_and_a_valid_signature(
    channel: str, sender: str, text: str, token: str | None, expected: bool
) -> None:
    metadata = preview_metadata(EDITOR_TOKEN, "editor-a", "hello", drafts=True)
    preview = preview_request(channel, metadata, sender, text, token)
    assert (preview is not None and preview.drafts) is expected


@pytest.mark.parametrize(
    "metadata",
    [None, {}, {"editor_preview": True}, {"editor_preview": {"drafts": True}}, {"editor_preview": {"signature": 1}}],
)
def test_made_up_preview_metadata_is_ignored(metadata: object) -> None:
    assert preview_request("editor", metadata, "editor-a", "hello", EDITOR_TOKEN) is None  # type: ignore[arg-type]


def test_the_signature_is_bound_to_sender_and_text() -> None:
    assert sign("k" * 16, "a", "b\nc") != sign("k" * 16, "a\nb", "c")
