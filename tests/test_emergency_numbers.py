"""Local emergency and help numbers (#16 point 4): parsed and checked at start, and in every reply that names them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from actions.sending import in_language
from bot import wording
from bot.config import PROJECT_ROOT, Settings, get_settings
from bot.emergency_numbers import DEFAULT, LocalNumbers, Phone, local_numbers, parse_numbers
from bot.language import CHANNEL, DETECTED, LanguageState
from bot.replies import Reply, ReplyKind, checked, render, safe_fallback
from bot.safety import RedFlag
from bot.service import BotService
from bot.wording import render_words

AUSTRALIA = "Australia: 000; Lifeline: 13 11 14"
LOCAL = LocalNumbers(emergency=(Phone("Australia", "000"), Phone("Lifeline", "13 11 14")))
# Every number of the default lists, English and Spanish: none may be left once a deployment sets its own.
# (NHS 111, the UK's same-day line, is named as such where the library sends people there the same day.)
DEFAULT_NUMBERS = ("911", "999", "112", "988", "116 123", "1-800-222-1222", "024", "800 911 2000")


def default_numbers_in(text: str) -> list[str]:
    """The default numbers a text still gives (a number inside a longer run of digits does not count)."""
    return [n for n in DEFAULT_NUMBERS if re.search(rf"(?<![\d-]){re.escape(n)}(?![\d-])", text)]


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's settings with EMERGENCY_NUMBERS set to Australia's numbers, as a deployment would set them."""
    monkeypatch.setenv("EMERGENCY_NUMBERS", AUSTRALIA)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# -- the setting -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ()),
        ("  ", ()),
        ("Australia: 000", (Phone("Australia", "000"),)),
        (AUSTRALIA, (Phone("Australia", "000"), Phone("Lifeline", "13 11 14"))),
        (
            " New  Zealand :111 ;Healthline: 0800 611 116 ",
            (Phone("New Zealand", "111"), Phone("Healthline", "0800 611 116")),
        ),
        ("Mobile: +61 2 9999-0000", (Phone("Mobile", "+61 2 9999-0000"),)),
        ("NHS: 111: 111", (Phone("NHS: 111", "111"),)),  # the number is what follows the last colon
    ],
)
def test_emergency_numbers_are_read_as_label_and_number_entries(value: str, expected: tuple[Phone, ...]) -> None:
    assert parse_numbers(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Australia 000", "entry 1 ('Australia 000') has no ':'"),
        (": 000", "entry 1 (': 000') has no label"),
        ("Australia: 000;", "entry 2 ('') is empty"),
        (";", "entry 1 ('') is empty"),
        ("Australia: 000; Lifeline: thirteen", "entry 2 ('Lifeline: thirteen'): 'thirteen' is not a phone number"),
        ("Australia: 0 0 0 ext. 1", "is not a phone number"),
        ("Australia: 000+", "is not a phone number"),
        ("Australia: +", "is not a phone number"),
        ("Australia:", "'' is not a phone number"),
        (f"{'x' * 81}: 000", "label longer than 80"),
    ],
)
def test_a_bad_value_is_refused_with_the_entry_and_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(ValueError, match="EMERGENCY_NUMBERS") as raised:
        parse_numbers(value)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EMERGENCY_NUMBERS": "Australia 000"}, "EMERGENCY_NUMBERS entry 1"),
        ({"CRISIS_NUMBERS": "Lifeline: 13-11-14-"}, "CRISIS_NUMBERS entry 1"),
        ({"POISON_NUMBERS": "Poisons"}, "POISON_NUMBERS entry 1"),
        ({"HUMAN_HELP_URL": "www.example.org/help"}, "HUMAN_HELP_URL"),
        ({"HUMAN_HELP_URL": "javascript:alert(1)"}, "HUMAN_HELP_URL"),
        ({"HUMAN_HELP_PHONE": "call us"}, "HUMAN_HELP_PHONE"),
        ({"HUMAN_HELP_NAME": "MS Society helpline"}, "neither HUMAN_HELP_URL nor HUMAN_HELP_PHONE"),
    ],
)
def test_the_settings_refuse_a_bad_value(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=re.escape(message)):
        Settings.from_env()


