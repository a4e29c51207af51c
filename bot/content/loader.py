"""Reads and validates the curated YAML content into a `ContentBundle`.

Validation collects every problem before anything is written, and each problem names the file, the item and
what is wrong, because the people fixing it are content editors, not developers. Nothing here touches a
database: `ContentStore.replace` writes a validated bundle in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from bot.content.records import (
    ClinicalSignoff,
    ContentBundle,
    PassageRecord,
    ProtocolEntry,
    SourceRecord,
    Status,
    TopicRecord,
    Urgency,
)
from bot.safety.dosing import states_dose
from bot.safety.red_flags import RedFlag
from bot.text import LOWER_SPACED, LOWERED, SPACED, normalise

SOURCES_FILE = "sources.yml"
TOPICS_FILE = "topics.yml"
PASSAGES_DIR = "passages"
PROTOCOL_FILE = "emergency_protocol.yml"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SIGNOFF_KEYS = frozenset({"by", "date", "note"})
# Words that stand in for a name: a sign-off must name the clinician who gave it, or be left out.
PLACEHOLDER_NAMES = frozenset({"tbd", "todo", "pending", "n/a", "na", "none", "unknown", "writers", "the writers"})


@dataclass(frozen=True)
class ContentProblem:
    """One validation problem, located precisely enough for an editor to fix it."""

    file: str
    item: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: {self.problem}"


class ContentValidationError(Exception):
    """Raised when the content files are not valid; carries every problem found."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the content files:\n{lines}")


class _Collector:
    """Accumulates problems for one file."""

    def __init__(self, file: str, problems: list[ContentProblem]) -> None:
        self.file = file
        self.problems = problems

    def add(self, item: str, problem: str) -> None:
        self.problems.append(ContentProblem(self.file, item, problem))


class _Within(_Collector):
    """Reports problems of a nested mapping against its parent item, naming the field they are in."""

    def __init__(self, parent: _Collector, key: str) -> None:
        super().__init__(parent.file, parent.problems)
        self.key = key

    def add(self, item: str, problem: str) -> None:
        super().add(item, f"'{self.key}': {problem}")


