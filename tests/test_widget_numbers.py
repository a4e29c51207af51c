"""The widget in real headless Chromium (#16 points 4 and 6): phone numbers as tel: links, review dates by sources.

Against the session's real bot, with the default numbers: an emergency reply's numbers are `tel:` links that
screen readers announce as "Call 911 (US)", an answer's sources say when they were reviewed, and axe-core finds
no WCAG 2.1 A/AA violation in that conversation. The browser, the fixtures and the helpers are
tests/test_widget.py's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests import test_widget
from tests.support.servers import RunningBot
from tests.test_widget import (
    CITED,
    QUESTION,
    ROOT_JS,
    ask,
    bot_count,
    demo_url,
    describe,
    open_widget,
    run_axe,
    shot,
    wait_for_bot,
)

# test_widget.py's browser (one per module) and its fresh contexts, by the names tests ask for.
browser = test_widget.browser
new_context = test_widget.new_context

EMERGENCY = "my son's baclofen pump is making a two tone alarm"
LAST_BOT = f"(() => {{ const m = {ROOT_JS}.querySelectorAll('.sw-msg--bot'); return m[m.length - 1]; }})()"


@pytest.mark.e2e
def test_the_emergency_numbers_are_tel_links_and_the_sources_say_when_they_were_reviewed(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    page = new_context().new_page()
    open_widget(page, demo_url(running_bot))
    before = bot_count(page)
    ask(page, EMERGENCY)
    wait_for_bot(page, before, "last.querySelector('a[href^=\"tel:\"]') !== null")
    links = page.evaluate(
        f"""Array.from({LAST_BOT}.querySelectorAll('a[href^="tel:"]')).map(a => ({{
            href: a.getAttribute('href'), text: a.textContent, name: a.getAttribute('aria-label'),
            target: a.getAttribute('target'), line: a.closest('p').textContent,
        }}))"""
    )
    first = [(link["href"], link["text"], link["name"]) for link in links[:3]]
    assert first == [
        ("tel:911", "911", "Call 911 (US)"),
        ("tel:999", "999", "Call 999 (UK)"),
        ("tel:112", "112", "Call 112 (EU)"),
    ], links
    assert links[0]["line"].startswith("If this is happening now, call emergency services straight away: 911")
    assert all(link["target"] is None for link in links), "a call opens the phone app, not a tab"
    # The accessible name screen readers announce is the label, and it holds the visible number.
    name = page.locator(".sw-msg--bot").last.get_by_role("link", name="Call 911 (US)").first
    assert name.text_content() == "911"
    reviewed = page.evaluate(f"Array.from({LAST_BOT}.querySelectorAll('.sw-reviewed')).map(s => s.textContent)")
    assert reviewed and all(re.fullmatch(r" \(reviewed [A-Z][a-z]+ 20\d\d\)", r) for r in reviewed), reviewed
    shot(page, "20-emergency-tel-links.png")

    before = bot_count(page)
    ask(page, QUESTION)
    wait_for_bot(page, before, CITED)
    answer = page.evaluate(f"Array.from({LAST_BOT}.querySelectorAll('.sw-source-list li')).map(li => li.innerText)")
    assert answer and all(re.search(r"\(reviewed [A-Z][a-z]+ 20\d\d\)$", item) for item in answer), answer
    results = run_axe(page, "numbers-and-reviews")
    assert results["violations"] == [], describe(results["violations"])
    assert results["passes"] > 10
    page.set_viewport_size({"width": 640, "height": 400})  # 200% zoom: the review wraps under its source
    zoomed = run_axe(page, "numbers-and-reviews-zoom-200")
    assert zoomed["violations"] == [], describe(zoomed["violations"])
    page.locator(".sw-msg--bot").last.locator(".sw-source-list").scroll_into_view_if_needed()
    shot(page, "21-reviewed-sources-zoom-200.png")
