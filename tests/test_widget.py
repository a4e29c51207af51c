"""The website widget in real headless Chromium against the real bot, plus its history endpoint.

The browser is Debian's chromium driven by Playwright for Python (`executable_path`, no browser download);
the bot is the session's `running_bot` (launcher: action server + Rasa server with the socket.io and widget
channels). The tests open the demo page, ask questions, press quick replies, reload, open a second tab, use
only the keyboard, zoom, ask for reduced motion, send HTML and script, run axe-core with the WCAG 2.1 A/AA
rules, and restart a server under an open widget. Screenshots and the axe results go to
`test-artifacts/widget/`.

`conversation_history` (what a reload shows) also has hermetic unit tests over real Rasa events.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

from bot.channels.widget import MAX_TEXT_CHARS, WidgetInput, conversation_history
from bot.channels.widget_session import SessionIds
from bot.config import PROJECT_ROOT, get_settings
from bot.replies import DISCLAIMER, REPLY_KEY, SAFE_FALLBACK, Citation, Reply, ReplyKind, render, reply_text
from tests.support.asgi import InProcessApp, channel_app
from tests.support.editor_bot import EMBEDDER_PORT
from tests.support.replies import bot_uttered
from tests.support.servers import RunningBot, SpareBot

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = PROJECT_ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"
WIDGET_JS = PROJECT_ROOT / "widget" / "dist" / "widget.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "widget"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
QUESTION = "What is Lioresal and how does it work?"
ANSWER_TIMEOUT_MS = 90_000  # two shared cores and other test sessions: an answer can take a while
MIN_TARGET_PX = 44

e2e = pytest.mark.e2e

# Shadow root of the widget, for page.evaluate / wait_for_function (locators pierce it by themselves). A
# condition waited for is always written as a function ("() => ..."): Playwright evaluates a bare expression
# with eval() in the page, which the demo page's Content-Security-Policy refuses.
ROOT_JS = "document.getElementById('spasticity-widget').shadowRoot"


# ------------------------------------------------------------------------------------------ unit: history


def _bot(text: str, buttons: list[dict[str, str]] | None = None) -> BotUttered:
    return BotUttered(text, {"buttons": buttons} if buttons else {})


def _user(text: str, channel: str = "socketio", timestamp: float | None = None) -> UserUttered:
    return UserUttered(text, input_channel=channel, timestamp=timestamp)


TOPICS = [{"title": "Oral baclofen", "payload": '/ask_topic{"topic": "baclofen"}'}]


def test_history_keeps_the_texts_in_order_and_shows_button_presses_as_titles() -> None:
    events = [
        ActionExecuted("action_session_start"),
        _user("what is baclofen?"),
        _bot("Intro", TOPICS),
        SlotSet("topic", "baclofen"),
        _bot("Baclofen relaxes muscles [1]\nSources:\n[1] NHS: Baclofen. https://www.nhs.uk/b\n" + DISCLAIMER),
        _user(TOPICS[0]["payload"]),
        _bot("More about baclofen", [{"title": "Side effects", "payload": "/side_effects"}]),
    ]
    history = conversation_history(events)
    assert [(m["sender"], m["text"][:20]) for m in history["messages"]] == [
        ("user", "what is baclofen?"),
        ("bot", "Intro"),
        ("bot", "Baclofen relaxes mus"),
        ("user", "Oral baclofen"),
        ("bot", "More about baclofen"),
    ]
    assert history["buttons"] == [{"title": "Side effects", "payload": "/side_effects"}]
    assert history["truncated"] is False


def test_history_shows_the_latest_session_with_the_introduction_logged_before_it() -> None:
    events = [
        ActionExecuted("action_session_start"),
        _bot("Intro one", TOPICS),
        SessionStarted(),
        ActionExecuted("action_listen"),
        _user("old question"),
        _bot("old answer"),
        ActionExecuted("action_listen"),
        ActionExecuted("action_session_start"),
        _bot("Intro two", TOPICS),
        SessionStarted(),
        ActionExecuted("action_listen"),
        _user("new question"),
        _bot("new answer"),
    ]
    texts = [m["text"] for m in conversation_history(events)["messages"]]
    assert texts == ["new question", "Intro two", "new answer"], "in the order the widget showed them"
    assert [m["text"] for m in conversation_history(events[:10])["messages"]] == ["Intro two"]


def test_history_offers_no_buttons_once_the_person_answered() -> None:
    history = conversation_history([_bot("Pick one", TOPICS), _user("something else"), _bot("Answer")])
    assert history["buttons"] == []


def test_history_never_shows_a_conversation_from_another_channel() -> None:
    events = [_user("hello", channel="socketio"), _bot("Hi"), _user("from rest", channel="rest"), _bot("Yes")]
    assert conversation_history(events) == {"messages": [], "buttons": [], "truncated": False}


def test_history_is_bounded_in_count_and_text_size() -> None:
    events = [_user(f"question {i}") for i in range(30)] + [_bot("x" * (MAX_TEXT_CHARS + 500))]
    history = conversation_history(events, limit=10)
    assert len(history["messages"]) == 10 and history["truncated"] is True
    assert history["messages"][0]["text"] == "question 21"
    assert len(history["messages"][-1]["text"]) == MAX_TEXT_CHARS


def test_history_gives_each_reply_with_its_data_and_never_one_without_its_disclaimer() -> None:
    reply = Reply(
        ReplyKind.ANSWER, "Baclofen relaxes muscles. [1]", (Citation(1, "N", "NHS", "Baclofen", "https://n.hs"),)
    )
    good = render(reply)
    broken = good.as_kwargs()
    broken[REPLY_KEY] = {**broken[REPLY_KEY], "disclaimer": " "}
    history = conversation_history(
        [_user("what is baclofen?"), bot_uttered(good.as_kwargs()), _user("again"), bot_uttered(broken), _bot("Bye")]
    )
    assert good.data is not None
    assert history["messages"][1] == {"sender": "bot", "text": good.text, REPLY_KEY: good.data.as_json()}
    assert history["messages"][3] == {
        "sender": "bot",
        "text": reply_text(SAFE_FALLBACK),
        REPLY_KEY: SAFE_FALLBACK.as_json(),
    }
    assert history["messages"][4] == {"sender": "bot", "text": "Bye"}  # a plain message has no data


# ------------------------------------------------------------------------------------------ in-process: routes

SECRET = b"a test's own widget secret, 32 bytes+"


@pytest.fixture
def widget_app() -> Iterator[InProcessApp]:
    """The widget channel in a Sanic app served in-process, with a stub agent and a signer of its own."""
    with channel_app([WidgetInput(sessions=SessionIds(SECRET))]) as app:
        yield app


def store_events(app: InProcessApp, key: str, events: list[Any]) -> None:
    async def save() -> None:
        tracker = await app.agent.tracker_store.get_or_create_tracker(key)
        for event in events:
            tracker.update(event)
        await app.agent.tracker_store.save(tracker)

    app.run(save())


def history_of(app: InProcessApp, body: Any, **kwargs: Any) -> Any:
    return app.request("POST", "/webhooks/widget/history", json=body, **kwargs)


def test_history_is_read_by_post_with_a_session_id_this_server_issued(widget_app: InProcessApp) -> None:
    sessions = SessionIds(SECRET)
    session_id = sessions.issue()
    key = sessions.key_of(session_id)
    assert key is not None
    store_events(widget_app, key, [_user("what is baclofen?"), _bot("Baclofen relaxes muscles.")])
    store_events(widget_app, f"rest:local:{session_id}", [_user("a REST client's question", channel="rest")])
    response = history_of(widget_app, {"session_id": session_id})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert [m["text"] for m in response.json()["messages"]] == ["what is baclofen?", "Baclofen relaxes muscles."]
    fresh = history_of(widget_app, {"session_id": sessions.issue()})
    assert fresh.json() == {"messages": [], "buttons": [], "truncated": False}


def test_history_never_takes_the_session_id_from_the_url(widget_app: InProcessApp) -> None:
    session_id = SessionIds(SECRET).issue()
    response = widget_app.request("GET", "/webhooks/widget/history", params={"session_id": session_id})
    assert response.status_code == 405


@pytest.mark.parametrize(
    "session_id",
    [
        None,
        "3f2b8c1e-9a4d-4e7f-8b6a-1c2d3e4f5a6b",  # the UUIDs the widget used to make
        "tg:4242",
        "rest:local:me",
        "web:AAAAAAAAAAAAAAAAAAAAAA",
        f"{'A' * 22}.{'B' * 22}",
        SessionIds(b"another server's secret, 32 bytes+").issue(),
        ["x"],
    ],
    ids=["none", "uuid", "telegram", "rest", "widget-key", "forged", "another-server", "list"],
)
def test_history_refuses_an_id_this_server_did_not_issue(widget_app: InProcessApp, session_id: Any) -> None:
    response = history_of(widget_app, {"session_id": session_id})
    assert response.status_code == 403 and "error" in response.json()


@pytest.mark.parametrize(
    "raw", [b"", b"{not json", b"\xff\xfe", json.dumps({"session_id": "x" * 5000}).encode()], ids=str
)
def test_history_refuses_a_body_it_cannot_read(widget_app: InProcessApp, raw: bytes) -> None:
    response = widget_app.request("POST", "/webhooks/widget/history", content=raw)
    assert response.status_code == 400 and "session_id" in response.json()["error"]


def test_history_refuses_a_session_idle_past_the_expiry(widget_app: InProcessApp) -> None:
    sessions = SessionIds(SECRET)
    old, recent = sessions.issue(), sessions.issue()
    for session_id, minutes in ((old, 61), (recent, 59)):  # the domain's sessions expire after 60 minutes
        key = sessions.key_of(session_id)
        assert key is not None
        store_events(widget_app, key, [_user("my question", timestamp=time.time() - minutes * 60)])
    gone = history_of(widget_app, {"session_id": old})
    assert gone.status_code == 410 and "ended" in gone.json()["error"]
    assert history_of(widget_app, {"session_id": recent}).json()["messages"][0]["text"] == "my question"


def test_the_demo_page_is_served_under_a_strict_content_security_policy(widget_app: InProcessApp) -> None:
    page = widget_app.request("GET", "/webhooks/widget/")
    csp = page.headers["Content-Security-Policy"]
    assert page.status_code == 200 and page.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<style" not in page.text and "<script>" not in page.text, "nothing inline for the policy to refuse"
    styles = widget_app.request("GET", "/webhooks/widget/demo.css")
    assert styles.status_code == 200 and styles.headers["Content-Type"].startswith("text/css")
    assert styles.headers["X-Content-Type-Options"] == "nosniff"


# ------------------------------------------------------------------------------------------ browser set-up


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, through Playwright's own driver (no browser download)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium).")
    if not WIDGET_JS.is_file() or not AXE.is_file():
        pytest.fail("The widget is not built or axe-core is missing: run `make widget` (npm ci + esbuild).")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageWatch:
    """Collects what must never happen on a page: script errors and dialogs (alert() from injected HTML)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    def attach(self, page: Any) -> Any:
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", self._dialog)
        return page

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """Browser contexts (separate storage) closed after the test."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **options})
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def demo_url(bot: RunningBot) -> str:
    return f"{bot.url}/webhooks/widget/"


def shot(page: Any, name: str) -> Path:
    path = ARTIFACTS / name
    page.screenshot(path=str(path), animations="disabled")
    return path


def open_widget(page: Any, url: str) -> None:
    """Loads the demo page, opens the widget and waits until the conversation is joined."""
    page.goto(url)
    page.get_by_role("button", name="Ask about spasticity").click()
    page.wait_for_function(f"() => {ROOT_JS}.querySelector('.sw-status').dataset.state === 'online'", timeout=30_000)


def bot_count(page: Any) -> int:
    return int(page.evaluate(f"{ROOT_JS}.querySelectorAll('.sw-msg--bot').length"))


def ask(page: Any, text: str) -> None:
    """Types a question and sends it with Enter, as a keyboard user would."""
    box = page.get_by_label("Your question")
    box.fill(text)
    box.press("Enter")


def wait_for_bot(page: Any, more_than: int, predicate: str = "true") -> None:
    """Waits until more than `more_than` bot messages are shown and the newest satisfies `predicate`."""
    page.wait_for_function(
        f"""() => {{
            const items = {ROOT_JS}.querySelectorAll('.sw-msg--bot');
            if (items.length <= {more_than}) return false;
            const last = items[items.length - 1];
            return {predicate};
        }}""",
        timeout=ANSWER_TIMEOUT_MS,
    )
    page.wait_for_timeout(800)  # the bot sends its messages one after another: let the rest arrive


CITED = "last.querySelector('.sw-source-list a') !== null"


def messages(page: Any) -> list[tuple[str, str]]:
    """(sender, visible text) of every message in the log, greeting included."""
    return [
        (item["sender"], item["text"])
        for item in page.evaluate(
            f"""Array.from({ROOT_JS}.querySelectorAll('.sw-msg')).map(li => ({{
                sender: li.classList.contains('sw-msg--user') ? 'user' : 'bot',
                text: (li.querySelector('.sw-text, .sw-content') || li).innerText,
            }}))"""
        )
    ]


def run_axe(page: Any, name: str) -> dict[str, Any]:
    """Runs axe-core with the WCAG 2.1 A and AA rules; saves the results; returns them."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol: the demo page's CSP refuses inline scripts.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results: dict[str, Any] = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return {violations: r.violations, passes: r.passes.length, incomplete: r.incomplete.length,
                    inapplicable: r.inapplicable.length, version: r.testEngine.version};
        }""",
        WCAG_21_AA,
    )
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(results, indent=2))
    return results


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in violations
    )


# ------------------------------------------------------------------------------------------ browser tests


@e2e
def test_ask_get_a_cited_answer_press_a_quick_reply_reload_and_continue_in_a_new_tab(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    context = new_context()
    watch = PageWatch()
    page = watch.attach(context.new_page())
    page.goto(demo_url(running_bot))
    shot(page, "01-demo-page-closed.png")
    open_widget(page, demo_url(running_bot))
    assert page.get_by_role("dialog", name="Questions about spasticity").is_visible()
    assert page.evaluate(f"{ROOT_JS}.activeElement && {ROOT_JS}.activeElement.id") == "sw-input"

    before = bot_count(page)
    # Whether the typing indicator was shown at any moment, recorded in the page: a fast answer may hide it again
    # before a check from here would look.
    page.evaluate(
        f"""() => {{ const typing = {ROOT_JS}.querySelector('.sw-typing'); window.__typingShown = false;
            new MutationObserver(() => {{ if (!typing.hidden) window.__typingShown = true; }})
              .observe(typing, {{attributes: true, attributeFilter: ['hidden']}}); }}"""
    )
    ask(page, QUESTION)
    page.wait_for_function("() => window.__typingShown === true", timeout=10_000)  # the bot is working
    wait_for_bot(page, before, CITED)
    assert page.locator(".sw-typing").is_hidden()

    answer = page.locator(".sw-msg--bot").filter(has=page.locator(".sw-source-list a")).last
    assert "[1]" in answer.locator(".sw-line").first.inner_text() or "[1]" in answer.inner_text()
    links = answer.locator(".sw-source-list a")
    for i in range(links.count()):
        link = links.nth(i)
        assert (link.get_attribute("href") or "").startswith(("https://", "http://"))
        assert link.get_attribute("target") == "_blank" and "noopener" in (link.get_attribute("rel") or "")
    disclaimer = answer.locator(".sw-disclaimer")
    assert DISCLAIMER in disclaimer.inner_text()
    styles = page.evaluate(
        """([note, bubble]) => {
            const n = getComputedStyle(note), b = getComputedStyle(bubble);
            return {noteBg: n.backgroundColor, bubbleBg: b.backgroundColor, border: n.borderLeftWidth};
        }""",
        [disclaimer.element_handle(), answer.element_handle()],
    )
    assert styles["noteBg"] != styles["bubbleBg"] and float(styles["border"].rstrip("px")) >= 3, styles
    announced = page.locator(".sw-announcer").inner_text()
    assert "The bot said:" in announced and DISCLAIMER in announced, "the live region announces the answer"
    assert page.get_attribute(".sw-announcer", "aria-live") == "polite"
    shot(page, "02-cited-answer.png")

    quick = page.locator(".sw-quick-reply")
    quick.first.wait_for(timeout=10_000)
    title = quick.first.inner_text()
    before = bot_count(page)
    quick.first.click()
    wait_for_bot(page, before)
    assert ("user", title) in messages(page), "the pressed quick reply shows as the person's message"
    assert page.evaluate(f"{ROOT_JS}.activeElement.id") == "sw-input", "focus goes back to the input"
    shot(page, "03-quick-reply-answered.png")
    # The privacy notice opened this conversation (the widget connected when opened); it is not in its history.
    shown = [m for m in messages(page) if not m[1].startswith("About your privacy")]

    page.reload()
    page.locator(".sw-source-list a").first.wait_for(timeout=30_000)  # the panel stays open after a reload
    restored = messages(page)
    (ARTIFACTS / "reload-messages.json").write_text(json.dumps({"live": shown, "restored": restored}, indent=1))
    assert restored == shown, "a reload shows the same conversation, from the tracker"
    assert page.locator(".sw-disclaimer").count() >= 1, "the restored answers keep the disclaimer apart"
    shot(page, "04-after-reload.png")

    second = watch.attach(context.new_page())
    open_widget(second, demo_url(running_bot))
    assert messages(second) == shown, "a new tab continues the same conversation"
    before_first, before_second = bot_count(page), bot_count(second)
    ask(second, "does it hurt?")
    wait_for_bot(second, before_second)
    wait_for_bot(page, before_first)
    assert ("user", "does it hurt?") in messages(page), "the first tab shows what was asked in the second"
    shot(second, "05-second-tab.png")
    assert watch.errors == [] and watch.dialogs == []


@e2e
def test_zero_axe_violations_of_wcag_21_aa_with_messages_buttons_and_focus(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    page = new_context().new_page()
    page.goto(demo_url(running_bot))
    closed = run_axe(page, "closed")
    assert closed["violations"] == [], describe(closed["violations"])

    open_widget(page, demo_url(running_bot))
    before = bot_count(page)
    ask(page, QUESTION)
    wait_for_bot(page, before, CITED)
    page.locator(".sw-quick-reply").first.wait_for(timeout=10_000)
    page.locator(".sw-quick-reply").first.focus()
    conversation = run_axe(page, "conversation")
    assert conversation["violations"] == [], describe(conversation["violations"])
    assert conversation["passes"] > 10, "axe really ran its rules on the page"

    page.set_viewport_size({"width": 640, "height": 400})  # 1280 x 800 at 200% zoom
    zoomed = run_axe(page, "zoom-200")
    assert zoomed["violations"] == [], describe(zoomed["violations"])
    summary = {name: {k: r[k] for k in ("passes", "incomplete", "inapplicable", "version")} for name, r in
               {"closed": closed, "conversation": conversation, "zoom-200": zoomed}.items()}  # fmt: skip
    (ARTIFACTS / "axe-summary.json").write_text(json.dumps(summary, indent=2))


FOCUS_STYLE = f"""() => {{
    const el = {ROOT_JS}.activeElement;
    if (!el) return null;
    const s = getComputedStyle(el);
    return {{id: el.id, cls: el.className, tag: el.tagName, style: s.outlineStyle, width: parseFloat(s.outlineWidth)}};
}}"""


@e2e
def test_the_widget_works_with_the_keyboard_alone_and_focus_is_visible(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    page = new_context().new_page()
    page.goto(demo_url(running_bot))
    for _ in range(15):  # Tab through the host page until the launcher has the focus
        page.keyboard.press("Tab")
        if page.evaluate(f"{ROOT_JS}.activeElement?.classList.contains('sw-launcher')"):
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    focus = page.evaluate(FOCUS_STYLE)
    assert focus["style"] != "none" and focus["width"] >= 2, focus
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUS_STYLE)["id"] == "sw-input", "opening moves the focus to the question box"
    page.wait_for_function(f"() => {ROOT_JS}.querySelector('.sw-status').dataset.state === 'online'", timeout=30_000)

    before = bot_count(page)
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    wait_for_bot(page, before, CITED)
    page.locator(".sw-quick-reply").first.wait_for(timeout=10_000)
    page.keyboard.press("Shift+Tab")  # from the box back to the last quick reply
    focus = page.evaluate(FOCUS_STYLE)
    assert "sw-quick-reply" in focus["cls"] and focus["style"] != "none" and focus["width"] >= 2, focus
    shot(page, "06-keyboard-focus-quick-reply.png")
    title = page.evaluate(f"{ROOT_JS}.activeElement.textContent")
    before = bot_count(page)
    page.keyboard.press("Enter")
    wait_for_bot(page, before)
    assert ("user", title) in messages(page)
    assert page.evaluate(FOCUS_STYLE)["id"] == "sw-input"

    seen = set()
    for _ in range(60):  # back from the box to the close button: every stop is reachable and shows its focus
        page.keyboard.press("Shift+Tab")
        focus = page.evaluate(FOCUS_STYLE)
        if focus is None:
            break
        assert focus["style"] != "none" and focus["width"] >= 2, focus
        seen.add(focus["tag"] + ":" + (focus["id"] or focus["cls"]))
        if "sw-close" in focus["cls"]:
            break
    assert {"BUTTON:sw-close", "DIV:sw-log"} <= seen, seen
    assert any(s.startswith("A:") for s in seen), "the source links are in the tab order"

    page.keyboard.press("Escape")
    assert page.locator(".sw-panel").is_hidden()
    assert "sw-launcher" in page.evaluate(FOCUS_STYLE)["cls"], "closing returns the focus to the launcher"


@e2e
def test_touch_targets_200_percent_zoom_and_reduced_motion(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    page = new_context(viewport={"width": 640, "height": 400}, reduced_motion="reduce").new_page()
    open_widget(page, demo_url(running_bot))
    before = bot_count(page)
    ask(page, QUESTION)
    wait_for_bot(page, before, CITED)
    page.locator(".sw-quick-reply").first.wait_for(timeout=10_000)
    shot(page, "07-zoom-200.png")

    sizes = page.evaluate(
        f"""Array.from({ROOT_JS}.querySelectorAll('button, input, .sw-source-list a'))
            .filter(el => el.offsetParent !== null)
            .map(el => {{ const r = el.getBoundingClientRect();
                          return {{what: el.className || el.tagName, w: r.width, h: r.height}}; }})"""
    )
    assert len(sizes) >= 5
    small = [s for s in sizes if s["w"] < MIN_TARGET_PX or s["h"] < MIN_TARGET_PX]
    assert small == [], f"targets under {MIN_TARGET_PX} px: {small}"

    layout = page.evaluate(
        f"""() => {{
            const root = {ROOT_JS}, panel = root.querySelector('.sw-panel').getBoundingClientRect();
            const log = root.querySelector('.sw-log');
            const clipped = Array.from(root.querySelectorAll('.sw-msg'))
                .filter(m => m.scrollWidth > m.clientWidth + 1).length;
            const box = root.querySelector('#sw-input').getBoundingClientRect();
            const send = root.querySelector('.sw-send').getBoundingClientRect();
            return {{panel: [panel.left, panel.top, panel.right, panel.bottom], vw: innerWidth, vh: innerHeight,
                    logOverflow: log.scrollWidth - log.clientWidth, clipped, box: box.bottom, send: send.right}};
        }}"""
    )
    left, top, right, bottom = layout["panel"]
    assert left >= 0 and top >= 0 and right <= layout["vw"] and bottom <= layout["vh"], layout
    assert layout["logOverflow"] <= 1 and layout["clipped"] == 0, "no sideways scrolling at 200% zoom"
    assert layout["box"] <= layout["vh"] and layout["send"] <= layout["vw"], "the input stays on screen"

    # Text alone at 200% (browser text-size setting): the rem-based layout still fits and nothing is cut.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.wait_for_timeout(200)
    text_zoom = page.evaluate(
        f"""() => {{ const root = {ROOT_JS}, log = root.querySelector('.sw-log');
            const p = root.querySelector('.sw-panel').getBoundingClientRect();
            const font = parseFloat(getComputedStyle(root.querySelector('.sw-line')).fontSize);
            return {{font, overflow: log.scrollWidth - log.clientWidth, right: p.right, bottom: p.bottom}}; }}"""
    )
    assert text_zoom["font"] >= 30, text_zoom
    assert text_zoom["overflow"] <= 1 and text_zoom["right"] <= 1280 and text_zoom["bottom"] <= 800, text_zoom
    shot(page, "08-text-200.png")

    reduced = page.evaluate(
        f"getComputedStyle({ROOT_JS}.querySelector('.sw-dots span')).animationName"
        f" + '|' + getComputedStyle({ROOT_JS}.querySelector('.sw-panel')).animationName"
    )
    assert reduced == "none|none", "reduced motion stops the typing dots and the panel animation"
    moving = new_context(reduced_motion="no-preference").new_page()
    moving.goto(demo_url(running_bot))
    assert moving.evaluate(f"getComputedStyle({ROOT_JS}.querySelector('.sw-dots span')).animationName") == "sw-blink"


EMBED_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Forum</title></head>
<body><main><h1>Forum</h1><p>Une page d'accueil.</p></main>
<script src="{url}/webhooks/widget/static/widget.js" data-server-url="{url}" data-lang="fr"
  data-title="Questions sur la spasticité" data-primary-color="{colour}" data-launcher-label="Poser une question"
  data-greeting="Bonjour ! Posez votre question." data-input-label="Votre question" data-send-label="Envoyer"
  data-close-label="Fermer" data-strings='{{"typing": "Le robot écrit"}}' defer></script></body></html>"""