def test_the_settings_read_the_numbers_and_the_person_to_talk_to(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMERGENCY_NUMBERS", AUSTRALIA)
    monkeypatch.setenv("POISON_NUMBERS", "Poisons Information: 13 11 26")
    monkeypatch.setenv("HUMAN_HELP_URL", "https://www.msaustralia.org.au/contact/")
    monkeypatch.setenv("HUMAN_HELP_NAME", " MS   Connect ")
    local = Settings.from_env().local_numbers
    assert local.line("emergency", "en") == "000 (Australia), 13 11 14 (Lifeline)"
    assert local.line("crisis", "en") == "call 000 (Australia), 13 11 14 (Lifeline)"  # none of its own
    assert local.line("poison", "es") == "llame al 13 11 26 (Poisons Information)"
    assert local.human is not None and local.human.name == "MS Connect" and local.human.phone is None


def test_unset_the_numbers_are_the_default_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EMERGENCY_NUMBERS", "CRISIS_NUMBERS", "POISON_NUMBERS", "HUMAN_HELP_URL", "HUMAN_HELP_PHONE"):
        monkeypatch.delenv(name, raising=False)
    assert Settings.from_env().local_numbers == DEFAULT
    assert DEFAULT.line("emergency", "en") == wording.EMERGENCY_NUMBER_LIST
    assert DEFAULT.line("crisis", "es") == wording.ES_CRISIS_LINE_LIST
    for text in [*wording.ENGLISH.values(), *wording.SPANISH.values(), wording.GATEWAY_UNAVAILABLE]:
        assert DEFAULT.localise(text) == text


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "bot.rasa_server", "run"],
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", "0"],
        [sys.executable, "-m", "bot.launcher", "run"],
    ],
    ids=["rasa-server", "action-server", "launcher"],
)
def test_no_server_starts_with_a_bad_value(command: list[str]) -> None:
    env = {"PATH": "/usr/bin:/bin", "EMERGENCY_NUMBERS": "Australia 000; Lifeline: 13 11 14"}
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "EMERGENCY_NUMBERS entry 1 ('Australia 000') has no ':'" in done.stderr, done.stderr[-2000:]
    assert "Starting action endpoint server" not in done.stderr or "cannot start" in done.stderr


# -- the fixed wording --------------------------------------------------------------------------------------

EVERY_FIXED_TEXT = [
    *wording.ENGLISH.values(),
    *wording.SPANISH.values(),
    wording.TELEGRAM_HELP,
    wording.TELEGRAM_SORRY,
    wording.GATEWAY_UNAVAILABLE,
    wording.CANNOT_SHOW,
]


@pytest.mark.parametrize("text", [t for t in EVERY_FIXED_TEXT if default_numbers_in(t)])
def test_every_fixed_text_that_gives_numbers_gives_the_local_ones(text: str) -> None:
    local = LOCAL.localise(text)
    assert default_numbers_in(local) == [], local
    assert "000 (Australia), 13 11 14 (Lifeline)" in local


def test_crisis_and_poison_lines_of_their_own_replace_only_their_lists() -> None:
    local = LocalNumbers(
        emergency=(Phone("Australia", "000"),),
        crisis=(Phone("Lifeline", "13 11 14"),),
        poison=(Phone("Poisons Information", "13 11 26"),),
    )
    assert local.localise(wording.EMERGENCY_NUMBERS).endswith(
        "straight away: 000 (Australia). Do not wait for a reply here."
    )
    assert local.localise(wording.CRISIS_LINES).endswith("help is there now: call 13 11 14 (Lifeline).")
    assert local.localise(wording.SPANISH["poison_help"]).endswith(
        "pida consejo ahora: llame al 13 11 26 (Poisons Information)."
    )


