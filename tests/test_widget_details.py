"""The widget details users expect (#16 points 5 and 7), in real headless Chromium against the session's bot.

It connects only when opened, counts unread answers on the launcher while closed (announced in its name), has a
full-screen toggle (a real button with aria-pressed), sits on the left or the right, keeps most of the panel for
the answer (the suggestions scroll with the conversation instead of taking a fixed share), and opens a new
conversation on the page's `data-topic`. axe-core finds no WCAG 2.1 A/AA violation in any of these states. The
browser, the fixtures and the helpers are tests/test_widget.py's; screenshots and axe results go to
`test-artifacts/widget/`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests import test_widget
from tests.support.servers import RunningBot
from tests.test_widget import (
    ARTIFACTS,
    CITED,
    QUESTION,
    ROOT_JS,
    ask,
    bot_count,
    demo_url,
    describe,
    messages,
    open_widget,
    run_axe,
    shot,
    wait_for_bot,
)

# test_widget.py's browser (one per module) and its fresh contexts, by the names tests ask for.
browser = test_widget.browser
new_context = test_widget.new_context

e2e = pytest.mark.e2e
LAUNCHER = "Ask about spasticity"
ONLINE = f"() => {ROOT_JS}.querySelector('.sw-status').dataset.state === 'online'"
TOPIC_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>The pump</title></head>
<body><main><h1>The baclofen pump</h1><p>Our page about the pump.</p></main>
<script src="{url}/webhooks/widget/static/widget.js" data-server-url="{url}" {attributes} defer></script>
</body></html>"""


def embed(page: Any, bot: RunningBot, name: str, attributes: str) -> str:
    """Serves a page of the embedder's with the widget's script tag and `attributes` (by routing); its URL."""
    url = f"{bot.url}/embedder/{name}.html"
    body = TOPIC_PAGE.format(url=bot.url, attributes=attributes)
    page.route(url, lambda route: route.fulfill(body=body, content_type="text/html"))
    return url


def rect(page: Any, selector: str) -> dict[str, float]:
    """The element's box once its animations have ended (the panel rises for 160 ms when it opens)."""
    box: dict[str, float] = page.evaluate(
        f"""async () => {{ const e = {ROOT_JS}.querySelector('{selector}');
            await Promise.all(e.getAnimations().map((a) => a.finished.catch(() => null)));
            const r = e.getBoundingClientRect();
            return {{left: r.left, top: r.top, right: r.right, bottom: r.bottom, height: r.height}}; }}"""
    )
    return box


def launcher_name(page: Any) -> str:
    """The launcher's accessible name, as the browser's accessibility tree gives it to screen readers."""
    snapshot = str(page.locator(".sw-launcher").aria_snapshot())  # '- button "<name>": <text>' or '- button "<name>"'
    match = re.fullmatch(r'- button "([^"]*)"(?::.*)?', snapshot.strip())
    assert match, snapshot
    return match.group(1)


def no_violations(page: Any, name: str) -> None:
    results = run_axe(page, name)
    assert results["violations"] == [], describe(results["violations"])
    assert results["passes"] > 10, "axe really ran its rules"


# ------------------------------------------------------------------------------------------ point 7


@e2e
def test_the_widget_connects_only_when_opened(running_bot: RunningBot, new_context: Callable[..., Any]) -> None:
    context = new_context()
    bot_requests: list[str] = []
    context.on("request", lambda r: bot_requests.append(r.url) if "/socket.io" in r.url or "/history" in r.url else 0)
    page = context.new_page()
    page.goto(demo_url(running_bot))
    page.locator(".sw-launcher").wait_for()
    page.wait_for_timeout(2000)
    assert bot_requests == [], "a page view alone never talks to the bot"
    page.get_by_role("button", name=LAUNCHER).click()
    page.wait_for_function(ONLINE, timeout=30_000)
    assert any("/socket.io" in url for url in bot_requests), "opening connects"
    shot(page, "30-connected-when-opened.png")


