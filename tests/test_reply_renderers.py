"""The browser renderers of reply data, the widget's and the editors' shell's, run in Node with a minimal DOM.

They render from the reply data alone (no text is parsed): paragraphs with their citation markers, the
sources as links (http and https only), the disclaimer set apart; and both refuse a reply without its
disclaimer. What a real browser adds (layout, focus, screen readers, axe) is in `tests/test_widget.py` and
`tests/test_editor.py`, against the running bot.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.replies import DISCLAIMER, Button, Citation, Reply, ReplyKind, render
from bot.wording import SPANISH, render_words

SCRIPT = PROJECT_ROOT / "tests" / "js" / "reply_renderers.mjs"
WIDGET_RENDER = PROJECT_ROOT / "widget" / "src" / "render.js"
EDITOR_RENDER = PROJECT_ROOT / "bot" / "channels" / "editor_static" / "reply.js"


def rendered(replies: list[Any]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (it builds the widget: apt-get install nodejs)")
    done = subprocess.run(
        [node, str(SCRIPT), str(WIDGET_RENDER), str(EDITOR_RENDER)],
        input=json.dumps(replies),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def answer() -> Reply:
    citations = (
        Citation(1, "NHS-BAC", "NHS", "Baclofen <tablets>", "https://www.nhs.uk/medicines/baclofen/"),
        Citation(2, "EVIL", "Evil", "Page", "javascript:alert(1)"),
    )
    text = "Baclofen <img src=x onerror=alert(1)> relaxes muscles. [1][2]\nSee https://example.org/a. [2]"
    return Reply(ReplyKind.ANSWER, text, citations, (Button("Helpful", "/feedback_helpful"),))


def test_both_renderers_show_a_reply_from_its_data() -> None:
    data = render(answer()).data
    assert data is not None
    widget, editor = (rendered([data.as_json()])[0][side]["shown"] for side in ("widget", "editor"))
    for shown in (widget, editor):
        assert "Baclofen <img src=x onerror=alert(1)> relaxes muscles. [1][2]" in shown["text"]
        assert "Sources:" in shown["text"] and "NHS: Baclofen <tablets>" in shown["text"]
        links = [[href, label.removesuffix(" (opens in a new tab)")] for href, label in shown["links"]]
        assert ["https://www.nhs.uk/medicines/baclofen/", "NHS: Baclofen <tablets>"] in links
        assert not [href for href, _ in shown["links"] if not href.startswith("https://")]
        assert not {"img", "script"} & set(shown["elements"])
        assert len(shown["disclaimer"]) == 1 and DISCLAIMER in shown["disclaimer"][0]
    assert ["https://example.org/a", "https://example.org/a (opens in a new tab)"] in widget["links"]


def test_a_spanish_reply_shows_its_own_heading_and_disclaimer() -> None:
    data = render(answer(), **render_words("es")).data
    assert data is not None
    for side in ("widget", "editor"):
        shown = rendered([data.as_json()])[0][side]["shown"]
        assert "Fuentes:" in shown["text"] and SPANISH["disclaimer"] in shown["disclaimer"][0]


@pytest.mark.parametrize("missing", ["", "   ", None, "drop"])
def test_both_renderers_refuse_a_reply_without_its_disclaimer(missing: str | None) -> None:
    data = render(answer()).data
    assert data is not None
    broken = data.as_json()
    if missing == "drop":
        del broken["disclaimer"]
    else:
        broken["disclaimer"] = missing
    [result] = rendered([broken])
    assert "refused" in result["widget"] and "disclaimer" in result["widget"]["refused"]
    assert result["widgetRefuses"] is True
    assert "refused" in result["editor"] and "disclaimer" in result["editor"]["refused"]


def test_both_renderers_refuse_what_is_not_reply_data() -> None:
    for result in rendered(["Sources:\n[1] A: B. https://x", {"text": "hi"}, []]):
        assert "refused" in result["widget"] and "refused" in result["editor"]


# -- phone numbers as tel: links (#16 point 4) ------------------------------------------------------------


def test_the_widget_links_the_numbers_the_data_lists_and_announces_what_calling_does() -> None:
    from bot.emergency_numbers import LocalNumbers, Phone
    from bot.wording import CRISIS_LINES, EMERGENCY_NUMBERS

    local = LocalNumbers(emergency=(Phone("Australia", "000"), Phone("Lifeline", "13 11 14")))
    reply = Reply(ReplyKind.EMERGENCY, f"{EMERGENCY_NUMBERS}\n{CRISIS_LINES}\nCall 999 or see https://x.org/000.")
    spanish = render(reply, **render_words("es"), numbers=local).data
    default = render(reply).data
    assert spanish is not None and default is not None
    shown, default_shown = (rendered([d.as_json()])[0]["widget"]["shown"] for d in (spanish, default))
    tels = [
        (link, spoken)
        for link, spoken in zip(shown["links"], shown["spoken"], strict=True)
        if link[0].startswith("tel:")
    ]
    assert tels == [
        (["tel:000", "000"], "Llamar al 000 (Australia)"),
        (["tel:131114", "13 11 14"], "Llamar al 13 11 14 (Lifeline)"),
        (["tel:000", "000"], "Llamar al 000 (Australia)"),
        (["tel:131114", "13 11 14"], "Llamar al 13 11 14 (Lifeline)"),
    ]
    assert ["https://x.org/000", "https://x.org/000 (opens in a new tab)"] in shown["links"], "a URL stays whole"
    default_tels = [link for link in default_shown["links"] if link[0].startswith("tel:")]
    # The default lists' numbers; the "999" of the last line is not one of a list the reply gives... but 999 is
    # in the emergency list, so every 999 of the reply is a link, and only numbers the data lists are.
    assert [t[0] for t in default_tels] == [
        "tel:911",
        "tel:999",
        "tel:112",
        "tel:988",
        "tel:116123",
        "tel:112",
        "tel:999",
    ]


@pytest.mark.parametrize(
    ("text", "phones", "linked"),
    [
        ("Línea de la Vida, 800 911 2000, or 911.", [("911", "tel:911")], ["911"]),  # not inside a longer number
        ("Call 1911 or 9110 or +911.", [("911", "tel:911")], []),
        ("Call 13 11 14 now.", [("13 11 14", "tel:131114"), ("11", "tel:11")], ["13 11 14"]),  # longest first
        ("Call 112 now.", [("112", "javascript:alert(1)")], []),  # only tel: URIs of digits
        ("Call 112 now.", [{"number": 112, "tel": "tel:112"}], []),  # not reply data
        ("Call 112 now.", "112", []),
    ],
)
def test_the_widget_links_only_listed_numbers_standing_alone(text: str, phones: Any, linked: list[str]) -> None:
    data = render(Reply(ReplyKind.EMERGENCY, text)).as_kwargs()["reply"]
    if isinstance(phones, list):
        phones = [
            p if isinstance(p, dict) else {"number": p[0], "tel": p[1], "label": "x", "call": f"Call {p[0]}"}
            for p in phones
        ]
    shown = rendered([{**data, "phones": phones}])[0]["widget"]["shown"]
    assert [label for href, label in shown["links"] if not href.startswith("http")] == linked
    assert shown["text"].startswith(text)
