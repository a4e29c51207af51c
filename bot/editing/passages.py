"""What editors do to a passage in the shell: create, edit, re-check, publish, withdraw, discard, sign off.

Every change goes the same way: the entry is changed in its file's text (`bot.editing.files`), the whole
content folder is validated with the change by the loader (`Workspace.try_change`: the same checks and
messages as `make content-check`), the file is written, the change log gets a line, and the folder is loaded
into the content database as `make content` does, so every running bot answers from it at the next message.

A new passage is a draft. Editing a published passage does not touch what patients read: the edit is saved
as a draft `<id>.draft` with `replaces: <id>`, right after the passage in its file; the editors' preview
answers with it in the passage's place, and publishing it copies it over the passage (keeping the id) and
removes the draft. Changing what patients read (text, questions, topic, sources, title) drops a clinical
sign-off from the new version, since the clinician approved the earlier one. `reviewed` moves to today only
when the editor says they re-checked the passage against its sources today.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Collection
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap

from bot.content.loader import PASSAGES_DIR, SOURCES_FILE, TOPICS_FILE
from bot.content.records import ContentBundle
from bot.editing.accounts import Editor
from bot.editing.audit import Action, AuditLog, entry_hash
from bot.editing.files import FileEditError, PassageFile, folded, new_file_text, set_key, to_plain
from bot.editing.forms import (
    CONTENT_KEYS,
    DRAFT_SUFFIX,
    MAX_NEW_ID,
    EditingError,
    PassageForm,
    apply_form,
    content_changes,
    new_entry,
)
from bot.editing.workspace import Located, Workspace

# Loads the folder (read and validated as this bundle) into the content database, as `make content` does;
# returns the HTTP status and the report (`bot.editing.loading.load_content`).
Loader = Callable[[ContentBundle], tuple[int, dict[str, Any]]]
PUBLISHED = "published"
# What the page says a change did, before the change's own note.
DONE = {
    Action.CREATE: "Saved as a new draft",
    Action.EDIT: "Saved",
    Action.RECHECK: "Re-check recorded",
    Action.PUBLISH: "Published",
    Action.WITHDRAW: "Withdrawn",
    Action.DISCARD: "Discarded",
    Action.SIGN_OFF: "Signed off",
}


def _status(entry: dict[str, Any]) -> str:
    return str(entry.get("status", "draft")).strip().lower()


def _set_status(status: str) -> Callable[[CommentedMap], str]:
    def change(entry: CommentedMap) -> str:
        set_key(entry, "status", status)
        return status

    return change


class PassageEditor:
    """Makes editors' changes to the passages of one content folder (see the module docstring)."""

    def __init__(
        self,
        workspace: Workspace,
        audit: AuditLog,
        load: Loader,
        today: Callable[[], dt.date] = dt.date.today,
        safety_ids: Collection[str] = (),
    ) -> None:
        """Creates the editor.

        Args:
            workspace: the content folder and its lock.
            audit: the change log.
            load: loads the folder, as validated with the change, into the content database.
            today: the date `reviewed` and sign-offs get (tests pass a fixed one).
            safety_ids: passages the safety replies use, which the shell never withdraws.
        """
        self.workspace = workspace
        self.audit = audit
        self.load = load
        self.today = today
        self.safety_ids = frozenset(safety_ids)

    # -- reading -----------------------------------------------------------------------------------------

    def current(self, passage_id: str, base_hash: str | None) -> Located:
        """The entry the editor opened, unchanged since; otherwise a 404 or a 409 naming who changed it."""
        located = self.workspace.find(passage_id)
        if located is None:
            raise EditingError(404, f"There is no passage {passage_id!r} (it may have been published or discarded).")
        if base_hash != entry_hash(located.entry):
            last = self.audit.last_change(passage_id)
            by = f" by {last['editor']} at {last['time']}" if last else " in its file"
            raise EditingError(
                409,
                f"{passage_id} was changed{by} after you opened it. Open it again to see that change; "
                "what you typed is still in the form.",
            )
        return located

    # -- changing ----------------------------------------------------------------------------------------

    def _commit(
        self,
        editor: Editor,
        action: Action,
        passage_id: str,
        files: dict[str, PassageFile | str],
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        note: str,
        fields: list[str] | None = None,
    ) -> dict[str, Any]:
        """Validates, writes, logs and loads one change; nothing is written when the loader finds a problem."""
        changes = {name: f if isinstance(f, str) else f.text for name, f in files.items()}
        tried = self.workspace.try_change(changes, self.today())
        if not isinstance(tried, ContentBundle):
            mine = [p for p in tried if p.item in {passage_id, passage_id.removesuffix(DRAFT_SUFFIX)}]
            others = len(tried) - len(mine)
            extra = f" ({others} in other passages or files)" if others else ""
            raise EditingError(422, f"Not saved: the loader found {len(tried)} problem(s){extra}.", tried)
        self.workspace.write(changes)
        logged = self.audit.append(
            editor.name,
            editor.role,
            action,
            passage=passage_id,
            file=next(iter(changes)),
            before=entry_hash(before),
            after=entry_hash(after),
            note=note,
            fields=fields,
        )
        status, report = self.load(tried)
        loaded = status == 200
        return {
            "ok": True,
            "message": f"{DONE.get(action, action.value)}: {note}" + ("" if loaded else " (written, but not loaded)"),
            "passage": passage_id,
            "hash": entry_hash(after),
            "logged": logged,
            "load": report,
        }

    def _file(self, name: str) -> PassageFile:
        try:
            return PassageFile(self.workspace.read(name))
        except FileEditError as exc:
            raise EditingError(409, f"{name} cannot be changed from the shell: {exc}. Edit it by hand.") from exc

    def _replace(self, located: Located, change: Callable[[CommentedMap], str]) -> tuple[PassageFile, dict, str]:
        file = self._file(located.name)
        entry = file.entry(located.index)
        note = change(entry)
        try:
            file.replace(located.index, entry)
        except FileEditError as exc:
            raise EditingError(409, f"{located.name} cannot be changed from the shell: {exc}.") from exc
        return file, to_plain(entry), note

    def save(self, editor: Editor, form: PassageForm) -> dict[str, Any]:
        """Saves a form: a new draft, a draft changed in place, or a pending edit of a published passage."""
        with self.workspace.locked():
            if form.base_hash is None:
                return self._create(editor, form)
            located = self.current(form.id, form.base_hash)
            changed = content_changes(located.entry, form)
            if _status(located.entry) == PUBLISHED and changed:
                return self._pending_edit(editor, form, located, changed)

            fields: list[str] = []

            def change(entry: CommentedMap) -> str:
                fields.extend(apply_form(entry, form, self.today()))
                if not fields:
                    raise EditingError(400, "Nothing to save: the form is the same as the passage.")
                dropped = ""
                if any(f in CONTENT_KEYS for f in fields) and entry.pop("clinical_signoff", None) is not None:
                    dropped = "; the clinical sign-off was removed: it approved the earlier version"
                return "changed " + ", ".join(fields) + dropped

            file, after, note = self._replace(located, change)
            name = located.name
            return self._commit(editor, Action.EDIT, form.id, {name: file}, located.entry, after, note, fields)

    def _create(self, editor: Editor, form: PassageForm) -> dict[str, Any]:
        if not form.id:
            raise EditingError(400, "Give the new passage an id (lower-case words joined by hyphens).")
        if form.id.endswith(DRAFT_SUFFIX) or len(form.id) > MAX_NEW_ID:
            raise EditingError(
                400, f"A new id has at most {MAX_NEW_ID} characters and does not end in {DRAFT_SUFFIX!r}."
            )
        entry = new_entry(form, self.today())
        name = form.file or self._file_for(form.topic)
        if name not in {self.workspace.name_of(p) for p in self.workspace.passage_files()}:
            if form.file is not None:
                raise EditingError(400, f"{form.file} is not one of the passage files.")
            text = new_file_text(f"{form.topic} (started in the editors' shell).", entry)
            files: dict[str, PassageFile | str] = {name: text}
        else:
            file = self._file(name)
            file.insert(len(file.items), entry)
            files = {name: file}
        fields = [key for key in entry if key != "id"]
        note = f"in {name}; patients do not get it until it is published"
        return self._commit(editor, Action.CREATE, form.id, files, None, to_plain(entry), note, fields)

    def _file_for(self, topic: str) -> str:
        """The file holding most passages of the topic, or a new numbered file named after it."""
        counts: dict[str, int] = {}
        for located in self.workspace.entries():
            if str(located.entry.get("topic", "")).strip() == topic:
                counts[located.name] = counts.get(located.name, 0) + 1
        if counts:
            return max(counts, key=lambda name: (counts[name], -list(counts).index(name)))
        numbers = [int(m.group(1)) for p in self.workspace.passage_files() if (m := re.match(r"(\d+)-", p.name))]
        slug = re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-") or "passages"
        return f"{PASSAGES_DIR}/{max(numbers, default=0) + 1:02d}-{slug}.yml"

    def _pending_edit(self, editor: Editor, form: PassageForm, located: Located, changed: list[str]) -> dict[str, Any]:
        pending = form.id + DRAFT_SUFFIX
        if self.workspace.find(pending) is not None:
            raise EditingError(409, f"{form.id} already has a pending edit, {pending}: open that one to change it.")
        if len(pending) > 64:
            raise EditingError(409, f"{form.id} is too long an id to hold a pending edit; edit its file by hand.")
        file = self._file(located.name)
        draft = copy.deepcopy(file.entry(located.index))
        draft["id"] = pending
        set_key(draft, "replaces", form.id)
        set_key(draft, "status", "draft")
        set_key(draft, "clinical_signoff", None)
        fields = apply_form(draft, form, self.today())
        file.insert(located.index + 1, draft)
        note = f"pending edit of {form.id} (changed {', '.join(fields)}); patients still get the published version"
        return self._commit(editor, Action.EDIT, pending, {located.name: file}, None, to_plain(draft), note, fields)

    def publish(self, editor: Editor, passage_id: str, base_hash: str | None) -> dict[str, Any]:
        """Publishes a draft; a pending edit is copied over the passage it replaces, under that passage's id."""
        with self.workspace.locked():
            located = self.current(passage_id, base_hash)
            if _status(located.entry) == PUBLISHED:
                raise EditingError(409, f"{passage_id} is already published.")
            target_id = located.entry.get("replaces")
            if not target_id:
                file, after, _ = self._replace(located, _set_status(PUBLISHED))
                note = "patients get it from their next message"
                return self._commit(
                    editor, Action.PUBLISH, passage_id, {located.name: file}, located.entry, after, note
                )
            target = self.workspace.find(str(target_id))
            if target is None:
                raise EditingError(409, f"{passage_id} replaces {target_id}, which is no longer there.")
            files: dict[str, PassageFile | str] = {}
            target_file = self._file(target.name)
            files[target.name] = target_file
            draft_file = target_file if target.name == located.name else self._file(located.name)
            files[located.name] = draft_file
            draft = draft_file.entry(located.index)
            original = target_file.entry(target.index)
            for key in [k for k in original if k not in draft and k not in ("id", "status")]:
                set_key(original, key, None)
            for key in [k for k in draft if k not in ("id", "replaces", "status")]:
                set_key(original, key, copy.deepcopy(draft[key]))
            set_key(original, "status", PUBLISHED)
            target_file.replace(target.index, original)
            draft_file.remove(located.index)
            after = to_plain(original)
            note = f"the pending edit {passage_id}: patients get the new version from their next message"
            return self._commit(editor, Action.PUBLISH, str(target_id), files, target.entry, after, note)

    def withdraw(self, editor: Editor, passage_id: str, base_hash: str | None) -> dict[str, Any]:
        """Makes a published passage a draft again, so patients no longer get it."""
        with self.workspace.locked():
            located = self.current(passage_id, base_hash)
            if _status(located.entry) != PUBLISHED:
                raise EditingError(409, f"{passage_id} is not published.")
            if passage_id in self.safety_ids:
                raise EditingError(
                    409,
                    f"{passage_id} is a safety passage the emergency replies use: edit it instead of withdrawing it.",
                )
            file, after, _ = self._replace(located, _set_status("draft"))
            note = "patients no longer get it; it is a draft again"
            return self._commit(editor, Action.WITHDRAW, passage_id, {located.name: file}, located.entry, after, note)

    def discard(self, editor: Editor, passage_id: str, base_hash: str | None) -> dict[str, Any]:
        """Deletes a draft from its file (a pending edit's passage stays as it is)."""
        with self.workspace.locked():
            located = self.current(passage_id, base_hash)
            if _status(located.entry) == PUBLISHED:
                raise EditingError(409, f"{passage_id} is published: withdraw it first.")
            file = self._file(located.name)
            file.remove(located.index)
            note = "the draft is gone from its file" + (
                f"; {located.entry['replaces']} stays as it was" if located.entry.get("replaces") else ""
            )
            return self._commit(editor, Action.DISCARD, passage_id, {located.name: file}, located.entry, None, note)

    def recheck(self, editor: Editor, passage_id: str, base_hash: str | None, note: str) -> dict[str, Any]:
        """Records that the editor re-checked the passage against its sources today, and what they checked."""
        note = " ".join(note.split())
        if not note:
            raise EditingError(400, "Say what you checked against which source (it becomes the review note).")
        with self.workspace.locked():
            located = self.current(passage_id, base_hash)
            today = self.today()

            def change(entry: CommentedMap) -> str:
                set_key(entry, "reviewed", today)
                set_key(entry, "review_note", folded(note))
                return f"checked against its sources on {today.isoformat()}: {note}"

            file, after, logged = self._replace(located, change)
            name, fields = located.name, ["reviewed", "review_note"]
            return self._commit(editor, Action.RECHECK, passage_id, {name: file}, located.entry, after, logged, fields)

    def sign_off(
        self, editor: Editor, passage_id: str, base_hash: str | None, note: str, confirmed: bool
    ) -> dict[str, Any]:
        """A clinician's sign-off of this version, under the name and role of their account."""
        if not editor.may_sign_off:
            raise EditingError(403, "Only a clinician's own account can sign off a passage.")
        if not confirmed:
            raise EditingError(400, "Confirm that you have read this version and approve it for patients.")
        note = " ".join(note.split())
        with self.workspace.locked():
            located = self.current(passage_id, base_hash)
            today = self.today()

            def change(entry: CommentedMap) -> str:
                signoff = CommentedMap()
                signoff["by"] = editor.display
                signoff["date"] = today
                if note:
                    signoff["note"] = folded(note)
                set_key(entry, "clinical_signoff", signoff)
                return f"by {editor.display} on {today.isoformat()}" + (f": {note}" if note else "")

            file, after, logged = self._replace(located, change)
            return self._commit(editor, Action.SIGN_OFF, passage_id, {located.name: file}, located.entry, after, logged)

    def catalogue(self) -> dict[str, Any]:
        """What the form offers: topics, sources and passage files, read from the content folder."""

        def read(name: str, key: str) -> list[dict[str, Any]]:
            try:
                data = yaml.safe_load(self.workspace.read(name)) or {}
            except (OSError, yaml.YAMLError):
                return []
            return [i for i in data.get(key) or [] if isinstance(i, dict)]

        return {
            "topics": [{"id": t.get("id"), "title": t.get("title")} for t in read(TOPICS_FILE, "topics")],
            "sources": [
                {"id": s.get("id"), "publisher": s.get("publisher"), "title": s.get("title")}
                for s in read(SOURCES_FILE, "sources")
            ],
            "files": [self.workspace.name_of(p) for p in self.workspace.passage_files()],
            "today": self.today().isoformat(),
        }
