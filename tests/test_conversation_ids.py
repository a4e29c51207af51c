"""The conversation key scheme and the widget's signed session ids: one namespace per channel, none forgeable.

Hermetic: the key functions of `bot.channels.conversation_ids` and the signer of `bot.channels.widget_session`.
What each channel does with them is tested in its own module (REST, Socket.IO and Telegram in-process), and
every crossing between channels against the running bot in tests/test_isolation_e2e.py.
"""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa.shared.core.events import UserUttered

from bot.channels.conversation_ids import (
    editor_key,
    namespace_of,
    rest_key,
    rest_sender,
    telegram_chat,
    telegram_key,
    widget_key,
)
from bot.channels.widget_session import SessionIds, idle_expired

SECRET = b"a test's own widget secret, 32 bytes+"


@pytest.mark.parametrize(
    ("key", "namespace"),
    [
        (telegram_key(4242), "tg"),
        (telegram_key("-100200300"), "tg"),
        (widget_key("AbC_-0123456789abcdefg"), "web"),
        (rest_key("local", "me"), "rest"),
        (rest_key("clinic-a", "tg:4242"), "rest"),
        (editor_key("ed-1"), "editor"),
        ("4242", None),
        ("default", None),
        ("sms:4242", None),
    ],
)
def test_each_key_names_its_channel(key: str, namespace: str | None) -> None:
    assert namespace_of(key) == namespace


def test_the_keys_are_written_as_documented() -> None:
    assert telegram_key(4242) == "tg:4242"
    assert widget_key("r") == "web:r"
    assert rest_key("local", "me") == "rest:local:me"
    assert editor_key("ed-1") == "editor:ed-1"


@pytest.mark.parametrize("chat", ["", "tg:1", "12a", "1 2", "9" * 21, "4242\n"])
def test_only_a_telegram_chat_id_makes_a_telegram_key(chat: str) -> None:
    with pytest.raises(ValueError):
        telegram_key(chat)


@pytest.mark.parametrize(
    "key", ["4242", "tg:", "tg:abc", "rest:local:tg:4242", "web:4242", "editor:4242", "xtg:4242", " tg:4242"]
)
def test_a_reply_goes_to_a_telegram_chat_only_from_a_telegram_key(key: str) -> None:
    with pytest.raises(ValueError):
        telegram_chat(key)
    assert telegram_chat("tg:-100200") == "-100200"


@pytest.mark.parametrize("integrator", ["", "Local", "a:b", "a b", "x" * 33, "-a"])
def test_an_integrator_name_cannot_break_out_of_its_namespace(integrator: str) -> None:
    with pytest.raises(ValueError):
        rest_key(integrator, "me")


@given(
    st.sampled_from(["local", "clinic-a", "portal_b"]),
    st.text(min_size=1, max_size=128),
)
def test_a_rest_sender_comes_back_exactly_as_sent(integrator: str, sender: str) -> None:
    key = rest_key(integrator, sender)
    assert rest_sender(key) == sender and namespace_of(key) == "rest"


@given(st.text(max_size=40), st.text(max_size=40))
def test_no_two_clients_of_different_channels_or_integrators_share_a_key(first: str, second: str) -> None:
    """Whatever two clients send, keys made in different namespaces never collide."""
    makers = {
        "rest-a": lambda s: rest_key("a", s),
        "rest-b": lambda s: rest_key("b", s),
        "editor": editor_key,
        "web": widget_key,
    }
    for (one, make_one), (other, make_other) in itertools.combinations(makers.items(), 2):
        assert make_one(first) != make_other(second), (one, other)
    if re.fullmatch(r"-?[0-9]{1,20}", second):
        assert all(make(first) != telegram_key(second) for make in makers.values())


# -- the widget's session ids ------------------------------------------------------------------------------


def test_an_issued_id_is_random_signed_and_its_key_keeps_only_the_random_half() -> None:
    sessions = SessionIds(SECRET)
    ids = {sessions.issue() for _ in range(1000)}
    assert len(ids) == 1000
    for session_id in list(ids)[:20]:
        random_part, tag = session_id.split(".")
        assert len(random_part) == len(tag) == 22  # 16 bytes each: 128 bits of randomness
        assert sessions.key_of(session_id) == f"web:{random_part}"
    assert SessionIds(SECRET).key_of(next(iter(ids))) is not None, "every replica with the secret accepts it"


def test_an_id_is_refused_when_anything_in_it_is_changed() -> None:
    sessions = SessionIds(SECRET)
    session_id = sessions.issue()
    random_part, tag = session_id.split(".")
    flipped = "A" if tag[0] != "A" else "B"
    for forged in (
        f"{random_part}.{flipped}{tag[1:]}",
        f"{flipped}{random_part[1:]}.{tag}",
        f"{random_part}.{tag}=",
        f"{random_part}:{tag}",
        session_id.upper(),
        f" {session_id}",
        random_part,
        f"web:{random_part}",
        SessionIds(b"another server's secret, 32 bytes+").issue(),
        None,
        42,
        ["x"],
    ):
        assert sessions.key_of(forged) is None, forged


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        SessionIds(b"short")


@pytest.mark.parametrize(
    ("age_minutes", "expiry", "expired"),
    [(59, 60, False), (61, 60, True), (10_000, 0, False), (1, 0.5, True)],
)
def test_a_session_is_over_once_idle_past_the_expiry(age_minutes: float, expiry: float, expired: bool) -> None:
    now = 1_800_000_000.0
    events = [UserUttered("old", timestamp=now - 10_000 * 60), UserUttered("last", timestamp=now - age_minutes * 60)]
    assert idle_expired(events, expiry, now) is expired
    assert idle_expired([], expiry, now) is False
