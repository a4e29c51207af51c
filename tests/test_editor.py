"""The editors' web shell in real headless Chromium against a real bot, plus its API and its token.

The bot is the session's shared bot (`running_bot`; what it is started with is in
`tests/support/editor_bot.py`): its own copy of the content with a draft passage, a one-second revision
check, and EDITOR_TOKEN set. Chromium is Debian's /usr/bin/chromium driven by Playwright; screenshots go to
test-artifacts/, and axe-core (pinned in tests/axe, installed by `make editor-axe`) must find no WCAG 2.1
A/AA violation on the page with a conversation, the debug tables and a reload report on it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.channels.editor import EditorInput, replies, token_matches, turn_report
from bot.channels.editor_preview import DEBUG_KEY
from bot.config import PROJECT_ROOT
from bot.replies import REPLY_KEY, SAFE_FALLBACK, Button, Citation, Reply, ReplyKind, render, reply_text
from tests.support.asgi import InProcessApp, channel_app
from tests.support.editor_bot import DRAFT_ID, DRAFT_MARK, DRAFT_QUESTION
from tests.support.replies import StructuredAgent
from tests.support.servers import EDITOR_TOKEN, RunningBot

CHROMIUM = Path("/usr/bin/chromium")
AXE = PROJECT_ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AUTH = {"Authorization": f"Bearer {EDITOR_TOKEN}"}
NEW_PASSAGE_ID = "editor-test-kangaroo-stretch"
NEW_MARK = "KANGAROO-MARK: the kangaroo stretch"
NEW_QUESTION = "What is the kangaroo stretch?"


@pytest.fixture(scope="module")
def bot(running_bot: RunningBot) -> RunningBot:
    return running_bot


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.is_file():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium: run `make browser`.")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, bot: RunningBot) -> Iterator[Any]:
    """The editors' page, logged in with the token (HTTP Basic, as a browser sends it after the prompt)."""
    # Sent with every request rather than after a prompt: once named accounts exist (tests/test_editing_browser.py
    # adds them) the shell answers with its login form instead of asking for Basic credentials; the token works.
    basic = "Basic " + base64.b64encode(f"editor:{EDITOR_TOKEN}".encode()).decode()
    context = browser.new_context(extra_http_headers={"Authorization": basic}, viewport={"width": 1100, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    # Chromium logs every non-2xx fetch; the 422 of a reload with broken files is expected, nothing else is.
    opened.on(
        "console", lambda m: errors.append(m.text) if m.type == "error" and "status of 422" not in m.text else None
    )
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.goto(f"{bot.url}/webhooks/editor/")
    opened.wait_for_selector("#message")
    yield opened
    context.close()
    assert not errors, f"the page logged errors (a CSP block, a script error): {errors}"


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def ask(page: Any, text: str) -> Any:
    """Types a message, sends it and waits for the turn's debug block; returns the last bot reply."""
    before = page.locator("#log > .bot .debug h3:has-text('How the bot understood')").count()
    page.fill("#message", text)
    page.click("#send")
    page.wait_for_function(
        "n => document.querySelectorAll('#log > .bot .debug').length > 0 && "
        "Array.from(document.querySelectorAll('#log > .bot h3')).filter("
        "h => h.textContent.startsWith('How the bot understood')).length > n",
        arg=before,
        timeout=60_000,
    )
    return page.locator("#log > .bot").last


def run_axe(page: Any) -> list[dict[str, Any]]:
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make editor-axe`.")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => "
        "({violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, "
        "nodes: v.nodes.map(n => n.target.join(' '))})), passes: r.passes.length}))",
        AXE_TAGS,
    )
    print(f"axe-core: {result['passes']} rules passed, {len(result['violations'])} violations")
    return list(result["violations"])


def editor_post(bot: RunningBot, path: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    return bot.request(f"/webhooks/editor/{path}", body, headers=AUTH if headers is None else headers)


def preview_message(bot: RunningBot, sender: str, message: str, drafts: bool) -> dict[str, Any]:
    status, body = editor_post(bot, "message", {"sender": sender, "message": message, "drafts": drafts})
    assert status == 200, body
    return dict(body)


def joined(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text", "")) for r in replies)


# -- the token -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessApp]:
    """The editors' channel with its token and no accounts, in-process over ASGI (`tests/support/asgi.py`)."""
    var = tmp_path_factory.mktemp("editor-var")
    channel = EditorInput(EDITOR_TOKEN, accounts_file=var / "editors.json", audit_file=var / "audit.jsonl")
    with channel_app([channel]) as app:
        yield app


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("", None),
        ("static/editor.js", None),
        ("static/editor.css", None),
        ("static/reply.js", None),
        ("status", None),
        ("message", b'{"sender": "x", "message": "hello", "drafts": true}'),
        ("reload", b"{}"),
    ],
)
def test_every_route_answers_401_without_the_editor_token(shell: InProcessApp, path: str, data: bytes | None) -> None:
    url = f"/webhooks/editor/{path}"
    json_type = {"Content-Type": "application/json"}
    wrong_basic = "Basic " + base64.b64encode(b"editor:not-the-token").decode()
    method = "POST" if data is not None else "GET"
    for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": wrong_basic}):
        response = shell.request(method, url, content=data, headers={**json_type, **headers})
        assert response.status_code == 401, (path, headers)
        assert response.headers.get("WWW-Authenticate", "").startswith("Basic ")
    assert shell.agent.messages == [], "nothing reached the bot"
    if data is None:  # with the token the same route serves (the reload and message routes are tested below)
        assert shell.request("GET", url, headers=AUTH).status_code == 200


def test_the_language_switch_answers_as_a_page_in_that_language(shell: InProcessApp) -> None:
    """The shell's "Answer as a page in" switch: the language goes as metadata, as a widget page's would."""
    url = "/webhooks/editor/message"
    before = len(shell.agent.messages)
    response = shell.request("POST", url, json={"sender": "es-test", "message": "hola", "lang": "es"}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert shell.agent.messages[before].metadata["lang"] == "es"
    response = shell.request("POST", url, json={"sender": "es-test", "message": "hola", "lang": "fr"}, headers=AUTH)
    assert response.status_code == 400 and response.json()["message"] == '"lang" must be one of en, es.'


def test_a_cross_site_post_is_refused_even_with_the_token(shell: InProcessApp) -> None:
    response = shell.request(
        "POST", "/webhooks/editor/reload", json={}, headers={**AUTH, "Origin": "https://evil.example"}
    )
    assert response.status_code == 403, response.text


def test_the_channel_serves_nothing_without_a_token(caplog: pytest.LogCaptureFixture) -> None:
    async def on_message(_message: Any) -> None:
        raise AssertionError("never called")

    for token in (None, "short"):
        caplog.clear()
        blueprint = EditorInput(token).blueprint(on_message)
        assert not blueprint._future_routes, "no route at all, not even the page"
        assert "Editors' web shell is OFF" in caplog.text
    assert EditorInput(EDITOR_TOKEN).blueprint(on_message)._future_routes


# -- what an editor sees ---------------------------------------------------------------------------------


def test_the_api_reports_intent_entities_passages_and_policy(bot: RunningBot) -> None:
    body = preview_message(bot, "api-1", "What is Lioresal and how does it work?", drafts=False)
    assert body["intent"]["name"] and 0 < body["intent"]["confidence"] <= 1
    assert any(e["value"] == "baclofen" and e["text"] == "Lioresal" for e in body["entities"]), body["entities"]
    answer = next(a for a in body["actions"] if a["name"].startswith("action_") and a["name"] != "action_listen")
    assert answer["policy"] and answer["confidence"] is not None
    preview = body["replies"][-1]["preview"]
    assert preview["drafts"] is False and preview["revision"] >= 1
    best = preview["searches"][0][0]
    assert best["chosen"] and best["id"] in preview["chosen"] and 0 < best["score"] <= 1
    assert best["sources"] and best["sources"][0]["url"].startswith("https://")
    assert "baclofen" in body["replies"][-1]["text"].lower()


def test_a_chat_in_the_browser_shows_why_the_bot_answered(page: Any) -> None:
    reply = ask(page, "What is Lioresal and how does it work?")
    text = reply.inner_text()
    assert "baclofen" in text.lower()
    intent = reply.locator("dd[data-field='intent']").inner_text()
    assert "confidence 0." in intent or "confidence 1.000" in intent
    assert "baclofen" in reply.locator("dd[data-field='entities']").inner_text()
    policies = reply.locator("table:has(caption:has-text('policy')) td").all_inner_texts()
    assert any(p.endswith("Policy") for p in policies), policies
    ranked = reply.locator("table:has(caption:has-text('Search 1')) tbody tr")
    assert ranked.count() >= 1
    first = ranked.first.inner_text()
    assert "(used)" in first and "published" in first and "https" not in first  # sources are link text
    assert ranked.first.locator("a[href^='https://']").count() >= 1
    quick = reply.locator(".quick-replies button")
    if quick.count():
        quick.first.click()
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('#log > .bot h3')).filter("
            "h => h.textContent.startsWith('How the bot understood')).length >= 2",
            timeout=60_000,
        )
    screenshot(page, "editor-chat.png")
    violations = run_axe(page)
    assert violations == [], json.dumps(violations, indent=2)


def test_bot_and_user_text_is_never_run_as_html(page: Any) -> None:
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    ask(page, attack)
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.locator("#log .user .text").last.inner_text() == attack
    assert page.locator("#log img, #log script").count() == 0


# -- drafts ----------------------------------------------------------------------------------------------


def test_the_drafts_switch_shows_a_draft_that_patients_never_get(page: Any, bot: RunningBot) -> None:
    without = ask(page, DRAFT_QUESTION)
    assert DRAFT_MARK not in without.inner_text()
    page.check("#drafts")
    with_drafts = ask(page, DRAFT_QUESTION)
    assert DRAFT_MARK in with_drafts.inner_text()
    row = with_drafts.locator(f"tr:has(code:text-is('{DRAFT_ID}'))").first
    assert "draft" in row.locator(".badge").inner_text()
    assert "drafts included" in with_drafts.inner_text()
    screenshot(page, "editor-drafts.png")
    violations = run_axe(page)
    assert violations == [], json.dumps(violations, indent=2)

    # Patients over REST never get it, even when they claim to be the editors' channel with made-up metadata.
    patients: list[tuple[str, dict[str, Any]]] = [
        ("patient-draft-1", {"message": DRAFT_QUESTION}),
        (
            "patient-draft-2",
            {
                "message": DRAFT_QUESTION,
                "input_channel": "editor",
                "metadata": {"editor_preview": {"drafts": True, "signature": "0" * 64}},
            },
        ),
    ]
    for sender, body in patients:
        status, replies = bot.request("/webhooks/rest/webhook", {"sender": sender, **body})
        assert status == 200 and replies, replies
        assert DRAFT_MARK not in joined(replies)
    # And the editors' channel itself shows it only when asked.
    assert DRAFT_MARK not in joined(preview_message(bot, "api-draft", DRAFT_QUESTION, drafts=False)["replies"])
    assert DRAFT_MARK in joined(preview_message(bot, "api-draft", DRAFT_QUESTION, drafts=True)["replies"])


# -- reload ----------------------------------------------------------------------------------------------


def content_dir(bot: RunningBot) -> Path:
    return Path(bot.env["CONTENT_DIR"])


def new_passage(animal: str = "kangaroo") -> dict[str, Any]:
    """A made-up passage; each test that loads one uses its own animal, so no test sees another's leftovers.

    (After a load the running bot may answer a turn or two from the content it had: a test must not depend
    on another test's passage being gone.)
    """
    return {
        "id": f"editor-test-{animal}-stretch",
        "topic": "physiotherapy",
        "title": f"The {animal} stretch",
        "text": f"{animal.upper()}-MARK: the {animal} stretch is a made-up calf stretch that exists only in this "
        "test's content folder.",
        "questions": [
            f"What is the {animal} stretch?",
            f"How do I do the {animal} stretch?",
            f"Does the {animal} stretch help stiff legs?",
        ],
        "sources": ["NINDS-SP"],
        "reviewed": "2026-11-25",
        "status": "published",
    }


def test_the_reload_button_loads_changed_files_without_a_restart(page: Any, bot: RunningBot) -> None:
    question = NEW_QUESTION
    assert NEW_MARK not in joined(bot.chat("patient-reload-1", question))
    pid = bot.process.pid
    added = content_dir(bot) / "passages" / "zz-editor-test-reload.yml"
    broken = content_dir(bot) / "passages" / "zz-editor-test-broken.yml"
    try:
        # A broken file: every problem is listed and nothing changes.
        broken.write_text(yaml.safe_dump({"passages": [{**new_passage(), "id": "broken-one", "sources": []}]}))
        page.click("#reload")
        page.wait_for_selector("#reload-problems li")
        problems = page.locator("#reload-problems").inner_text()
        assert "zz-editor-test-broken.yml" in problems and "broken-one" in problems
        assert "keeps the previous content" in page.locator("#reload-summary").inner_text()
        screenshot(page, "editor-reload-errors.png")
        broken.unlink()

        added.write_text(yaml.safe_dump({"passages": [new_passage()]}))
        page.click("#reload")
        page.wait_for_selector("#reload-summary.ok")
        clicked = time.monotonic()
        assert "passages: +1" in page.locator("#reload-summary").inner_text()
        assert "content revision" in page.locator("#reload-status").inner_text()
        # Asked once, right after "loaded" (issue 16 point 2): the action server reads the revision before the
        # turn and answers from the new content, with no waiting and no second ask.
        seen = joined(bot.chat("patient-reload-2", question))
        print(f"reload: asked {time.monotonic() - clicked:.2f} s after the load finished")
        assert NEW_MARK in seen, seen
        assert bot.process.pid == pid and bot.process.poll() is None, "no restart"
        reply = ask(page, question)
        assert NEW_MARK in reply.inner_text()
        screenshot(page, "editor-reload.png")
        violations = run_axe(page)
        assert violations == [], json.dumps(violations, indent=2)
    finally:
        broken.unlink(missing_ok=True)
        added.unlink(missing_ok=True)
        editor_post(bot, "reload", {})


def test_content_reloaded_while_serving_fails_no_request(bot: RunningBot) -> None:
    # Patients keep asking (each sender stays under the test bot's low rate limit) while editors reload
    # two different versions of a passage back and forth; every request must get a full answer.
    passage_file = content_dir(bot) / "passages" / "zz-editor-test-reload-under-load.yml"
    mark, question = "WALLABY-MARK", "What is the wallaby stretch?"
    versions = [new_passage("wallaby"), {**new_passage("wallaby"), "text": f"{mark} (second version) is made up."}]
    results: list[tuple[int, str]] = []
    stop = threading.Event()
    lock = threading.Lock()

    def patient(worker: int) -> None:
        count = 0
        while not stop.is_set():
            count += 1
            sender = f"patient-load-{worker}-{count}"
            for message in (question, "what is spasticity?"):
                status, replies = bot.request("/webhooks/rest/webhook", {"sender": sender, "message": message})
                text = joined(replies) if isinstance(replies, list) else str(replies)
                with lock:
                    results.append((status, text))

    workers = [threading.Thread(target=patient, args=(i,)) for i in range(3)]
    started = time.monotonic()
    try:
        for worker in workers:
            worker.start()
        reloads = 0
        for index in range(4):
            passage_file.write_text(yaml.safe_dump({"passages": [versions[index % 2]]}))
            with lock:
                seen = len(results)
            status, report = editor_post(bot, "reload", {})
            assert status == 200 and report["changed"] >= 1, report
            reloads += 1
            # Each version is swapped in while the patients keep asking: wait until it is served (the index
            # rebuild takes seconds on a busy machine) before loading the next one.
            second = index % 2 == 1
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with lock:
                    fresh = [t for _, t in results[seen:] if mark in t]
                if any(("(second version)" in t) == second for t in fresh):
                    break
                time.sleep(0.5)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=120)
        passage_file.unlink(missing_ok=True)
        editor_post(bot, "reload", {})
    failed = [(s, t[:200]) for s, t in results if s != 200 or "not medical advice" not in t]
    print(f"reload under load: {len(results)} requests in {time.monotonic() - started:.1f} s, {reloads} reloads")
    assert len(results) >= 10 and not failed, failed[:5]
    texts = "\n".join(t for _, t in results)
    assert "(second version)" in texts, "the second version was served while the patients kept asking"


# -- the channel's helpers, on their own -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Bearer {EDITOR_TOKEN}", True),
        ("Basic " + base64.b64encode(f"anyone:{EDITOR_TOKEN}".encode()).decode(), True),
        ("Basic " + base64.b64encode(f"{EDITOR_TOKEN}:".encode()).decode(), False),  # the token as user name
        (f"Bearer {EDITOR_TOKEN}x", False),
        (f"Token {EDITOR_TOKEN}", False),
        ("Basic !!!not-base64", False),
        ("Basic " + base64.b64encode(b"\xff\xfe:x").decode(), False),
        ("", False),
        (None, False),
    ],
)
def test_token_matching(header: str | None, expected: bool) -> None:
    assert token_matches(header, EDITOR_TOKEN) is expected


def test_the_turn_report_reads_intent_entities_and_policies_from_events() -> None:
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_session_start", "policy": None, "confidence": None},
        {
            "event": "user",
            "text": "is Lioresal safe?",
            "parse_data": {
                "intent": {"name": "ask_question", "confidence": 0.91},
                "intent_ranking": [{"name": "ask_question", "confidence": 0.91}, {"name": "greet", "confidence": 0.05}],
                "entities": [{"entity": "THERAPY", "value": "baclofen", "start": 3, "end": 11, "extractor": "X"}],
            },
        },
        {"event": "action", "name": "action_answer_question", "policy": "RulePolicy", "confidence": 1.0},
        {"event": "slot", "name": "topic", "value": "baclofen"},
        {"event": "bot", "text": "Baclofen..."},
        {"event": "action", "name": "action_listen", "policy": "RulePolicy", "confidence": 1.0},
    ]
    report = turn_report(events)
    assert report["intent"] == {"name": "ask_question", "confidence": 0.91}
    assert report["entities"][0]["text"] == "Lioresal" and report["entities"][0]["value"] == "baclofen"
    assert [a["policy"] for a in report["actions"]] == ["RulePolicy", "RulePolicy"]
    assert report["slots"] == [{"name": "topic", "value": "baclofen"}]
    assert turn_report([])["intent"] is None


def cited_reply() -> Reply:
    citation = Citation(1, "NHS-BAC", "NHS", "Baclofen", "https://www.nhs.uk/medicines/baclofen/")
    return Reply(ReplyKind.ANSWER, "Baclofen relaxes muscles. [1]", (citation,), (Button("More", "/more"),))


def structured(text: str) -> dict[str, Any]:
    """An answer with its preview data, as the action sends it; "...without its disclaimer" breaks its data."""
    kwargs = render(cited_reply()).as_kwargs()
    kwargs["json_message"] = {DEBUG_KEY: {"chosen": ["p1"]}}
    if "without its disclaimer" in text:
        kwargs[REPLY_KEY] = {**kwargs[REPLY_KEY], "disclaimer": ""}
    return kwargs


def ask_structured(message: str) -> list[dict[str, Any]]:
    with channel_app([EditorInput(EDITOR_TOKEN)], StructuredAgent(structured)) as app:
        response = app.request(
            "POST", "/webhooks/editor/message", json={"sender": "s", "message": message}, headers=AUTH
        )
    assert response.status_code == 200, response.text
    return list(response.json()["replies"])


def test_the_page_gets_each_reply_as_data_with_its_preview() -> None:
    message = render(cited_reply())
    assert message.data is not None
    assert ask_structured("what is baclofen?") == [
        {
            "text": message.text,
            "buttons": [{"title": "More", "payload": "/more"}],
            "reply": message.data.as_json(),
            "preview": {"chosen": ["p1"]},
        }
    ]


def test_a_reply_without_its_disclaimer_cannot_be_rendered_and_the_safe_fallback_is_sent() -> None:
    [reply] = ask_structured("a reply without its disclaimer")
    assert reply["reply"] == SAFE_FALLBACK.as_json() and reply["text"] == reply_text(SAFE_FALLBACK)
    assert reply["preview"] == {"chosen": ["p1"]}  # editors still see what was ranked


def test_a_plain_message_keeps_its_text() -> None:
    assert replies([{"recipient_id": "e", "text": "Goodbye"}]) == [
        {"text": "Goodbye", "buttons": [], "reply": None, "preview": None}
    ]