def test_the_phones_a_text_gives_are_those_of_its_lists_each_once() -> None:
    text = f"{wording.EMERGENCY_NUMBERS}\n{wording.CRISIS_LINES}"
    assert [p.number for p in DEFAULT.phones(text)] == ["911", "999", "112", "988", "116 123"]
    assert DEFAULT.phones("Call 999 for an emergency.") == ()  # a number outside a list is not ours to link
    local = LOCAL.localise(text)
    assert LOCAL.phones(local) == (Phone("Australia", "000"), Phone("Lifeline", "13 11 14"))
    assert Phone("Lifeline", "13 11 14").tel == "tel:131114" and Phone("x", "+61 2 9999-0000").tel == "tel:+61299990000"


# -- replies -----------------------------------------------------------------------------------------------

EMERGENCIES = [
    ("my sons pump is making a two tone alarm", RedFlag.PUMP_ALARM),
    ("i want to end my life", RedFlag.SUICIDE_SELF_HARM),
    ("my mum took a whole pack of baclofen", RedFlag.OVERDOSE),
    ("he stopped his baclofen and is seeing things", RedFlag.ORAL_WITHDRAWAL),
    ("his face is drooping and his speech is slurred", RedFlag.STROKE),
]
LANGUAGES = [LanguageState("en", CHANNEL), LanguageState("es", CHANNEL), LanguageState("es", DETECTED)]


def sent(service: BotService, reply: Reply, language: LanguageState, message: str) -> dict[str, Any]:
    localised, words = in_language(service, reply, language, message)
    return render(localised, **words).as_kwargs()


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize("language", LANGUAGES, ids=["en", "es", "es-guessed"])
@pytest.mark.parametrize(("message", "flag"), EMERGENCIES, ids=[f.value for _, f in EMERGENCIES])
def test_an_emergency_reply_gives_only_the_local_numbers(
    real_service: BotService, message: str, flag: RedFlag, language: LanguageState
) -> None:
    assert local_numbers().emergency == LOCAL.emergency
    message_sent = sent(real_service, real_service.emergency(message, flag), language, message)
    # What the reply says (its sources keep their titles, such as the NHS page "When to call 999").
    text = "\n".join(p["text"] for p in message_sent["reply"]["paragraphs"])
    assert "000 (Australia), 13 11 14 (Lifeline)" in text.split("\n")[0], text
    assert default_numbers_in(text) == [], text
    phones = message_sent["reply"]["phones"]
    assert [(p["number"], p["tel"]) for p in phones] == [("000", "tel:000"), ("13 11 14", "tel:131114")]
    call = "Llamar al 000 (Australia)" if language.lang == "es" else "Call 000 (Australia)"
    assert phones[0]["call"] == call


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize("language", LANGUAGES[:2], ids=["en", "es"])
def test_a_dosing_question_about_an_overdose_gives_only_the_local_numbers(
    real_service: BotService, language: LanguageState
) -> None:
    message = "how many baclofen would be an overdose"
    reply = sent(real_service, real_service.refuse_dosing(message), language, message)["reply"]
    text = "\n".join(p["text"] for p in reply["paragraphs"])
    assert "000 (Australia)" in text and default_numbers_in(text) == [], text


@pytest.mark.usefixtures("configured")
def test_the_unavailable_reply_and_the_safe_fallback_give_the_local_numbers(real_service: BotService) -> None:
    for lang in ("en", "es"):
        reply = real_service.unavailable()
        localised, words = in_language(real_service, reply, LanguageState(lang, CHANNEL))
        text = render(localised, **words).text
        assert "000 (Australia)" in text and default_numbers_in(text) == []
    fallback = checked({"text": "x", "reply": {"not": "reply data"}})
    assert fallback == safe_fallback() and fallback is not None
    assert "000 (Australia)" in fallback.paragraphs[0].text and not default_numbers_in(fallback.paragraphs[0].text)


