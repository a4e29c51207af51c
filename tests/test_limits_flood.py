"""A short flood against a real bot: the other conversations are still answered, the flood gets 429s.

The bot is the system tier's spare bot (launcher: action server + Rasa server), with the default limits.
`bench.flood` sends the flood from 127.0.0.2 (oversized bodies, a new sender per message, page requests) while
normal conversations ask questions from addresses of their own. This checks correctness only: the latency
figures (p50/p95 with and without the flood) are `python -m bench.flood`'s to print, not a test's to judge.
"""

from __future__ import annotations

import asyncio

from bench.flood import run
from tests.support.servers import SpareBot


def test_under_a_flood_from_one_address_the_others_are_answered_and_the_flood_refused(spare_bot: SpareBot) -> None:
    bot = spare_bot.get()
    result = asyncio.run(run(bot.url, seconds=5.0, normal=2, attackers=3))
    assert result["baseline"]["answered"] >= 2 and result["baseline"]["unanswered"] == 0
    under = result["under_flood"]
    assert under["answered"] >= 2 and under["unanswered"] == 0, result
    statuses = result["flood"]["statuses"]
    assert statuses.get("429", 0) > 0, result  # the address ran out of its budget
    assert statuses.get("413", 0) + statuses.get("connection closed", 0) > 0, result  # bodies over the limit
    assert statuses.get("other", 0) == 0, result
    # The server is still there for everyone afterwards.
    assert bot.chat("after-the-flood", "what is spasticity?")
