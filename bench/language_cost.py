"""What keeping the conversation's language costs per message, against a running bot (`make run`).

Rasa runs `action_detect_language` after every message (the `language` slot's custom mapping): one more call
to the action server, with offline detection of the text when no channel stamped a language. This prints the
median of a whole REST message and the median of that call alone (the worst case: an unstamped message long
enough to detect), and the share of the one in the other. Issue 13 asks that the added detection cost stay
within 10% per message; the safety net's own cost with both languages is `bench/safety_cost.py`.

Usage: `python -m bench.language_cost [--rasa http://localhost:5005] [--actions http://localhost:5055] [-n 60]`
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.request
import uuid
from typing import Any

QUESTIONS = ("what is baclofen", "how long does botox last", "does stretching help", "what is a bac pump")


def _post(url: str, body: dict[str, Any]) -> float:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    """Measures and prints the two medians and their ratio."""
    parser = argparse.ArgumentParser(prog="python -m bench.language_cost", description=__doc__)
    parser.add_argument("--rasa", default="http://localhost:5005")
    parser.add_argument("--actions", default="http://localhost:5055")
    parser.add_argument("-n", type=int, default=60)
    args = parser.parse_args(argv)
    rest = []
    for n in range(args.n):
        sender = f"bench-lang-{uuid.uuid4().hex[:8]}"
        _post(f"{args.rasa}/webhooks/rest/webhook", {"sender": sender, "message": "hello"})  # the session start
        rest.append(_post(f"{args.rasa}/webhooks/rest/webhook", {"sender": sender, "message": QUESTIONS[n % 4]}))
    text = "what is baclofen and how does it work"
    tracker = {
        "sender_id": "bench-lang",
        "slots": {},
        "latest_message": {"text": text, "intent": {"name": "ask_question"}, "entities": []},
        "events": [{"event": "user", "text": text, "metadata": {}}],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    body = {"next_action": "action_detect_language", "sender_id": "bench-lang", "tracker": tracker, "domain": {}}
    action = [_post(f"{args.actions}/webhook", body) for _ in range(args.n * 2)]
    whole, extra = statistics.median(rest), statistics.median(action)
    print(f"REST message p50 {whole:.1f} ms (n={len(rest)})")
    print(f"action_detect_language round trip p50 {extra:.1f} ms (n={len(action)}), {extra / whole:.1%} of a message")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