def _read_yaml(path: Path, root: Path, problems: list[ContentProblem]) -> Any:
    name = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        problems.append(ContentProblem(name, "(file)", "file is missing"))
    except UnicodeDecodeError as exc:
        problems.append(ContentProblem(name, "(file)", f"not valid UTF-8 text ({exc.reason})"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(ContentProblem(name, where, f"invalid YAML: {reason}"))
    return None


def _items(data: Any, key: str, out: _Collector) -> list[dict[str, Any]]:
    """Returns the list under `key`, reporting a wrong shape instead of crashing."""
    if data is None:
        out.add("(file)", f"file is empty; expected a top-level '{key}:' list")
        return []
    if not isinstance(data, dict) or key not in data:
        out.add("(file)", f"expected a top-level '{key}:' list")
        return []
    items = data[key]
    if items is None:
        return []
    if not isinstance(items, list):
        out.add(key, "must be a list")
        return []
    good: list[dict[str, Any]] = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, dict):
            good.append(item)
        else:
            out.add(f"item {index}", "must be a mapping with an 'id'")
    return good


def _text(item: dict[str, Any], key: str, label: str, out: _Collector, required: bool = True) -> str:
    value = item.get(key)
    if value is None:
        if required:
            out.add(label, f"missing '{key}'")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        out.add(label, f"'{key}' must be text")
        return ""
    text = normalise(str(value), SPACED)
    if required and not text:
        out.add(label, f"empty '{key}'")
    return text


def _date(item: dict[str, Any], key: str, label: str, out: _Collector, today: dt.date) -> dt.date:
    value = item.get(key)
    if value is None:
        out.add(label, f"missing '{key}' date")
        return today
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            out.add(label, f"'{key}' must be a date written YYYY-MM-DD, got {value!r}")
            return today
    if not isinstance(value, dt.date):
        out.add(label, f"'{key}' must be a date written YYYY-MM-DD")
        return today
    if value > today:
        out.add(label, f"'{key}' date {value.isoformat()} is in the future")
    return value


def _id(item: dict[str, Any], index: int, seen: dict[str, str], file: str, out: _Collector) -> str:
    raw = item.get("id")
    if raw is None or not str(raw).strip():
        out.add(f"item {index}", "missing 'id'")
        return ""
    ident = str(raw).strip()
    if not ID_PATTERN.match(ident):
        out.add(ident, "id may hold only letters, digits, '.', '_' and '-' (at most 64)")
    if ident in seen:
        out.add(ident, f"duplicate id (first defined in {seen[ident]})")
        return ""
    seen[ident] = file
    return ident


def valid_url(url: str) -> bool:
    """Whether `url` is an absolute http(s) address with a host name."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    return parsed.scheme in {"http", "https"} and "." in host and " " not in url


# A source must be the publisher's own public page. A development, staging or test copy of a site changes or
# vanishes without notice, and a copy, document-sharing or shop site is not the publisher: a clinician cannot
# tell whether its text is the current official one (see the clinical audit, "weak or mismatched sources").
NON_PUBLIC_HOST_LABEL = re.compile(r"^(?:dev|develop|development|staging|stage|stg|uat|sit|qa|test|preprod|beta)\d*$")
NON_PUBLIC_HOST_PART = re.compile(r"(?:^|[-.])(?:dev|staging|stg|uat|preprod)(?:[-.]|\d|$)")
COPY_HOSTS = frozenset(
    {
        "vdocuments.mx", "vdocuments.net", "studylib.net", "scribd.com", "yumpu.com", "docplayer.net",
        "pdfcoffee.com", "dokumen.pub", "dokumen.tips", "slideshare.net", "coursehero.com", "documents.pub",
        "fdocuments.in", "blackboxrx.com", "pharmacologicalsciences.us", "pocketpills.com", "reference.com",
        "guidelinecentral.com", "mairievillerslamontagne.fr", "puregoldmedical.com",
    }
)  # fmt: skip


def unofficial_host(url: str) -> str | None:
    """Why `url` cannot be cited (a development or staging host, a copy or shop site), or None."""
    host = (urlparse(url).hostname or "").lower()
    labels = host.split(".")
    registered = ".".join(labels[-2:])
    if host in COPY_HOSTS or registered in COPY_HOSTS:
        return f"{registered} copies other publishers' documents or sells medicines; cite the publisher's own page"
    if any(NON_PUBLIC_HOST_LABEL.match(label) for label in labels[:-2]) or any(
        NON_PUBLIC_HOST_PART.search(label) for label in labels[:-1]
    ):
        return f"{host} is a development, staging or test server; cite the public site"
    return None


def _strings(item: dict[str, Any], key: str, label: str, out: _Collector) -> tuple[str, ...]:
    value = item.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        out.add(label, f"'{key}' must be a list")
        return ()
    result: list[str] = []
    for entry in value:
        text = normalise(str(entry), SPACED) if entry is not None else ""
        if not text:
            out.add(label, f"'{key}' has an empty entry")
        else:
            result.append(text)
    return tuple(result)


def _cited(item: dict[str, Any], label: str, out: _Collector, sources: Mapping[str, Any], what: str) -> tuple[str, ...]:
    """The source ids an item cites; each must be known, and every passage or protocol entry cites one at least."""
    source_ids = _strings(item, "sources", label, out)
    if not source_ids:
        out.add(label, f"missing source: every {what} names at least one source")
    for source_id in source_ids:
        if source_id not in sources:
            out.add(label, f"unknown source {source_id!r}")
    return source_ids


def _parse_sources(data: Any, out: _Collector, seen: dict[str, str], today: dt.date) -> dict[str, SourceRecord]:
    sources: dict[str, SourceRecord] = {}
    for index, item in enumerate(_items(data, "sources", out), start=1):
        ident = _id(item, index, seen, out.file, out)
        label = ident or f"item {index}"
        url = _text(item, "url", label, out)
        if url and not valid_url(url):
            out.add(label, f"malformed URL {url!r}")
        elif url and (why := unofficial_host(url)):
            out.add(label, f"URL {url!r} cannot be cited: {why}")
        record = SourceRecord(
            id=ident,
            publisher=_text(item, "publisher", label, out),
            title=_text(item, "title", label, out),
            url=url,
            accessed=_date(item, "accessed", label, out, today),
            note=_text(item, "note", label, out, required=False) or None,
        )
        if ident:
            sources[ident] = record
    return sources


def _parse_topics(data: Any, out: _Collector, seen: dict[str, str]) -> dict[str, TopicRecord]:
    topics: dict[str, TopicRecord] = {}
    for index, item in enumerate(_items(data, "topics", out), start=1):
        ident = _id(item, index, seen, out.file, out)
        label = ident or f"item {index}"
        section = item.get("section")
        if section is not None and (not isinstance(section, int) or isinstance(section, bool)):
            out.add(label, "'section' must be a whole number")
            section = None
        record = TopicRecord(
            id=ident,
            title=_text(item, "title", label, out),
            summary=_text(item, "summary", label, out, required=False),
            section=section,
            main=bool(item.get("main", False)),
            position=index,
        )
        if ident:
            topics[ident] = record
    return topics


def _signoff(item: dict[str, Any], label: str, out: _Collector, today: dt.date) -> ClinicalSignoff | None:
    """Reads the optional `clinical_signoff`; a present but incomplete one is an error, never silently dropped.

    A sign-off claims that a named clinician approved the passage, so a blank or placeholder name, a missing
    or future date, or an unknown key (a typo such as `dated:`) would make that claim unverifiable.
    """
    value = item.get("clinical_signoff")
    if value is None:
        return None
    if not isinstance(value, dict):
        out.add(label, "'clinical_signoff' must be a mapping with 'by', 'date' and optional 'note'")
        return None
    within = _Within(out, "clinical_signoff")
    for key in sorted(set(map(str, value)) - SIGNOFF_KEYS):
        within.add(label, f"unknown key {key!r} (allowed: by, date, note)")
    by = _text(value, "by", label, within)
    if by and (by.lower().strip(" .") in PLACEHOLDER_NAMES or len(by.split()) < 2):
        within.add(label, f"'by' must name the clinician (name and role), got {by!r}")
    return ClinicalSignoff(
        by=by,
        date=_date(value, "date", label, within, today),
        note=_text(value, "note", label, within, required=False) or None,
    )


def _parse_passages(
    data: Any,
    out: _Collector,
    seen: dict[str, str],
    sources: dict[str, SourceRecord],
    topics: dict[str, TopicRecord],
    today: dt.date,
) -> list[PassageRecord]:
    passages: list[PassageRecord] = []
    for index, item in enumerate(_items(data, "passages", out), start=1):
        ident = _id(item, index, seen, out.file, out)
        label = ident or f"item {index}"
        topic = _text(item, "topic", label, out)
        if topic and topic not in topics:
            out.add(label, f"unknown topic {topic!r}")
        source_ids = _cited(item, label, out, sources, "passage")
        if len(set(source_ids)) != len(source_ids):
            out.add(label, "a source is listed twice")
        status_raw = str(item.get("status", Status.DRAFT.value)).strip().lower()
        try:
            status = Status(status_raw)
        except ValueError:
            out.add(label, f"status must be 'draft' or 'published', got {status_raw!r}")
            status = Status.DRAFT
        questions = _strings(item, "questions", label, out)
        if not questions:
            out.add(label, "missing 'questions': list the lay questions this passage answers")
        record = PassageRecord(
            id=ident,
            topic=topic,
            title=_text(item, "title", label, out),
            text=_text(item, "text", label, out),
            questions=questions,
            sources=source_ids,
            reviewed=_date(item, "reviewed", label, out, today),
            status=status,
            review_note=_text(item, "review_note", label, out, required=False) or None,
            clinical_signoff=_signoff(item, label, out, today),
        )
        if ident:
            passages.append(record)
    return passages


def _regexes(item: dict[str, Any], key: str, label: str, out: _Collector) -> tuple[str, ...]:
    valid: list[str] = []
    for pattern in _strings(item, key, label, out):
        try:
            re.compile(pattern)
        except re.error as exc:
            out.add(label, f"'{key}' has an invalid regular expression {pattern!r} ({exc})")
        else:
            valid.append(pattern.lower())
    return tuple(valid)


def _groups(item: dict[str, Any], key: str, label: str, out: _Collector) -> tuple[tuple[str, ...], ...]:
    value = item.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(group, list) and group for group in value):
        out.add(label, f"'{key}' must be a list of lists of alternatives")
        return ()
    return tuple(tuple(normalise(str(word), LOWER_SPACED) for word in group) for group in value)


def _steps(item: dict[str, Any], key: str, label: str, out: _Collector) -> tuple[str, ...]:
    """A protocol list people read (`signs`, `immediate`, `immediate_es`); each entry must be plain text.

    An unquoted entry with ": " in it is a mapping to YAML, and would be shown to people as `{'...': '...'}`.
    """
    value = item.get(key)
    for number, entry in enumerate(value if isinstance(value, list) else [], start=1):
        if isinstance(entry, (dict, list)):
            out.add(label, f"'{key}' entry {number} is not plain text: put an entry that has ': ' in it in quotes")
    return _strings(item, key, label, out)


def _spanish_steps(item: dict[str, Any], label: str, out: _Collector, immediate: tuple[str, ...]) -> tuple[str, ...]:
    """`immediate_es`: the immediate steps in Spanish, one for each English step, and, like them, no dose."""
    steps = _steps(item, "immediate_es", label, out)
    if not steps:
        out.add(label, "missing 'immediate_es': list the immediate steps in Spanish, one for each English step")
    elif immediate and len(steps) != len(immediate):
        out.add(
            label,
            f"'immediate_es' has {len(steps)} steps but 'immediate' has {len(immediate)}: write one Spanish step "
            "for each English step, in the same order",
        )
    for key, written in (("immediate", immediate), ("immediate_es", steps)):
        for number, step in enumerate(written, start=1):
            if states_dose(step):
                out.add(label, f"'{key}' step {number} states a dose amount: the protocol never gives a dose")
    return steps


def _parse_protocol(
    data: Any, out: _Collector, sources: dict[str, SourceRecord], today: dt.date
) -> dict[str, ProtocolEntry]:
    """Reads the emergency protocol: one entry for every red flag of the safety net, each sourced and reviewed.

    A red flag without an entry would leave the safety reply without its immediate steps, so a missing flag
    is an error, as is an entry for a flag the safety net does not know (a typo would never be used).
    """
    entries: dict[str, ProtocolEntry] = {}
    known = {flag.value for flag in RedFlag}
    for index, item in enumerate(_items(data, "protocol", out), start=1):
        flag = _text(item, "flag", f"item {index}", out)
        label = flag or f"item {index}"
        if flag and flag not in known:
            out.add(label, f"unknown red flag {flag!r} (known: {', '.join(sorted(known))})")
        if flag in entries:
            out.add(label, "duplicate flag")
        urgency_raw = _text(item, "urgency", label, out)
        try:
            urgency = Urgency(urgency_raw)
        except ValueError:
            allowed = ", ".join(u.value for u in Urgency)
            if urgency_raw:
                out.add(label, f"urgency must be one of {allowed}, got {urgency_raw!r}")
            urgency = Urgency.EMERGENCY
        signs = _steps(item, "signs", label, out)
        immediate = _steps(item, "immediate", label, out)
        if not signs:
            out.add(label, "missing 'signs': list what people notice")
        if not immediate:
            out.add(label, "missing 'immediate': list what to do now")
        immediate_es = _spanish_steps(item, label, out, immediate)
        source_ids = _cited(item, label, out, sources, "protocol entry")
        context = _text(item, "context", label, out, required=False) or None
        if context:
            try:
                re.compile(context)
            except re.error as exc:
                out.add(label, f"'context' is an invalid regular expression ({exc})")
                context = None
        entry = ProtocolEntry(
            flag=flag,
            title=_text(item, "title", label, out),
            urgency=urgency,
            signs=signs,
            immediate=immediate,
            immediate_es=immediate_es,
            call=_text(item, "call", label, out),
            sources=source_ids,
            reviewed=_date(item, "reviewed", label, out, today),
            mentions=_regexes(item, "mentions", label, out),
            context=context.lower() if context else None,
            must_say=_groups(item, "must_say", label, out),
            review_note=_text(item, "review_note", label, out, required=False) or None,
            clinical_signoff=_signoff(item, label, out, today),
        )
        if flag and flag not in entries:
            entries[flag] = entry
    for missing in sorted(known - set(entries)):
        if data is not None:
            out.add(missing, "red flag has no protocol entry: add its signs, immediate steps, whom to call")
    return entries


# A sentence that plays a danger down. It must never share a sentence with a sign of the protocol.
DOWNPLAY = re.compile(
    r"\bnot (?:usually |yet |always |normally |really )?(?:an? )?(?:[\w,]+ ){0,6}?(?:emergenc(?:y|ies)|urgent)\b"
    r"|\bnothing to worry about\b|\bno need to (?:worry|call|rush|hurry|panic)\b|\bcan wait\b"
)
# How fast a passage sends people for help, fastest first; a passage's route is the fastest it names.
ROUTES: tuple[tuple[Urgency, re.Pattern[str]], ...] = (
    (
        Urgency.EMERGENCY,
        re.compile(r"\b(?:911|999|112)\b|emergency services|emergency department|\bambulance\b|\ba&e\b"),
    ),
    (
        Urgency.URGENT,
        re.compile(r"\b(?:now|straight away|at once|immediately|right away|without delay|urgent(?:ly)?)\b"),
    ),
    (Urgency.SAME_DAY, re.compile(r"\bsame day\b|\btoday\b|\bnhs 111\b|\bwithin 24 hours\b")),
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def passage_route(text: str) -> Urgency | None:
    """The fastest route to help a text names (None when it names no route at all).

    Sentences that play a danger down do not count: "they are not usually 911 or 999 emergencies" names
    the numbers only to say they are not needed.
    """
    plain = " ".join(s for s in SENTENCE_END.split(normalise(text, LOWERED)) if not DOWNPLAY.search(s))
    for urgency, pattern in ROUTES:
        if pattern.search(plain):
            return urgency
    return None


def describes(entry: ProtocolEntry, text: str) -> bool:
    """Whether a text describes the protocol's emergency: one of its `mentions`, in its `context` if any."""
    plain = normalise(text, LOWERED)
    if entry.context and not re.search(entry.context, plain):
        return False
    return any(re.search(pattern, plain) for pattern in entry.mentions)


def protocol_problems(protocol: dict[str, ProtocolEntry], passage: PassageRecord) -> list[str]:
    """What a passage gets wrong against the protocol: a sign played down, a slower route, missing steps.

    Only published passages are held to it (see `check_against_protocol`). The route is the fastest one the
    passage names anywhere; the downplaying test is per sentence, so "a single beep is not an emergency,
    but a two-tone alarm is urgent" in two sentences is fine, while "the two-tone alarm is not an emergency"
    is not.
    """
    problems: list[str] = []
    for entry in protocol.values():
        if not describes(entry, passage.text):
            continue
        for sentence in SENTENCE_END.split(normalise(passage.text, LOWERED)):
            if DOWNPLAY.search(sentence) and any(re.search(p, sentence) for p in entry.mentions):
                problems.append(f"calls a sign of '{entry.flag}' not urgent: {sentence!r}")
        route = passage_route(passage.text)
        if route is None or route.rank < entry.urgency.rank:
            named = route.value if route else "no route at all"
            problems.append(
                f"describes '{entry.flag}' but its fastest route is {named}; the protocol says {entry.urgency.value}"
                f" ({entry.call})"
            )
        plain = normalise(passage.text, LOWERED)
        for group in entry.must_say:
            if not any(word in plain for word in group):
                problems.append(f"describes '{entry.flag}' but leaves out an immediate step: say one of {list(group)}")
    return problems


EMERGENCY_NUMBERS = ("911", "999", "112")


def number_problems(text: str) -> list[str]:
    """A passage that gives an emergency number gives all three (US, UK, EU), the same way the bot does.

    112 alone is allowed: it is also the EU's answer among the crisis lines (988, Samaritans 116 123, 112).
    """
    given = [n for n in EMERGENCY_NUMBERS if re.search(rf"\b{n}\b", text)]
    if given and given != ["112"] and len(given) < len(EMERGENCY_NUMBERS):
        missing = ", ".join(n for n in EMERGENCY_NUMBERS if n not in given)
        return [f"gives {', '.join(given)} but not {missing}: give 911 (US), 999 (UK) and 112 (EU) together"]
    return []


def check_against_protocol(
    protocol: dict[str, ProtocolEntry], passages: list[PassageRecord], files: dict[str, str] | None = None
) -> list[ContentProblem]:
    """Every way the published passages disagree with the emergency protocol, located for the editor.

    Also checks that emergency numbers are given together (`number_problems`), which needs no protocol.
    """
    files = files or {}
    found: list[ContentProblem] = []
    for passage in passages:
        if not passage.published:
            continue
        for problem in [*protocol_problems(protocol, passage), *number_problems(passage.text)]:
            found.append(ContentProblem(files.get(passage.id, PASSAGES_DIR), passage.id, problem))
    return found


def load_protocol(
    content_dir: Path, sources: dict[str, SourceRecord], today: dt.date | None = None
) -> dict[str, ProtocolEntry]:
    """Reads and validates `emergency_protocol.yml` alone (the service reads it next to the terminology).

    Raises:
        ContentValidationError: when the file is missing or invalid.
    """
    problems: list[ContentProblem] = []
    path = content_dir / PROTOCOL_FILE
    entries = _parse_protocol(
        _read_yaml(path, content_dir, problems), _Collector(PROTOCOL_FILE, problems), sources, today or dt.date.today()
    )
    if problems:
        raise ContentValidationError(problems)
    return entries


def passage_files(content_dir: Path) -> list[Path]:
    """The passage files in load order (sorted by name)."""
    folder = content_dir / PASSAGES_DIR
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def load_bundle(content_dir: Path, today: dt.date | None = None) -> ContentBundle:
    """Reads and validates every content file under `content_dir`.

    Args:
        content_dir: the folder holding `sources.yml`, `topics.yml` and `passages/`.
        today: the date review dates are checked against (tests pass a fixed one).

    Returns:
        The validated bundle.

    Raises:
        ContentValidationError: with every problem found, when any file is invalid.
    """
    today = today or dt.date.today()
    problems: list[ContentProblem] = []
    if not content_dir.is_dir():
        raise ContentValidationError([ContentProblem(str(content_dir), "(folder)", "content folder not found")])

    def collector(path: Path) -> _Collector:
        return _Collector(str(path.relative_to(content_dir)), problems)

    source_seen: dict[str, str] = {}
    topic_seen: dict[str, str] = {}
    passage_seen: dict[str, str] = {}
    sources_path = content_dir / SOURCES_FILE
    topics_path = content_dir / TOPICS_FILE
    sources = _parse_sources(
        _read_yaml(sources_path, content_dir, problems), collector(sources_path), source_seen, today
    )
    topics = _parse_topics(_read_yaml(topics_path, content_dir, problems), collector(topics_path), topic_seen)
    passages: list[PassageRecord] = []
    files = passage_files(content_dir)
    if not files:
        problems.append(ContentProblem(PASSAGES_DIR, "(folder)", "no passage files (*.yml) found"))
    for path in files:
        passages.extend(
            _parse_passages(
                _read_yaml(path, content_dir, problems),
                collector(path),
                passage_seen,
                sources,
                topics,
                today,
            )
        )
    protocol_path = content_dir / PROTOCOL_FILE
    protocol: dict[str, ProtocolEntry] = {}
    if protocol_path.is_file():
        protocol = _parse_protocol(
            _read_yaml(protocol_path, content_dir, problems), collector(protocol_path), sources, today
        )
    problems.extend(check_against_protocol(protocol, passages, passage_seen))
    if problems:
        raise ContentValidationError(problems)
    # Positions keep the files' order through a database round trip.
    ordered = {p.id: replace(p, position=i) for i, p in enumerate(passages)}
    return ContentBundle(sources=sources, topics=topics, passages=ordered)