def test_unset_a_reply_says_what_it_said_before(real_service: BotService) -> None:
    reply = real_service.emergency("my sons pump is making a two tone alarm", RedFlag.PUMP_ALARM)
    text = render(reply, **render_words("en")).text
    assert text.startswith(wording.EMERGENCY_NUMBERS)
    assert render(Reply(ReplyKind.MENU, "Hi")).data is not None


# -- the content's placeholders -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Call emergency services now: {emergency_number}.", "unknown placeholder {emergency_number}"),
        ("Call emergency services now: {Emergency_Numbers}.", "unknown placeholder {Emergency_Numbers}"),
        ("Reach out now: {crisis_lines.", "a '{' or '}' that is not part of a placeholder"),
        ("Call 911 in the US, 999 in the UK, 112 in the EU.", "the number 911 written out"),
        ("Samaritans are on 116 123, day or night.", "the number 116 123 written out"),
    ],
)
def test_the_loader_refuses_unknown_placeholders_and_numbers_written_out(
    content_factory: Any, text: str, problem: str
) -> None:
    from bot.content.loader import ContentValidationError, load_bundle
    from tests.conftest import TODAY, valid_content_data

    _sources, _topics, passages = valid_content_data()
    passages["passages"][0]["text"] = text
    with pytest.raises(ContentValidationError) as raised:
        load_bundle(content_factory(passages={"a.yml": passages}), today=TODAY)
    assert any(problem in str(p) and "p1" in str(p) for p in raised.value.problems), raised.value.problems


def test_known_placeholders_load_and_are_stored_as_written(content_factory: Any) -> None:
    from bot.content.loader import load_bundle
    from tests.conftest import TODAY, valid_content_data

    _sources, _topics, passages = valid_content_data()
    text = "Call emergency services now: {emergency_numbers}. Reach out now: {crisis_lines}. NHS 111 can help."
    passages["passages"][0]["text"] = text
    assert load_bundle(content_factory(passages={"a.yml": passages}), today=TODAY).passages["p1"].text == text


def test_the_library_names_the_numbers_only_through_placeholders(real_service: BotService) -> None:
    texts = [p.text for p in real_service.bundle.passages.values()]
    assert sum("{emergency_numbers}" in t for t in texts) >= 40
    assert sum("{crisis_lines}" in t for t in texts) >= 4 and sum("{poison_help}" in t for t in texts) >= 1
    assert not [t for t in texts if default_numbers_in(t)]
    protocol = real_service.safety_replies.protocol()
    assert "{poison_help}" in " ".join(protocol["overdose"].immediate_es)
    assert "{crisis_lines}" in " ".join(protocol["suicide-self-harm"].immediate)


@pytest.mark.usefixtures("configured")
def test_an_answer_fills_its_placeholders_with_the_local_numbers(real_service: BotService) -> None:
    turn = real_service.answer_question("what happens if you stop baclofen suddenly")
    text = render(turn.reply).text
    assert "{" not in text and "000 (Australia), 13 11 14 (Lifeline)" in text, text


def test_retrieval_never_sees_the_numbers(real_service: BotService) -> None:
    """The index holds the placeholders, never the numbers: no answer is found (or missed) by a phone number."""
    _bundle, _retriever, analyser = real_service._ensure_loaded()
    from bot.retrieval.index import passage_text

    tokens = {t for p in real_service.bundle.passages.values() for t in analyser.analyse(passage_text(p)).tokens}
    assert "emergency_numbers" in tokens and not {"911", "988", "1-800-222-1222"} & tokens


# -- the scaled setup's gateway -----------------------------------------------------------------------------


