"""Answers show when they were reviewed, beside their sources, on every channel (#16 point 6).

A citation's `reviewed` date (the latest review of the reply's passages that cite the source) travels in the
reply data with its words in the reply's language ("reviewed March 2027", "revisado en marzo de 2027"), and
every renderer shows them beside the source: the plain text of REST and `make shell`, Telegram's HTML, the
website widget and the editors' shell (the last two in Node here, the widget in Chromium in
tests/test_widget_numbers.py).
"""

from __future__ import annotations

import html
from datetime import date

import pytest

from bot.channels.telegram_format import format_reply
from bot.language import Lang
from bot.replies import Citation, Reply, ReplyData, ReplyKind, render, reply_text, structure
from bot.service import BotService
from bot.wording import render_words, reviewed_on
from tests.test_reply_renderers import rendered

CITATIONS = (
    Citation(1, "NHS-BAC", "NHS", "Baclofen", "https://www.nhs.uk/medicines/baclofen/", date(2027, 3, 14)),
    Citation(2, "NINDS-SP", "NINDS", "Spasticity", "https://www.ninds.nih.gov/spasticity", date(2026, 12, 1)),
    Citation(3, "OLD", "Old", "No date", "https://example.org/old"),
)
WORDS = {
    "en": ("(reviewed March 2027)", "(reviewed December 2026)"),
    "es": ("(revisado en marzo de 2027)", "(revisado en diciembre de 2026)"),
}


def data(lang: Lang) -> ReplyData:
    return structure(
        Reply(ReplyKind.ANSWER, "Baclofen relaxes stiff muscles. [1][2][3]", CITATIONS), **render_words(lang)
    )


@pytest.mark.parametrize(
    ("day", "lang", "words"),
    [
        (date(2027, 3, 1), "en", "reviewed March 2027"),
        (date(2026, 12, 31), "en", "reviewed December 2026"),
        (date(2027, 3, 1), "es", "revisado en marzo de 2027"),
        (date(2026, 1, 5), "es", "revisado en enero de 2026"),
    ],
)
def test_a_review_date_is_worded_as_month_and_year_in_the_replys_language(day: date, lang: Lang, words: str) -> None:
    assert reviewed_on(day, lang) == words


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_data_carries_the_words_and_reads_them_back(lang: Lang) -> None:
    reply = data(lang)
    sent = reply.as_json()
    assert [c["reviewed_label"] for c in sent["citations"]] == [w.strip("()") for w in WORDS[lang]] + [None]
    assert ReplyData.from_json(sent) == reply


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_plain_text_gives_each_source_its_review(lang: Lang) -> None:
    march, december = WORDS[lang]
    lines = reply_text(data(lang)).split("\n")
    assert f"[1] NHS: Baclofen {march}. https://www.nhs.uk/medicines/baclofen/" in lines
    assert f"[2] NINDS: Spasticity {december}. https://www.ninds.nih.gov/spasticity" in lines
    assert "[3] Old: No date. https://example.org/old" in lines  # no date, nothing made up


@pytest.mark.parametrize("lang", ["en", "es"])
def test_telegram_shows_the_review_beside_the_linked_source(lang: Lang) -> None:
    march, _december = WORDS[lang]
    sent = "\n".join(format_reply(data(lang)))
    assert f'[1] <a href="https://www.nhs.uk/medicines/baclofen/">NHS: Baclofen</a> {html.escape(march)}' in sent
    assert '<a href="https://example.org/old">Old: No date</a>\n' in sent


def test_telegram_keeps_a_source_and_its_review_in_one_message_when_it_splits(real_service: BotService) -> None:
    reply = real_service.answer_question("what is baclofen").reply
    for part in format_reply(structure(reply), limit=600):
        for line in part.split("\n"):
            if line.startswith("[") and "<a href" in line and "(reviewed" not in line:
                pytest.fail(f"a source line lost its review: {line}")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_widget_and_the_editors_shell_show_the_review_beside_the_source(lang: Lang) -> None:
    march, december = WORDS[lang]
    shown = rendered([data(lang).as_json()])[0]
    for side in ("widget", "editor"):
        text = shown[side]["shown"]["text"].replace(" (opens in a new tab)", "")
        assert f"NHS: Baclofen {march}" in text, (side, text)
        assert f"NINDS: Spasticity {december}" in text, (side, text)
        assert "Old: No date (" not in text, side


def test_every_answer_of_the_library_shows_its_review_dates(real_service: BotService) -> None:
    reply = real_service.answer_question("how long does botox last").reply
    message = render(reply)
    assert message.data is not None and message.data.citations
    for citation in message.data.citations:
        assert citation.reviewed is not None
        assert f"({reviewed_on(citation.reviewed, 'en')})" in message.text
