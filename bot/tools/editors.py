"""Manage the editors' shell accounts: `python -m bot.tools.editors add|password|remove|list|verify-log`.

    python -m bot.tools.editors add sam --role editor --name "Sam Lee"
    python -m bot.tools.editors add priya --role clinician --name "Dr Priya Shah, consultant in rehabilitation medicine"
    python -m bot.tools.editors password sam
    python -m bot.tools.editors remove sam
    python -m bot.tools.editors list
    python -m bot.tools.editors verify-log

`add` and `password` ask for the password twice without showing it (or read one line from standard input
with `--password-stdin`, for scripts). A clinician's `--name` is written into the passages they sign off,
so it must give their name and role, as `clinical_signoff.by` does. The accounts file is `EDITOR_ACCOUNTS`
(default var/editors.json), readable by its owner only; the shell reads it again whenever it changes, so
no restart is needed. `make editor-add NAME=sam ROLE=editor` runs `add`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from bot.config import get_settings
from bot.editing.accounts import AccountError, AccountFile, Role
from bot.editing.audit import AuditLog


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    """Runs the command; returns the process exit code."""
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m bot.tools.editors", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--file", type=Path, default=settings.editor_accounts, help="accounts file (EDITOR_ACCOUNTS)")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create an account")
    add.add_argument("login", help="login name: lower-case letters, digits, '.', '_' or '-'")
    add.add_argument("--role", choices=[r.value for r in Role], required=True)
    add.add_argument("--name", default="", help="name shown in the log; a clinician's name and role")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password = commands.add_parser("password", help="set a new password (ends the account's sessions)")
    password.add_argument("login")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    remove = commands.add_parser("remove", help="delete an account")
    remove.add_argument("login")
    commands.add_parser("list", help="list the accounts")
    commands.add_parser("verify-log", help="check that no line of the change log was removed or altered")
    args = parser.parse_args(argv)

    accounts = AccountFile(args.file)
    try:
        if args.command == "add":
            if args.role == Role.CLINICIAN.value and not args.name.strip():
                raise AccountError('a clinician needs --name "their name, their role"')
            account = accounts.add(args.login, Role(args.role), _password(args), args.name)
            print(f"Added {account.name} ({account.role.value}, shown as {account.display!r}) to {args.file}.")
        elif args.command == "password":
            accounts.set_password(args.login, _password(args))
            print(f"New password set for {args.login}; their open sessions have ended.")
        elif args.command == "remove":
            accounts.remove(args.login)
            print(f"Removed {args.login}.")
        elif args.command == "list":
            for account in sorted(accounts.accounts().values(), key=lambda a: a.name):
                print(f"{account.name}\t{account.role.value}\t{account.display}\t(since {account.created})")
        else:
            problems = AuditLog(settings.editor_audit_log).verify()
            print("\n".join(problems) or f"{settings.editor_audit_log}: every line follows the one before.")
            return 1 if problems else 0
    except AccountError as exc:
        print(f"Not done: {exc}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
