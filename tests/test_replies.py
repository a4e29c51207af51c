"""The reply data (`bot.replies.ReplyData`): what every channel renders from, and the plain text made from it.

The plain text must stay exactly what the bot sent before replies travelled as data (the README's curl
example and the evaluation tools read it), so it is checked against the former rendering, kept here as the
reference, over every kind of reply the service builds (English, Spanish and bilingual) and over random
texts. Data without a disclaimer is refused by the builder, the reader and the text renderer alike.
"""

from __future__ import annotations

import calendar
import dataclasses
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.sending import in_language
from bot.context import Context
from bot.language import CHANNEL, DETECTED, Lang, LanguageState
from bot.replies import (
    DISCLAIMER,
    REPLY_KEY,
    SAFE_FALLBACK,
    SOURCES_HEADING,
    Citation,
    Paragraph,
    Reply,
    ReplyData,
    ReplyKind,
    UnrenderableReply,
    checked,
    render,
    reply_text,
    structure,
)
from bot.safety import RedFlag
from bot.service import BotService
from bot.wording import SPANISH, render_words

SPANISH_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


def former_render(
    reply: Reply, disclaimer: str = DISCLAIMER, sources_heading: str = SOURCES_HEADING, lang: Lang = "en"
) -> str:
    """The text `bot.replies.render` made before replies became data (the reference for the plain text).

    Since #16 point 6 each source says when the answer was reviewed against it, in the reply's language.
    """
    parts = [reply.text.strip()]
    if reply.citations:

        def reviewed(c: Citation) -> str:
            if c.reviewed is None:
                return ""
            if lang == "es":
                return f" (revisado en {SPANISH_MONTHS[c.reviewed.month - 1]} de {c.reviewed.year})"
            return f" (reviewed {calendar.month_name[c.reviewed.month]} {c.reviewed.year})"

        lines = [f"[{c.number}] {c.publisher}: {c.title}{reviewed(c)}. {c.url}" for c in reply.citations]
        parts.append(f"{sources_heading}\n" + "\n".join(lines))
    parts.append(disclaimer or DISCLAIMER)
    return "\n".join(p for p in parts if p)


def every_kind(service: BotService) -> list[Reply]:
    """A reply of each kind the service builds, from the real library."""
    return [
        service.introduction(),
        service.topics_menu(),
        service.unavailable(),
        service.out_of_scope(),
        service.feedback_thanks(True),
        service.feedback_thanks(False),
        service.answer_question("what is baclofen").reply,
        service.answer_question("how long does botox last and does it hurt").reply,
        service.answer_question("what is the capital of peru").reply,
        service.clarify("hmm blorp", Context()).reply,
        service.clarify("hmm blorp", Context(), attempts=1).reply,
        service.emergency("my sons pump is making a two tone alarm", RedFlag("pump-alarm")),
        service.emergency("i want to end my life", RedFlag("suicide-self-harm")),
        service.emergency("my mum took a whole pack of baclofen", RedFlag("overdose")),
        service.refuse_dosing("how much baclofen should i take"),
    ]


LANGUAGES = [
    LanguageState("en", CHANNEL),
    LanguageState("es", CHANNEL),
    LanguageState("es", DETECTED),  # only guessed: an emergency comes in both languages
]


@pytest.mark.parametrize("language", LANGUAGES, ids=["en", "es", "es-guessed"])
def test_the_text_rendered_from_the_data_is_the_text_sent_before(real_service: BotService, language: Any) -> None:
    for english in every_kind(real_service):
        reply, words = in_language(real_service, english, language, "ayuda por favor, mi bomba suena")
        message = render(reply, **words)
        assert message.text == former_render(reply, **words), reply.kind
        assert message.data is not None and reply_text(message.data) == message.text
        assert message.data.disclaimer == words["disclaimer"] and message.data.kind == reply.kind.value


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.text(alphabet=st.sampled_from("ab .[]123\t"), max_size=30), min_size=0, max_size=6),
    cited=st.integers(min_value=0, max_value=3),
)
def test_any_body_keeps_its_text_exactly(lines: list[str], cited: int) -> None:
    citations = tuple(Citation(n, f"S{n}", f"P{n}", f"T{n}", f"https://example.org/{n}") for n in range(1, cited + 1))
    reply = Reply(ReplyKind.ANSWER, "\n".join(lines), citations)
    assert render(reply).text == former_render(reply)