@e2e
def test_answers_arriving_while_closed_show_an_unread_badge_in_the_launchers_name(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    page = new_context().new_page()
    page.goto(demo_url(running_bot))
    assert launcher_name(page) == LAUNCHER
    open_widget(page, demo_url(running_bot))
    before = bot_count(page)
    page.get_by_label("Your question").fill(QUESTION)
    # Sent and closed (the Escape handler a keyboard user reaches) in one task of the page, so the answer,
    # however fast, is handled only once the widget is closed: with Enter and Escape as two key presses, an
    # answer in 30 ms could arrive between them.
    page.evaluate(
        f"""() => {{
            const root = {ROOT_JS};
            root.querySelector('form').requestSubmit();
            const escape = new KeyboardEvent('keydown', {{key: 'Escape', bubbles: true}});
            root.querySelector('.sw-panel').dispatchEvent(escape);
        }}"""
    )
    wait_for_bot(page, before, CITED)
    badge = page.locator(".sw-badge")
    assert badge.is_visible()
    count = int(badge.inner_text())
    assert count >= 1
    words = "1 unread message" if count == 1 else f"{count} unread messages"
    assert launcher_name(page) == f"{LAUNCHER}, {words}", "screen readers hear the count with the launcher"
    assert page.get_by_role("button", name=re.compile(r"unread message")).is_visible()
    assert words in page.evaluate(f"{ROOT_JS}.querySelector('.sw [aria-live]:not(.sw-announcer)').textContent")
    assert "sw-launcher" in page.evaluate(f"{ROOT_JS}.activeElement.className"), "the focus stays where it was"
    shot(page, "31-unread-badge.png")
    no_violations(page, "unread-badge")

    page.keyboard.press("Enter")  # open again: the count is read
    assert badge.is_hidden() and page.locator(".sw-panel").is_visible()
    page.keyboard.press("Escape")
    assert launcher_name(page) == LAUNCHER


@e2e
def test_the_full_screen_toggle_is_a_pressed_button_that_fills_the_window_and_stays(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    page = new_context().new_page()
    open_widget(page, demo_url(running_bot))
    toggle = page.get_by_role("button", name="Full screen")
    assert toggle.get_attribute("aria-pressed") == "false"
    normal = rect(page, ".sw-panel")
    assert normal["right"] - normal["left"] < 500, normal
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-pressed") == "true"
    assert rect(page, ".sw-panel") == {"left": 0, "top": 0, "right": 1280, "bottom": 800, "height": 800}
    assert page.evaluate(f"{ROOT_JS}.activeElement.classList.contains('sw-expand')"), "the focus stays on it"
    shot(page, "32-full-screen.png")
    no_violations(page, "full-screen")

    page.reload()  # the choice is kept for the tab, like the open panel
    page.locator(".sw-panel").wait_for()
    assert page.get_by_role("button", name="Full screen").get_attribute("aria-pressed") == "true"
    page.get_by_role("button", name="Full screen").click()
    assert rect(page, ".sw-panel")["height"] < 800

    page.set_viewport_size({"width": 640, "height": 400})  # 200% zoom: the panel fills the window anyway
    page.wait_for_timeout(300)
    assert page.locator(".sw-expand").is_hidden(), "no toggle that would do nothing"


@pytest.mark.parametrize(("position", "side"), [("left", "left"), ("right", "right"), ("middle", "right")])
@e2e
def test_the_launcher_and_panel_sit_on_the_side_the_embed_asks_for(
    running_bot: RunningBot, new_context: Callable[..., Any], position: str, side: str
) -> None:
    page = new_context().new_page()
    page.goto(embed(page, running_bot, f"side-{position}", f'data-position="{position}"'))
    launcher = rect(page, ".sw-launcher")
    page.get_by_role("button", name=LAUNCHER).click()
    panel = rect(page, ".sw-panel")
    for box in (launcher, panel):
        gap = box["left"] if side == "left" else 1280 - box["right"]
        assert 0 <= gap <= 20, (position, box)
    if position == "left":
        shot(page, "33-launcher-left.png")
        no_violations(page, "position-left")


# Desktop, a short laptop window, a phone: (viewport, the panel's share the log keeps at least).
SIZES = [((1280, 800), 0.6), ((1280, 600), 0.55), ((390, 844), 0.6)]


@e2e
def test_the_answer_keeps_most_of_the_panel_and_the_suggestions_scroll_after_it(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    measured = {}
    for (width, height), share in SIZES:
        page = new_context(viewport={"width": width, "height": height}).new_page()
        open_widget(page, demo_url(running_bot))
        before = bot_count(page)
        ask(page, QUESTION)
        wait_for_bot(page, before, CITED)
        page.locator(".sw-quick-reply").first.wait_for(timeout=10_000)
        page.wait_for_timeout(600)  # the smooth scroll to the answer's start
        layout = page.evaluate(
            f"""() => {{
                const root = {ROOT_JS}, panel = root.querySelector('.sw-panel').getBoundingClientRect();
                const log = root.querySelector('.sw-log').getBoundingClientRect();
                const answers = root.querySelectorAll('.sw-msg--bot');
                const answer = answers[answers.length - 1].getBoundingClientRect();
                const quick = root.querySelector('.sw-quick');
                return {{panel: panel.height, log: log.height, answerTop: answer.top - log.top,
                        visible: Math.min(answer.bottom, log.bottom) - Math.max(answer.top, log.top),
                        quickInLog: root.querySelector('.sw-log').contains(quick),
                        buttons: quick.querySelectorAll('button').length}};
            }}"""
        )
        measured[f"{width}x{height}"] = layout
        assert layout["quickInLog"] and layout["buttons"] >= 2, layout
        assert layout["log"] >= share * layout["panel"], f"the log keeps {layout['log'] / layout['panel']:.0%}"
        assert 0 <= layout["answerTop"] <= 24, "the answer is shown from its start"
        assert layout["visible"] >= 0.5 * layout["panel"] or layout["visible"] >= layout["log"] - 40, layout
        page.locator(".sw-quick-reply").last.scroll_into_view_if_needed()
        assert page.locator(".sw-quick-reply").last.is_visible(), "the suggestions are reached by scrolling"
        shot(page, f"34-answer-room-{width}x{height}.png")
        page.context.close()
    (ARTIFACTS / "answer-room.json").write_text(json.dumps(measured, indent=1))
    print("\nthe log's share of the panel:", {k: f"{v['log'] / v['panel']:.0%}" for k, v in measured.items()})


# ------------------------------------------------------------------------------------------ point 5


def wait_for_quiet(page: Any, ms: int = 1500) -> None:
    """Waits until no bot message arrived for `ms` (the bot sends its messages one after another)."""
    last = -1
    while (count := bot_count(page)) != last:
        last = count
        page.wait_for_timeout(ms)


@e2e
def test_a_topic_page_opens_a_new_conversation_on_its_topic_and_a_reload_shows_nothing_sent(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    page = new_context().new_page()
    page.goto(embed(page, running_bot, "pump", 'data-topic="baclofen-pump"'))
    page.get_by_role("button", name=LAUNCHER).click()
    wait_for_bot(page, 2, CITED)  # greeting, notice, then the introduction and the topic's overview
    wait_for_quiet(page)
    shown = messages(page)
    assert all(sender == "bot" for sender, _ in shown), "the start is nothing the person sent"
    assert shown[1][1].startswith("About your privacy")
    overview = shown[-1][1]
    assert "pump" in overview.lower() and page.locator(".sw-msg--bot").last.locator(".sw-source-list a").count()
    assert page.locator(".sw-quick-reply").count() >= 2, "the topic's questions to press"
    shot(page, "35-topic-start.png")
    no_violations(page, "topic-start")

    page.reload()
    page.locator(".sw-source-list a").first.wait_for(timeout=30_000)
    wait_for_quiet(page, 800)
    restored = messages(page)
    assert [s for s, _ in restored if s == "user"] == [], "the history shows no message from the person"
    assert restored[-1] == shown[-1], "and the same overview"
    assert bot_count(page) == len(restored), "a conversation under way is not opened on the topic again"


@pytest.mark.parametrize(
    ("topic", "greeted"),
    [("no-such-topic", True), ("ask_dosing", True), ("../../etc", False), ('x" onload="alert(1)', False)],
)
@e2e
def test_an_unknown_or_malformed_data_topic_gets_the_usual_start(
    running_bot: RunningBot, new_context: Callable[..., Any], topic: str, greeted: bool
) -> None:
    page = new_context().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(embed(page, running_bot, "unknown", f"data-topic='{topic}'"))
    page.get_by_role("button", name=LAUNCHER).click()
    page.wait_for_function(ONLINE, timeout=30_000)
    if greeted:  # the shape of an id: the bot greets as it does a "hello", after its introduction
        wait_for_bot(page, 2, "last.innerText.includes('Hello! Ask me anything')")
    wait_for_quiet(page)
    shown = messages(page)
    assert all(sender == "bot" for sender, _ in shown) and errors == []
    if not greeted:  # never sent: the greeting and the notice, as on any page
        assert len(shown) == 2 and shown[1][1].startswith("About your privacy"), shown
    else:
        assert shown[-1][1].startswith("Hello! Ask me anything"), shown
        assert page.locator(".sw-source-list a").count() == 0, "no passage of a guessed topic"
