"""Reads and validates the curated YAML content into a `ContentBundle`: sources, topics, passages, protocol.

Validation collects every problem before anything is written (`bot.content.fields` reads each field and
reports to the editor; `bot.content.protocol` reads the emergency protocol and checks the passages against it).
Nothing here touches a database: `ContentStore.replace` writes a validated bundle in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot.content.fields import (
    PASSAGES_DIR,
    PROTOCOL_FILE,
    SOURCES_FILE,
    TOPICS_FILE,
    Collector,
    ContentProblem,
    ContentValidationError,
    cited,
    date_field,
    item_id,
    items,
    read_yaml,
    signoff,
    string_list,
    text_field,
)
from bot.content.protocol import check_against_protocol, load_protocol, parse_protocol
from bot.content.records import (
    DEFAULT_REVIEW_MONTHS,
    MAX_REVIEW_MONTHS,
    ContentBundle,
    PassageRecord,
    ProtocolEntry,
    SourceRecord,
    Status,
    TopicRecord,
)
from bot.emergency_numbers import placeholder_problems

# The names other modules import from here.
__all__ = [
    "PASSAGES_DIR",
    "PROTOCOL_FILE",
    "SOURCES_FILE",
    "TOPICS_FILE",
    "ContentProblem",
    "ContentValidationError",
    "load_bundle",
    "load_protocol",
    "passage_files",
    "unofficial_host",
    "valid_url",
]


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
        "guidelinecentral.com", "mairievillerslamontagne.fr", "puregoldmedical.com", "healthofchildren.com",
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


def _parse_sources(data: Any, out: Collector, seen: dict[str, str], today: dt.date) -> dict[str, SourceRecord]:
    sources: dict[str, SourceRecord] = {}
    for index, item in enumerate(items(data, "sources", out), start=1):
        ident = item_id(item, index, seen, out.file, out)
        label = ident or f"item {index}"
        url = text_field(item, "url", label, out)
        if url and not valid_url(url):
            out.add(label, f"malformed URL {url!r}")
        elif url and (why := unofficial_host(url)):
            out.add(label, f"URL {url!r} cannot be cited: {why}")
        record = SourceRecord(
            id=ident,
            publisher=text_field(item, "publisher", label, out),
            title=text_field(item, "title", label, out),
            url=url,
            accessed=date_field(item, "accessed", label, out, today),
            note=text_field(item, "note", label, out, required=False) or None,
        )
        if ident:
            sources[ident] = record
    return sources


def _parse_topics(data: Any, out: Collector, seen: dict[str, str]) -> dict[str, TopicRecord]:
    topics: dict[str, TopicRecord] = {}
    for index, item in enumerate(items(data, "topics", out), start=1):
        ident = item_id(item, index, seen, out.file, out)
        label = ident or f"item {index}"
        section = item.get("section")
        if section is not None and (not isinstance(section, int) or isinstance(section, bool)):
            out.add(label, "'section' must be a whole number")
            section = None
        record = TopicRecord(
            id=ident,
            title=text_field(item, "title", label, out),
            summary=text_field(item, "summary", label, out, required=False),
            section=section,
            main=bool(item.get("main", False)),
            position=index,
        )
        if ident:
            topics[ident] = record
    return topics


def _review_months(item: dict[str, Any], label: str, out: Collector) -> int:
    """The optional `review_every_months`: a whole number of months from 1 to `MAX_REVIEW_MONTHS`."""
    value = item.get("review_every_months")
    if value is None:
        return DEFAULT_REVIEW_MONTHS
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_REVIEW_MONTHS:
        out.add(label, f"'review_every_months' must be a whole number of months from 1 to {MAX_REVIEW_MONTHS}")
        return DEFAULT_REVIEW_MONTHS
    return value


def _check_replacements(passages: list[PassageRecord], files: dict[str, str]) -> list[ContentProblem]:
    """A pending edit (`replaces`) is a draft of another passage that exists, and the only one of it."""
    problems: list[ContentProblem] = []
    by_id = {p.id: p for p in passages}
    edits: dict[str, str] = {}
    for passage in passages:
        target = passage.replaces
        if target is None:
            continue

        def add(problem: str, passage: PassageRecord = passage) -> None:
            problems.append(ContentProblem(files.get(passage.id, PASSAGES_DIR), passage.id, problem))

        if passage.status is not Status.DRAFT:
            add("'replaces' is for a draft (an edit waiting to be published), but this passage is published")
        if target == passage.id:
            add("'replaces' names the passage itself")
        elif target not in by_id:
            add(f"'replaces' names an unknown passage {target!r}")
        elif by_id[target].replaces is not None:
            add(f"'replaces' names {target!r}, which is itself an edit of another passage")
        elif target in edits:
            add(f"{target!r} already has a pending edit ({edits[target]}); publish or discard that one first")
        else:
            edits[target] = passage.id
    return problems


def _parse_passages(
    data: Any,
    out: Collector,
    seen: dict[str, str],
    sources: dict[str, SourceRecord],
    topics: dict[str, TopicRecord],
    today: dt.date,
) -> list[PassageRecord]:
    passages: list[PassageRecord] = []
    for index, item in enumerate(items(data, "passages", out), start=1):
        ident = item_id(item, index, seen, out.file, out)
        label = ident or f"item {index}"
        topic = text_field(item, "topic", label, out)
        if topic and topic not in topics:
            out.add(label, f"unknown topic {topic!r}")
        source_ids = cited(item, label, out, sources, "passage")
        if len(set(source_ids)) != len(source_ids):
            out.add(label, "a source is listed twice")
        status_raw = str(item.get("status", Status.DRAFT.value)).strip().lower()
        try:
            status = Status(status_raw)
        except ValueError:
            out.add(label, f"status must be 'draft' or 'published', got {status_raw!r}")
            status = Status.DRAFT
        questions = string_list(item, "questions", label, out)
        if not questions:
            out.add(label, "missing 'questions': list the lay questions this passage answers")
        record = PassageRecord(
            id=ident,
            topic=topic,
            title=text_field(item, "title", label, out),
            text=text_field(item, "text", label, out),
            questions=questions,
            sources=source_ids,
            reviewed=date_field(item, "reviewed", label, out, today),
            status=status,
            review_note=text_field(item, "review_note", label, out, required=False) or None,
            clinical_signoff=signoff(item, label, out, today),
            review_every_months=_review_months(item, label, out),
            replaces=text_field(item, "replaces", label, out, required=False) or None,
        )
        for problem in placeholder_problems(record.text):
            out.add(label, f"'text' has {problem}")
        if ident:
            passages.append(record)
    return passages


def _check_placeholders(protocol: dict[str, ProtocolEntry], out: Collector) -> None:
    """The protocol's steps, like passages, name the numbers only through known placeholders."""
    for flag, entry in protocol.items():
        for key, steps in (("immediate", entry.immediate), ("immediate_es", entry.immediate_es)):
            for number, step in enumerate(steps, start=1):
                for problem in placeholder_problems(step):
                    out.add(flag, f"'{key}' step {number} has {problem}")


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

    def collector(path: Path) -> Collector:
        return Collector(str(path.relative_to(content_dir)), problems)

    source_seen: dict[str, str] = {}
    topic_seen: dict[str, str] = {}
    passage_seen: dict[str, str] = {}
    sources_path = content_dir / SOURCES_FILE
    topics_path = content_dir / TOPICS_FILE
    sources = _parse_sources(
        read_yaml(sources_path, content_dir, problems), collector(sources_path), source_seen, today
    )
    topics = _parse_topics(read_yaml(topics_path, content_dir, problems), collector(topics_path), topic_seen)
    passages: list[PassageRecord] = []
    files = passage_files(content_dir)
    if not files:
        problems.append(ContentProblem(PASSAGES_DIR, "(folder)", "no passage files (*.yml) found"))
    for path in files:
        passages.extend(
            _parse_passages(
                read_yaml(path, content_dir, problems),
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
        protocol = parse_protocol(
            read_yaml(protocol_path, content_dir, problems), collector(protocol_path), sources, today
        )
        _check_placeholders(protocol, collector(protocol_path))
    problems.extend(check_against_protocol(protocol, passages, passage_seen))
    problems.extend(_check_replacements(passages, passage_seen))
    if problems:
        raise ContentValidationError(problems)
    # Positions keep the files' order through a database round trip.
    ordered = {p.id: replace(p, position=i) for i, p in enumerate(passages)}
    return ContentBundle(sources=sources, topics=topics, passages=ordered)
