"""Named editor accounts, their session cookies, the change log and `python -m bot.tools.editors` (#16 point 1).

Hashes in most tests use a small scrypt cost so the tests stay fast; one test checks the default cost is
what the accounts file stores.
"""

from __future__ import annotations

import functools
import io
import json
import stat
from pathlib import Path

import pytest

from bot.channels.editor_auth import FAILURE_WINDOW_S, FAILURES_PER_NAME, LoginThrottle
from bot.editing import sessions
from bot.editing.accounts import (
    DEFAULT_COST,
    AccountError,
    AccountFile,
    HashCost,
    Role,
    hash_password,
    password_matches,
    password_problem,
)
from bot.editing.audit import Action, AuditLog, entry_hash
from bot.tools import editors

FAST = HashCost(n=2**10, r=8, p=1)
PASSWORD = "correct horse battery"
CLINICIAN = "Dr Priya Shah, consultant in rehabilitation medicine"


@pytest.fixture
def accounts(tmp_path: Path) -> AccountFile:
    return AccountFile(tmp_path / "var" / "editors.json")


def test_a_password_is_stored_as_a_salted_scrypt_hash_at_the_default_cost() -> None:
    stored = hash_password(PASSWORD)
    scheme, n, r, p, _salt, _key = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", DEFAULT_COST.n, DEFAULT_COST.r, DEFAULT_COST.p)
    assert PASSWORD not in stored
    assert password_matches(PASSWORD, stored)


@pytest.mark.parametrize(
    ("password", "stored_from", "expected"),
    [
        (PASSWORD, PASSWORD, True),
        ("correct horse battery!", PASSWORD, False),
        ("", PASSWORD, False),
        (PASSWORD, None, False),  # a damaged entry never matches
    ],
)
def test_password_matching(password: str, stored_from: str | None, expected: bool) -> None:
    stored = hash_password(stored_from, FAST) if stored_from is not None else "scrypt$1024$8$not-base64$@@"
    assert password_matches(password, stored) is expected


def test_the_same_password_gets_a_different_salt_each_time() -> None:
    assert hash_password(PASSWORD, FAST) != hash_password(PASSWORD, FAST)


@pytest.mark.parametrize(
    ("name", "password", "problem"),
    [
        ("sam", "short", "at least 12 characters"),
        ("sam", "x" * 1025, "at most 1024"),
        ("samantha", "samantha-is-my-name", "must not contain the login name"),
        ("sam", PASSWORD, None),
    ],
)
def test_password_rules(name: str, password: str, problem: str | None) -> None:
    found = password_problem(name, password)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_the_accounts_file_is_owner_only_and_holds_no_password(accounts: AccountFile) -> None:
    accounts.add("sam", Role.EDITOR, PASSWORD, "Sam Lee", FAST)
    accounts.add("priya", Role.CLINICIAN, PASSWORD, CLINICIAN, FAST)
    assert stat.S_IMODE(accounts.path.stat().st_mode) == 0o600
    text = accounts.path.read_text()
    assert PASSWORD not in text
    rows = {row["name"]: row for row in json.loads(text)["accounts"]}
    assert rows["priya"]["role"] == "clinician" and rows["priya"]["display"] == CLINICIAN
    assert accounts.verify("sam", PASSWORD) is not None
    assert accounts.verify("sam", "wrong password here") is None
    assert accounts.verify("nobody", PASSWORD) is None


@pytest.mark.parametrize(
    ("name", "role", "display", "message"),
    [
        ("Sam", Role.EDITOR, "", "lower-case"),
        ("s", Role.EDITOR, "", "2 to 32"),
        ("sam", Role.EDITOR, "", "already an account"),
        # The loader's own words about a sign-off's `by`: a clinician signs under a name and a role.
        ("bob", Role.CLINICIAN, "Bob", "'clinical_signoff': 'by' must name the clinician (name and role), got 'Bob'"),
        ("tbd", Role.CLINICIAN, "TBD", "must name the clinician"),
    ],
)
def test_accounts_that_cannot_be_added(
    accounts: AccountFile, name: str, role: Role, display: str, message: str
) -> None:
    accounts.add("sam", Role.EDITOR, PASSWORD, "Sam Lee", FAST)
    with pytest.raises(AccountError, match=message.replace("(", r"\(").replace(")", r"\)")):
        accounts.add(name, role, PASSWORD, display, FAST)


def test_a_changed_file_is_read_again(accounts: AccountFile, tmp_path: Path) -> None:
    accounts.add("sam", Role.EDITOR, PASSWORD, "Sam Lee", FAST)
    other = AccountFile(accounts.path)  # another process's view of the same file
    assert set(other.accounts()) == {"sam"}
    accounts.add("ana", Role.EDITOR, PASSWORD, "Ana", FAST)
    assert set(other.accounts()) == {"sam", "ana"}
    accounts.remove("sam")
    assert set(other.accounts()) == {"ana"}


# -- sessions ----------------------------------------------------------------------------------------------


def test_a_session_names_its_account_until_it_expires(accounts: AccountFile) -> None:
    account = accounts.add("sam", Role.EDITOR, PASSWORD, "Sam Lee", FAST)
    key = sessions.session_key("an-editor-token-0123")
    cookie = sessions.issue(key, account, now=1_000_000)
    found = sessions.read(key, cookie, accounts, now=1_000_000 + sessions.SESSION_SECONDS - 1)
    assert found is not None and found.account.name == "sam"
    assert sessions.read(key, cookie, accounts, now=1_000_000 + sessions.SESSION_SECONDS) is None