@e2e
def test_the_embed_config_sets_the_title_colours_and_texts(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    """One script tag with its data-* config, on a page of the embedder's own (served here by routing)."""
    watch = PageWatch()
    page = watch.attach(new_context().new_page())
    embed_url = f"{running_bot.url}/embedder/forum.html"
    colour = {"value": "#ffd200"}  # a light brand colour: the widget must pick dark text on it
    page.route(
        embed_url,
        lambda route: route.fulfill(
            body=EMBED_PAGE.format(url=running_bot.url, colour=colour["value"]), content_type="text/html"
        ),
    )
    page.goto(embed_url)
    page.get_by_role("button", name="Poser une question").click()
    assert page.get_by_role("dialog", name="Questions sur la spasticité").is_visible()
    assert page.get_by_label("Votre question").is_visible()
    assert page.get_by_role("button", name="Envoyer").is_visible() and page.get_by_role("button", name="Fermer")
    assert "Bonjour ! Posez votre question." in messages(page)[0][1]
    look = page.evaluate(
        f"""(() => {{ const root = {ROOT_JS}, header = getComputedStyle(root.querySelector('.sw-header'));
            return {{lang: root.querySelector('.sw').lang, bg: header.backgroundColor, fg: header.color,
                    typing: root.querySelector('.sw-typing').textContent}}; }})()"""
    )
    assert look == {"lang": "fr", "bg": "rgb(255, 210, 0)", "fg": "rgb(17, 17, 17)", "typing": "Le robot écrit"}
    results = run_axe(page, "embed-light-colour")
    assert results["violations"] == [], describe(results["violations"])
    shot(page, "12-embed-config.png")

    colour["value"] = "red;}</style><script>alert(1)</script>"  # not a colour: the default, nothing injected
    page.reload()
    page.locator(".sw-launcher").wait_for(state="attached")  # hidden: the panel stays open after a reload
    bg = page.evaluate(f"getComputedStyle({ROOT_JS}.querySelector('.sw-launcher')).backgroundColor")
    assert bg == "rgb(0, 94, 184)" and watch.dialogs == [] and watch.errors == []


@e2e
def test_a_page_on_another_origin_keeps_its_conversation_across_a_reload(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    """The widget embedded on another site: Socket.IO and the history POST are cross-origin requests.

    The page is served by a server of its own on another port, so another origin in the same (loopback) address
    space: Chromium refuses requests from a page it cannot place (a routed one) to a loopback address.
    """
    body = EMBED_PAGE.format(url=running_bot.url, colour="#005eb8").encode()

    class Forum(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    forum = http.server.ThreadingHTTPServer(("127.0.0.1", EMBEDDER_PORT), Forum)  # an origin in CORS_ORIGINS
    threading.Thread(target=forum.serve_forever, daemon=True).start()
    watch = PageWatch()
    page = watch.attach(new_context().new_page())
    try:
        page.goto(f"http://127.0.0.1:{forum.server_address[1]}/thread.html")
        page.get_by_role("button", name="Poser une question").click()
        page.wait_for_function(
            f"() => {ROOT_JS}.querySelector('.sw-status').dataset.state === 'online'", timeout=30_000
        )
        before = bot_count(page)
        box = page.get_by_label("Votre question")  # the embed's own label
        box.fill(QUESTION)
        box.press("Enter")
        wait_for_bot(page, before, CITED)
        shown = messages(page)
        page.reload()
        page.locator(".sw-source-list a").first.wait_for(timeout=30_000)
        notice = [m for m in shown if m[1].startswith("About your privacy")]
        assert len(notice) == 1, "the first contact showed the notice"
        restored = messages(page)
        assert restored == [m for m in shown if m not in notice], "the history came back across origins"
        assert watch.errors == []
    finally:
        forum.shutdown()


SPANISH_PAGE = """<!doctype html><html lang="es-MX"><head><meta charset="utf-8"><title>Foro</title></head>
<body><main><h1>Foro</h1></main>
<script src="{url}/webhooks/widget/static/widget.js" data-server-url="{url}" data-launcher-label="Preguntar"
  data-input-label="Su pregunta" data-send-label="Enviar" defer></script></body></html>"""


@e2e
def test_a_spanish_page_sends_its_language_and_gets_spanish_safety_replies(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    """The page's own `lang` (no data-lang) travels with each message; the disclaimer is recognised in Spanish."""
    page = new_context().new_page()
    url = f"{running_bot.url}/embedder/foro.html"
    page.route(
        url, lambda route: route.fulfill(body=SPANISH_PAGE.format(url=running_bot.url), content_type="text/html")
    )
    page.goto(url)
    page.get_by_role("button", name="Preguntar").click()
    page.wait_for_function(f"() => {ROOT_JS}.querySelector('.sw-status').dataset.state === 'online'", timeout=30_000)
    before = bot_count(page)
    box = page.get_by_label("Su pregunta")
    box.fill("ya no quiero vivir, estoy pensando en quitarme la vida")
    box.press("Enter")
    wait_for_bot(page, before, "last.innerText.includes('800 911 2000')")
    last = page.evaluate(
        f"(() => {{ const m = {ROOT_JS}.querySelectorAll('.sw-msg--bot'); return m[m.length - 1].innerText; }})()"
    )
    assert "Si esto está pasando ahora" in last and "024" in last, last
    disclaimer = page.evaluate(
        f"(() => {{ const m = {ROOT_JS}.querySelectorAll('.sw-msg--bot'); "
        "const d = m[m.length - 1].querySelector('.sw-disclaimer'); return d ? d.innerText : null; })()"
    )
    assert disclaimer is not None and "Esta es información general" in disclaimer, disclaimer
    shot(page, "14-spanish-page.png")


HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    '<a href="javascript:alert(3)">click</a> <b onmouseover=alert(4)>bold</b>',
]


@e2e
def test_html_and_script_from_a_person_never_run_not_even_after_a_reload(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    watch = PageWatch()
    page = watch.attach(new_context().new_page())
    open_widget(page, demo_url(running_bot))
    for text in HOSTILE:
        before = bot_count(page)
        ask(page, text)
        wait_for_bot(page, before)
    for view in ("live", "reloaded"):
        users = [text for sender, text in messages(page) if sender == "user"]
        assert users[-len(HOSTILE) :] == HOSTILE, f"{view}: shown as the exact text"
        injected = page.evaluate(
            f"{ROOT_JS}.querySelectorAll('.sw-log img, .sw-log script, .sw-log b, .sw-log a[href^=\"javascript\"]')"
            ".length + document.querySelectorAll('img, b').length"
        )
        assert injected == 0, f"{view}: no element was made from the text"
        page.locator(".sw-msg--user").last.hover()
        assert watch.dialogs == [] and watch.errors == [], f"{view}: nothing ran"
        page.reload()
        page.locator(".sw-msg--user").last.wait_for(timeout=30_000)
    shot(page, "09-html-shown-as-text.png")


@e2e
def test_the_reply_renderer_links_only_http_runs_nothing_and_refuses_no_disclaimer(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    """The renderer the widget uses for every bot reply, fed hostile reply data in the real browser."""
    watch = PageWatch()
    page = watch.attach(new_context().new_page())
    page.goto(demo_url(running_bot))
    page.wait_for_function("() => window.SpasticityWidget && typeof SpasticityWidget.renderReply === 'function'")
    citations = (
        Citation(1, "E", "Evil", "Title", "javascript:alert(5)"),
        Citation(2, "N", "NHS", "Baclofen", "https://www.nhs.uk/medicines/baclofen/"),
        Citation(3, "D", "Data", "Page", "data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg=="),
    )
    body = "\n".join(
        [
            "Hello <img src=x onerror=alert(1)> and <script>alert(2)</script> see https://example.org/a. [1]",
            "Also javascript:alert(3) and data:text/html,<script>alert(4)</script> [2][3]",
        ]
    )
    data = render(Reply(ReplyKind.ANSWER, body, citations)).data
    assert data is not None
    broken = {**data.as_json(), "disclaimer": ""}
    result = page.evaluate(
        """([reply, broken]) => {
            const box = document.createElement('div');
            box.id = 'render-check';
            box.appendChild(SpasticityWidget.renderReply(document, reply));
            document.body.appendChild(box);
            let refused = null;
            try { SpasticityWidget.renderReply(document, broken); } catch (e) { refused = e.message; }
            return {
                hrefs: Array.from(box.querySelectorAll('a')).map(a => a.getAttribute('href')),
                elements: Array.from(box.querySelectorAll('*')).map(e => e.tagName.toLowerCase()),
                text: box.textContent,
                disclaimer: box.querySelector('.sw-disclaimer')?.textContent,
                sources: box.querySelectorAll('.sw-source-list li').length,
                refused,
            };
        }""",
        [data.as_json(), broken],
    )
    page.wait_for_timeout(300)
    assert result["hrefs"] == ["https://example.org/a", "https://www.nhs.uk/medicines/baclofen/"]
    assert not {"img", "script", "iframe"} & set(result["elements"])
    assert "<img src=x onerror=alert(1)>" in result["text"] and "Evil: Title" in result["text"]
    assert result["sources"] == 3 and DISCLAIMER in (result["disclaimer"] or "")
    assert result["refused"] and "disclaimer" in result["refused"], "a reply without its disclaimer is refused"
    assert watch.dialogs == [] and watch.errors == []


CSP_WATCH = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
    e => __cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"""
SESSION_JS = "localStorage.getItem('spasticity-widget:session:' + location.origin)"


@e2e
def test_privacy_notice_start_over_and_the_session_id_in_no_url(
    running_bot: RunningBot, new_context: Callable[..., Any]
) -> None:
    """First contact shows the notice; Start over (by keyboard) deletes the server's copy and the history for good."""
    from bot.channels.conversation_ids import widget_key
    from bot.wording import privacy_notice

    context = new_context()
    context.add_init_script(CSP_WATCH)
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    watch = PageWatch()
    page, other = watch.attach(context.new_page()), watch.attach(context.new_page())
    open_widget(page, demo_url(running_bot))
    notice = page.locator(".sw-notice")
    expected = privacy_notice("widget", "en", get_settings().tracker_retention_days)
    assert notice.count() == 1 and expected in notice.inner_text(), "the notice at first contact"
    assert messages(page)[1][1].startswith("About your privacy"), "right after the greeting"
    ask(page, QUESTION)
    wait_for_bot(page, 2, CITED)
    first_id = page.evaluate(SESSION_JS)
    first_key = widget_key(first_id.split(".")[0])
    assert [e["text"] for e in running_bot.stored_events(first_key) if e["event"] == "user"] == [QUESTION]
    open_widget(other, demo_url(running_bot))
    assert ("user", QUESTION) in messages(other), "a second tab shows the same conversation"
    shot(page, "15-before-start-over.png")

    restart = page.get_by_role("button", name="Start over (deletes this conversation)")
    restart.focus()
    assert page.evaluate(FOCUS_STYLE)["cls"] == "sw-restart", "reachable and focusable by keyboard"
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {SESSION_JS} !== {json.dumps(first_id)}", timeout=30_000)
    page.locator(".sw-notice").wait_for(timeout=30_000)
    assert [sender for sender, _ in messages(page)] == ["bot", "bot"], "the greeting and the new notice only"
    assert "This conversation was deleted" in page.locator(".sw-announcer").inner_text()
    assert page.evaluate(f"{ROOT_JS}.activeElement.id") == "sw-input"
    assert running_bot.stored_events(first_key) == [], "the server's copy is gone"
    other.wait_for_function(f"() => {ROOT_JS}.querySelectorAll('.sw-msg--user').length === 0", timeout=30_000)
    shot(page, "16-after-start-over.png")

    page.reload()
    page.locator(".sw-status[data-state='online']").wait_for(timeout=30_000)
    assert [sender for sender, _ in messages(page)] == ["bot"], "after a reload: nothing of the old conversation"
    second_id = page.evaluate(SESSION_JS)
    ask(page, "what is a bac pump?")
    wait_for_bot(page, 1)
    assert [
        e["text"] for e in running_bot.stored_events(widget_key(second_id.split(".")[0])) if e["event"] == "user"
    ] == ["what is a bac pump?"]

    for session_id in (first_id, second_id):
        leaked = [u for u in urls if session_id in u or session_id.split(".")[0] in u]
        assert leaked == [], f"the session id travelled in a URL: {leaked}"
    assert page.evaluate("window.__cspViolations") == [], "the widget needs nothing the demo page's CSP refuses"
    assert watch.errors == [] and watch.dialogs == []


# ------------------------------------------------------------------------------------------ HTTP routes


@e2e
def test_history_takes_only_an_issued_id_in_the_body_and_shows_only_widget_conversations(
    running_bot: RunningBot,
) -> None:
    from tests.test_bad_input import SocketSession

    session = SocketSession(running_bot.url)
    try:
        session.send({"message": "what is spasticity?", "session_id": session.session_id})
        session.collect(timeout=90)
    finally:
        session.close()
    status, body = running_bot.request("/webhooks/widget/history", {"session_id": session.session_id})
    assert status == 200 and [m["text"] for m in body["messages"] if m["sender"] == "user"] == ["what is spasticity?"]
    status, _ = running_bot.request(f"/webhooks/widget/history?session_id={session.session_id}")
    assert status == 405, "never in a URL"
    for forged in ("patient-1", str(uuid.uuid4()), session.key, session.session_id.split(".")[0], "tg:4242"):
        status, body = running_bot.request("/webhooks/widget/history", {"session_id": forged})
        assert status == 403, (forged, status, body)

    rest_sender = session.session_id  # a REST conversation under the widget's own id stays in REST's namespace
    assert running_bot.chat(rest_sender, "what is a baclofen pump?")
    status, body = running_bot.request("/webhooks/widget/history", {"session_id": session.session_id})
    assert [m["text"] for m in body["messages"] if m["sender"] == "user"] == ["what is spasticity?"]


@e2e
def test_only_the_built_widget_files_are_served(running_bot: RunningBot) -> None:
    status, body = running_bot.request("/webhooks/widget/static/widget.js")
    assert status == 200 and "SpasticityWidget" in body
    for name in ("..%2F..%2Fcredentials.yml", "package.json", "..%2Fsrc%2Fwidget.js", "index.html"):
        status, _ = running_bot.request(f"/webhooks/widget/static/{name}")
        assert status == 404, name
    status, page = running_bot.request("/webhooks/widget/")
    assert status == 200 and 'src="/webhooks/widget/static/widget.js"' in page


# ------------------------------------------------------------------------------------------ reconnect


@pytest.mark.system
def test_the_widget_reconnects_after_the_server_restarts(new_context: Callable[..., Any], spare_bot: SpareBot) -> None:
    """Stops the spare bot under an open widget and starts it again on the same port with the same tracker."""
    bot = spare_bot.get()
    url = f"{bot.url}/webhooks/widget/"
    page = new_context().new_page()
    open_widget(page, url)
    before = bot_count(page)
    ask(page, QUESTION)
    wait_for_bot(page, before, CITED)
    assert bot.stop() == 0
    page.wait_for_function(f"() => {ROOT_JS}.querySelector('.sw-status').dataset.state === 'offline'", timeout=30_000)
    assert "Reconnecting" in page.locator(".sw-status").inner_text()
    shot(page, "10-reconnecting.png")
    started = time.monotonic()
    bot = spare_bot.get()  # the same ports and folder, so the same tracker
    page.wait_for_function(f"() => {ROOT_JS}.querySelector('.sw-status').dataset.state === 'online'", timeout=30_000)
    print(f"reconnected {time.monotonic() - started:.1f} s after the restart began")
    assert "Connected again" in page.locator(".sw-status").inner_text()
    before = bot_count(page)
    ask(page, "what is a bac pump?")
    wait_for_bot(page, before)
    shot(page, "11-reconnected-answer.png")
    page.reload()
    page.locator(".sw-msg--user").last.wait_for(timeout=30_000)
    users = [text for sender, text in messages(page) if sender == "user"]
    assert QUESTION in users and "what is a bac pump?" in users, "the conversation survived the restart"
