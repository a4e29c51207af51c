"""The Kubernetes deployment's database roles (deploy/k8s/db-roles.sql, db-grants.sql) on the real PostgreSQL.

The SQL files run with psql as the deployment runs them: db-roles.sql as the administrator, then the content
Job's three steps as the owner (the content load, `python -m bot.feedback purge`, db-grants.sql). The action
servers' role must then do everything the action servers do (read the content and its revision, add votes and
unanswered questions, purge expired feedback) and nothing else: no content change, no reading of the stored
questions or of the conversations, no new tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.future import create_engine

from bot.config import PROJECT_ROOT
from bot.content.store import SqlContentStore
from bot.feedback.__main__ import main as feedback_command
from bot.feedback.store import SqlFeedbackStore
from tests.conftest import POSTGRES_URL, _service_missing, make_small_bundle, missing

pytestmark = pytest.mark.postgres

SQL = PROJECT_ROOT / "deploy" / "k8s"
SALT = "s" * 64
PASSWORD = uuid.uuid4().hex


@dataclass(frozen=True)
class Roles:
    """The schema, the two roles and their URLs (search_path set to the schema)."""

    schema: str
    owner: str
    reader: str
    owner_url: str
    reader_url: str


def _url(user: str, schema: str) -> str:
    url = make_url(POSTGRES_URL).set(username=user, password=PASSWORD, query={"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def psql(user: str | None, file: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """Runs one SQL file with psql against the test database, as `user` (None: the test's own user)."""
    url = make_url(POSTGRES_URL)
    env = {
        **os.environ,
        "PGHOST": url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGDATABASE": url.database or "test",
    }
    if user:
        env.update(PGUSER=user, PGPASSWORD=PASSWORD)
    elif url.username:
        env["PGUSER"] = url.username
    command = ["psql", "-X", "--no-password", "-v", "ON_ERROR_STOP=1"]
    for name, value in variables.items():
        command += ["-v", f"{name}={value}"]
    return subprocess.run([*command, "-f", str(file)], env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def roles() -> Iterator[Roles]:
    """The deployment's roles in a schema of their own, set up as the README says; dropped afterwards."""
    if shutil.which("psql") is None:
        missing("psql (PostgreSQL's client) is not installed")
    suffix = uuid.uuid4().hex[:10]
    schema, owner, reader = f"roles_{suffix}", f"owner_{suffix}", f"reader_{suffix}"
    found = Roles(schema, owner, reader, _url(owner, schema), _url(reader, schema))
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE ROLE \"{found.owner}\" LOGIN PASSWORD '{PASSWORD}'"))
            conn.execute(text(f'CREATE SCHEMA "{found.schema}"'))
    except Exception as exc:  # OperationalError when the server is absent
        admin.dispose()
        _service_missing(f"PostgreSQL at {POSTGRES_URL}", exc)
    try:
        made = psql(
            None,
            SQL / "db-roles.sql",
            owner=found.owner,
            reader=found.reader,
            reader_password=PASSWORD,
            schema=found.schema,
        )
        assert made.returncode == 0, made.stderr
        with create_engine(found.owner_url, future=True).begin() as conn:  # Rasa's tracker table stands for itself
            conn.execute(text("CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id TEXT, data TEXT)"))
            conn.execute(text("INSERT INTO events (sender_id, data) VALUES ('someone', 'my medical question')"))
        content = SqlContentStore.from_url(found.owner_url)
        content.replace(make_small_bundle())
        content.engine.dispose()
        assert feedback_command(["purge", "--database-url", found.owner_url]) == 0
        granted = psql(found.owner, SQL / "db-grants.sql", reader=found.reader, schema=found.schema)
        assert granted.returncode == 0, granted.stderr
        yield found
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{found.schema}" CASCADE'))
            for role in (found.reader, found.owner):
                conn.execute(text(f'DROP OWNED BY "{role}"'))
                conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def test_the_reader_reads_the_content_and_its_revision(roles: Roles) -> None:
    owner, reader = SqlContentStore.from_url(roles.owner_url), SqlContentStore.from_url(roles.reader_url)
    try:
        assert reader.snapshot() == owner.snapshot()
        assert reader.revision() == owner.revision() == 1
    finally:
        owner.engine.dispose()
        reader.engine.dispose()


def test_the_reader_adds_votes_and_unanswered_questions_the_owner_then_reports(roles: Roles) -> None:
    reader = SqlFeedbackStore.from_url(roles.reader_url, lambda: SALT)
    owner = SqlFeedbackStore.from_url(roles.owner_url, lambda: SALT)
    try:
        before = len(owner.stored_votes())
        assert reader.record_feedback("web:1", "what is baclofen?", ["baclofen-what-it-is"], helpful=False)
        assert reader.record_unanswered("web:1", "can I fly a kite with a baclofen pump")
        votes = owner.stored_votes()
        assert len(votes) == before + 1 and votes[-1].passage_ids == ("baclofen-what-it-is",)
        assert owner.most_unanswered()
    finally:
        reader.engine.dispose()
        owner.engine.dispose()


def test_the_reader_purges_expired_feedback_as_the_action_server_does_daily(roles: Roles) -> None:
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)
    owner = SqlFeedbackStore.from_url(roles.owner_url, lambda: SALT, clock=lambda: long_ago)
    reader = SqlFeedbackStore.from_url(roles.reader_url, lambda: SALT)
    try:
        owner.record_feedback("web:2", "what is tizanidine?", ["tizanidine"], helpful=True)
        owner.record_unanswered("web:2", "is the weather good for stretching")
        report = reader.purge(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=180))
        assert (report.votes, report.unanswered) == (1, 1)
    finally:
        reader.engine.dispose()
        owner.engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE content_passages SET text = 'changed'",
        "DELETE FROM content_sources",
        "INSERT INTO content_revision (id, revision) VALUES (2, 2)",
        "SELECT question FROM feedback_votes",
        "SELECT conversation, question FROM feedback_unanswered",
        "SELECT passage_id FROM feedback_vote_passages",
        "UPDATE feedback_votes SET helpful = true",
        "TRUNCATE feedback_votes",
        "SELECT data FROM events",
        "DELETE FROM events",
        "CREATE TABLE mine (id INTEGER)",
        "ALTER TABLE content_passages ADD COLUMN note TEXT",
    ],
)
def test_the_reader_may_do_nothing_else(roles: Roles, statement: str) -> None:
    engine = create_engine(roles.reader_url, future=True)
    try:
        with pytest.raises(ProgrammingError, match=r"permission denied|must be owner"), engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_a_content_load_as_the_reader_fails_and_changes_nothing(roles: Roles) -> None:
    bundle = make_small_bundle()
    first = next(iter(bundle.passages.values()))
    changed = dataclasses.replace(bundle, passages={**bundle.passages, first.id: dataclasses.replace(first, text="x")})
    reader = SqlContentStore.from_url(roles.reader_url)
    try:
        with pytest.raises(ProgrammingError, match="permission denied"):
            reader.replace(changed)
        assert reader.snapshot(include_drafts=True) == bundle
        assert reader.revision() == 1
    finally:
        reader.engine.dispose()


def test_both_files_can_run_again(roles: Roles) -> None:
    """The role file is safe to rerun, and the grants run after every content load."""
    again = psql(
        None,
        SQL / "db-roles.sql",
        owner=roles.owner,
        reader=roles.reader,
        reader_password=PASSWORD,
        schema=roles.schema,
    )
    assert again.returncode == 0, again.stderr
    granted = psql(roles.owner, SQL / "db-grants.sql", reader=roles.reader, schema=roles.schema)
    assert granted.returncode == 0, granted.stderr