def test_a_session_ends_when_it_is_forged_or_its_account_changes(accounts: AccountFile) -> None:
    account = accounts.add("sam", Role.EDITOR, PASSWORD, "Sam Lee", FAST)
    key = sessions.session_key("an-editor-token-0123")
    cookie = sessions.issue(key, account)
    body, signature = cookie.split(".")
    claims = json.loads(sessions._unb64(body))
    forged = sessions._b64(json.dumps({**claims, "r": "clinician"}).encode()) + "." + signature
    assert sessions.read(key, forged, accounts) is None, "a role written into the cookie by hand"
    assert sessions.read(sessions.session_key("another-token-0123"), cookie, accounts) is None
    for broken in ("", "x", "a.b.c", cookie + "x", "." * 2000):
        assert sessions.read(key, broken, accounts) is None
    accounts.set_password("sam", "a new long password", FAST)
    assert sessions.read(key, cookie, accounts) is None, "a new password ends the old sessions"
    fresh = sessions.issue(key, accounts.get("sam"))  # type: ignore[arg-type]
    accounts.remove("sam")
    assert sessions.read(key, fresh, accounts) is None, "a removed account's session ends"


def test_the_login_throttle_slows_guessing_per_name_and_forgets_after_a_success() -> None:
    throttle = LoginThrottle()
    for _ in range(FAILURES_PER_NAME):
        assert throttle.wait("sam", "203.0.113.1", now=100.0) == 0
        throttle.failed("sam", "203.0.113.1", now=100.0)
    assert throttle.wait("sam", "198.51.100.2", now=101.0) > 0, "the name is locked from any address"
    assert throttle.wait("ana", "203.0.113.1", now=101.0) == 0, "other names are not"
    assert throttle.wait("sam", "203.0.113.1", now=100.0 + FAILURE_WINDOW_S + 1) == 0, "until the window passes"
    throttle.failed("ana", "203.0.113.9", now=200.0)
    throttle.succeeded("ana")
    assert throttle.wait("ana", "203.0.113.9", now=200.0) == 0


# -- the change log ----------------------------------------------------------------------------------------


def test_the_change_log_is_an_owner_only_chain_of_json_lines(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "var" / "audit.jsonl")
    before, after = entry_hash({"id": "a", "text": "old"}), entry_hash({"text": "new", "id": "a"})
    log.append("sam", "editor", Action.CREATE, passage="a", file="passages/x.yml", after=before, note="new")
    log.append("sam", "editor", Action.EDIT, passage="a.draft", before=before, after=after, fields=["text"])
    log.append("priya", "clinician", Action.SIGN_OFF, passage="b")
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert [e["action"] for e in log.entries()] == ["sign-off", "edit", "create"]
    assert [e["passage"] for e in log.entries(passage="a")] == ["a.draft", "a"], "a passage and its pending edit"
    assert log.entries()[1]["fields"] == ["text"] and log.entries()[2]["before"] is None
    assert entry_hash({"id": "a", "text": "old"}) == entry_hash({"text": "old", "id": "a"}), "key order is not data"
    assert log.verify() == []
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join([lines[0], lines[2]]) + "\n")  # a line removed by hand
    assert log.verify() == ["line 2: does not follow line 1"]
    log.path.write_text("\n".join([lines[0], lines[1].replace("sam", "ana"), lines[2]]) + "\n")
    assert log.verify() == ["line 3: does not follow line 2"], "a line altered by hand"


# -- the command line -------------------------------------------------------------------------------------


def run_cli(monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    monkeypatch.setattr(editors, "AccountFile", functools.partial(AccountFile, cost=FAST))
    return editors.main(args)


def test_the_command_line_adds_lists_changes_and_removes_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    file = str(tmp_path / "editors.json")
    add = ["--file", file, "add", "priya", "--role", "clinician", "--name", CLINICIAN, "--password-stdin"]
    assert run_cli(monkeypatch, add, PASSWORD + "\n") == 0
    assert "Added priya (clinician" in capsys.readouterr().out
    assert (
        run_cli(monkeypatch, ["--file", file, "add", "bob", "--role", "clinician", "--password-stdin"], PASSWORD) == 1
    )
    assert "a clinician needs --name" in capsys.readouterr().err
    assert run_cli(monkeypatch, ["--file", file, "add", "sam", "--role", "editor", "--password-stdin"], "short") == 1
    assert "at least 12 characters" in capsys.readouterr().err
    assert run_cli(monkeypatch, ["--file", file, "list"]) == 0
    assert capsys.readouterr().out.startswith(f"priya\tclinician\t{CLINICIAN}")
    assert run_cli(monkeypatch, ["--file", file, "password", "priya", "--password-stdin"], "another password 1") == 0
    assert AccountFile(Path(file)).verify("priya", "another password 1") is not None
    assert run_cli(monkeypatch, ["--file", file, "remove", "priya"]) == 0
    assert AccountFile(Path(file)).accounts() == {}
    assert run_cli(monkeypatch, ["--file", file, "remove", "priya"]) == 1
