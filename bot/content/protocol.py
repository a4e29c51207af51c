"""The emergency protocol: reading `emergency_protocol.yml`, and checking the published passages against it.

The protocol has one entry for every red flag of the safety net: the signs people notice, the immediate steps
(in English and Spanish), whom to call and how fast. A passage that describes one of these emergencies must not
play a sign down, must send people for help at least as fast as the protocol does and must name its immediate
steps; a passage that gives an emergency number gives all three (US, UK, EU).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from bot.content.fields import (
    PASSAGES_DIR,
    PROTOCOL_FILE,
    Collector,
    ContentProblem,
    ContentValidationError,
    cited,
    date_field,
    items,
    read_yaml,
    signoff,
    string_list,
    text_field,
)
from bot.content.records import PassageRecord, ProtocolEntry, SourceRecord, Urgency
from bot.emergency_numbers import DEFAULT as DEFAULT_NUMBERS
from bot.safety.dosing import states_dose
from bot.safety.red_flags import RedFlag
from bot.text import LOWER_SPACED, LOWERED, normalise


def _regexes(item: dict[str, Any], key: str, label: str, out: Collector) -> tuple[str, ...]:
    valid: list[str] = []
    for pattern in string_list(item, key, label, out):
        try:
            re.compile(pattern)
        except re.error as exc:
            out.add(label, f"'{key}' has an invalid regular expression {pattern!r} ({exc})")
        else:
            valid.append(pattern.lower())
    return tuple(valid)


def _groups(item: dict[str, Any], key: str, label: str, out: Collector) -> tuple[tuple[str, ...], ...]:
    value = item.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(group, list) and group for group in value):
        out.add(label, f"'{key}' must be a list of lists of alternatives")
        return ()
    return tuple(tuple(normalise(str(word), LOWER_SPACED) for word in group) for group in value)


def _steps(item: dict[str, Any], key: str, label: str, out: Collector) -> tuple[str, ...]:
    """A protocol list people read (`signs`, `immediate`, `immediate_es`); each entry must be plain text.

    An unquoted entry with ": " in it is a mapping to YAML, and would be shown to people as `{'...': '...'}`.
    """
    value = item.get(key)
    for number, entry in enumerate(value if isinstance(value, list) else [], start=1):
        if isinstance(entry, (dict, list)):
            out.add(label, f"'{key}' entry {number} is not plain text: put an entry that has ': ' in it in quotes")
    return string_list(item, key, label, out)


def _spanish_steps(item: dict[str, Any], label: str, out: Collector, immediate: tuple[str, ...]) -> tuple[str, ...]:
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


def parse_protocol(
    data: Any, out: Collector, sources: dict[str, SourceRecord], today: dt.date
) -> dict[str, ProtocolEntry]:
    """Reads the emergency protocol: one entry for every red flag of the safety net, each sourced and reviewed.

    A red flag without an entry would leave the safety reply without its immediate steps, so a missing flag
    is an error, as is an entry for a flag the safety net does not know (a typo would never be used).
    """
    entries: dict[str, ProtocolEntry] = {}
    known = {flag.value for flag in RedFlag}
    for index, item in enumerate(items(data, "protocol", out), start=1):
        flag = text_field(item, "flag", f"item {index}", out)
        label = flag or f"item {index}"
        if flag and flag not in known:
            out.add(label, f"unknown red flag {flag!r} (known: {', '.join(sorted(known))})")
        if flag in entries:
            out.add(label, "duplicate flag")
        urgency_raw = text_field(item, "urgency", label, out)
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
        source_ids = cited(item, label, out, sources, "protocol entry")
        context = text_field(item, "context", label, out, required=False) or None
        if context:
            try:
                re.compile(context)
            except re.error as exc:
                out.add(label, f"'context' is an invalid regular expression ({exc})")
                context = None
        entry = ProtocolEntry(
            flag=flag,
            title=text_field(item, "title", label, out),
            urgency=urgency,
            signs=signs,
            immediate=immediate,
            immediate_es=immediate_es,
            call=text_field(item, "call", label, out),
            sources=source_ids,
            reviewed=date_field(item, "reviewed", label, out, today),
            mentions=_regexes(item, "mentions", label, out),
            context=context.lower() if context else None,
            must_say=_groups(item, "must_say", label, out),
            review_note=text_field(item, "review_note", label, out, required=False) or None,
            clinical_signoff=signoff(item, label, out, today),
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

    The passage is read as patients read it by default, its placeholders filled with the default numbers
    (`bot.emergency_numbers`). Only published passages are held to it (see `check_against_protocol`). The
    route is the fastest one the passage names anywhere; the downplaying test is per sentence, so "a single
    beep is not an emergency, but a two-tone alarm is urgent" in two sentences is fine, while "the two-tone
    alarm is not an emergency" is not.
    """
    problems: list[str] = []
    text = DEFAULT_NUMBERS.fill(passage.text)  # as patients read it, numbers and all (`{emergency_numbers}`)
    for entry in protocol.values():
        if not describes(entry, text):
            continue
        for sentence in SENTENCE_END.split(normalise(text, LOWERED)):
            if DOWNPLAY.search(sentence) and any(re.search(p, sentence) for p in entry.mentions):
                problems.append(f"calls a sign of '{entry.flag}' not urgent: {sentence!r}")
        route = passage_route(text)
        if route is None or route.rank < entry.urgency.rank:
            named = route.value if route else "no route at all"
            problems.append(
                f"describes '{entry.flag}' but its fastest route is {named}; the protocol says {entry.urgency.value}"
                f" ({entry.call})"
            )
        plain = normalise(text, LOWERED)
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
        numbers = number_problems(DEFAULT_NUMBERS.fill(passage.text))
        for problem in [*protocol_problems(protocol, passage), *numbers]:
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
    entries = parse_protocol(
        read_yaml(path, content_dir, problems), Collector(PROTOCOL_FILE, problems), sources, today or dt.date.today()
    )
    if problems:
        raise ContentValidationError(problems)
    return entries