def test_the_gateways_fallback_reply_gives_the_local_numbers(tmp_path: Any) -> None:
    import dataclasses
    import json

    from bot.scaled import render_nginx, unavailable_action_response

    body = unavailable_action_response(LOCAL)
    assert "'" not in body
    text = json.loads(body)["responses"][0]["text"]
    assert "000 (Australia), 13 11 14 (Lifeline)" in text and default_numbers_in(text) == []
    assert json.loads(unavailable_action_response())["responses"][0]["text"] == wording.GATEWAY_UNAVAILABLE
    settings = dataclasses.replace(Settings.from_env(), local_numbers=LOCAL)
    assert f"return 200 '{body}';" in render_nginx(settings, tmp_path, 2)


def test_the_kubernetes_gateway_file_is_rewritten_for_local_numbers(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from bot.scaled import K8S_FALLBACK, K8S_GATEWAY, k8s_gateway_conf
    from bot.tools.k8s_gateway import main

    committed = K8S_GATEWAY.read_text(encoding="utf-8")
    assert k8s_gateway_conf(DEFAULT, committed) == committed, "the committed file gives the default numbers"
    conf = tmp_path / "action-gateway.conf"
    conf.write_text(committed, encoding="utf-8")
    monkeypatch.setenv("EMERGENCY_NUMBERS", AUSTRALIA)
    assert main(["--conf", str(conf), "--check"]) == 1
    assert main(["--conf", str(conf)]) == 0 and main(["--conf", str(conf), "--check"]) == 0
    written = conf.read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(committed.split("\n"), written.split("\n"), strict=True) if a != b]
    assert len(changed) == 1, "only the fallback reply changes"
    match = K8S_FALLBACK.search(written)
    assert match is not None
    assert "000 (Australia), 13 11 14 (Lifeline)" in json.loads(match[2])["responses"][0]["text"]
    monkeypatch.setenv("EMERGENCY_NUMBERS", "Australia 000")
    assert main(["--conf", str(conf)]) == 1 and conf.read_text(encoding="utf-8") == written


def test_the_community_env_file_feeds_the_pods_and_the_gateway_file(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deploy/community.env is the ConfigMap both server containers read, and `make k8s-gateway` reads it too."""
    import yaml

    from bot.config import PROJECT_ROOT
    from bot.scaled import K8S_GATEWAY
    from bot.tools.k8s_gateway import COMMUNITY_ENV, main, read_env_file

    kustomization = yaml.safe_load((PROJECT_ROOT / "deploy" / "kustomization.yaml").read_text())
    generated = {g["name"]: g for g in kustomization["configMapGenerator"]}
    assert generated["spasticity-community"]["envs"] == ["community.env"]
    for manifest, name in (("actions.yaml", "actions"), ("rasa.yaml", "rasa")):
        documents = yaml.safe_load_all((PROJECT_ROOT / "deploy" / "k8s" / manifest).read_text())
        deployment = next(d for d in documents if d and d.get("kind") == "Deployment")
        container = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name)
        assert {"configMapRef": {"name": "spasticity-community"}} in container.get("envFrom", []), manifest
    assert read_env_file(COMMUNITY_ENV) == {}, "the committed file sets nothing: the default numbers"

    monkeypatch.setenv("EMERGENCY_NUMBERS", "United States: 911")  # the shell's value loses to the file's
    env_file, conf = tmp_path / "community.env", tmp_path / "action-gateway.conf"
    conf.write_text(K8S_GATEWAY.read_text(encoding="utf-8"), encoding="utf-8")
    env_file.write_text(f"# ours\nEMERGENCY_NUMBERS={AUSTRALIA}\n", encoding="utf-8")
    assert main(["--conf", str(conf), "--env-file", str(env_file)]) == 0
    assert "000 (Australia)" in conf.read_text(encoding="utf-8")
    assert os.environ["EMERGENCY_NUMBERS"] == "United States: 911", "the tool leaves the environment alone"
    env_file.write_text(f'EMERGENCY_NUMBERS="{AUSTRALIA}"\n', encoding="utf-8")
    assert main(["--conf", str(conf), "--env-file", str(env_file)]) == 1, "quotes would reach the pods"