def test_an_answers_paragraphs_carry_their_citation_numbers_and_each_citation_its_review_date(
    real_service: BotService,
) -> None:
    reply = real_service.answer_question("what is baclofen").reply
    data = structure(reply)
    assert data.paragraphs and all(p.citations for p in data.paragraphs)
    assert all("[" not in p.text[-4:] for p in data.paragraphs)  # the markers are data, not text
    assert {n for p in data.paragraphs for n in p.citations} == {c.number for c in data.citations}
    passages = [real_service.bundle.passages[p] for p in reply.passage_ids]
    for citation in data.citations:
        citing = [p.reviewed for p in passages if citation.source_id in p.sources]
        assert citation.reviewed == max(citing)


def test_the_json_is_the_documented_format_and_reads_back(real_service: BotService) -> None:
    data = structure(real_service.answer_question("what is baclofen").reply, **render_words("es"))
    sent = data.as_json()
    assert set(sent) == {
        "format", "kind", "paragraphs", "sources_heading", "citations", "buttons", "disclaimer", "phones",
    }  # fmt: skip
    assert sent["format"] == 1 and sent["kind"] == "answer" and sent["sources_heading"] == "Fuentes:"
    assert sent["disclaimer"] == SPANISH["disclaimer"]
    assert set(sent["citations"][0]) == {"number", "source", "publisher", "title", "url", "reviewed", "reviewed_label"}
    reviewed = date.fromisoformat(sent["citations"][0]["reviewed"])
    assert (
        sent["citations"][0]["reviewed_label"] == f"revisado en {SPANISH_MONTHS[reviewed.month - 1]} de {reviewed.year}"
    )
    assert set(sent["paragraphs"][0]) == {"text", "citations"} and set(sent["buttons"][0]) == {"title", "payload"}
    assert ReplyData.from_json(sent) == data
    assert render(Reply(ReplyKind.MENU, "Hi")).as_kwargs()[REPLY_KEY]["paragraphs"] == [{"text": "Hi", "citations": []}]


@pytest.mark.parametrize("disclaimer", ["", "   ", "\n"])
def test_a_reply_without_its_disclaimer_cannot_be_rendered(disclaimer: str) -> None:
    reply = Reply(ReplyKind.ANSWER, "Baclofen relaxes muscles.")
    with pytest.raises(UnrenderableReply):
        render(reply, disclaimer=disclaimer)
    with pytest.raises(UnrenderableReply):
        structure(reply, disclaimer=disclaimer)
    data = dataclasses.replace(structure(reply), disclaimer=disclaimer)
    with pytest.raises(UnrenderableReply):
        reply_text(data)
    with pytest.raises(UnrenderableReply):
        ReplyData.from_json(data.as_json())


BROKEN: list[Any] = [
    None,
    "text",
    {},
    {**structure(Reply(ReplyKind.ANSWER, "x")).as_json(), "disclaimer": None},
    {k: v for k, v in structure(Reply(ReplyKind.ANSWER, "x")).as_json().items() if k != "disclaimer"},
    {**structure(Reply(ReplyKind.ANSWER, "x")).as_json(), "paragraphs": [{"text": "x", "citations": [3]}]},
    {**structure(Reply(ReplyKind.ANSWER, "x")).as_json(), "citations": [{"number": 1}]},
]


@pytest.mark.parametrize("data", BROKEN)
def test_a_channel_gets_the_safe_fallback_for_data_that_must_not_be_shown(data: Any) -> None:
    with pytest.raises(UnrenderableReply):
        ReplyData.from_json(data)
    assert checked({"text": "whatever the text says", REPLY_KEY: data}) is SAFE_FALLBACK
    assert checked({"text": "Goodbye, and take care."}) is None  # a plain message has no data to check


def test_the_safe_fallback_renders_with_the_disclaimer_and_where_to_get_help() -> None:
    text = reply_text(SAFE_FALLBACK)
    assert text.endswith(DISCLAIMER) and "112" in text and "988" in text
    assert SAFE_FALLBACK.paragraphs == (Paragraph(SAFE_FALLBACK.paragraphs[0].text),)
