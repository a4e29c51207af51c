"""spaCy passes per message in the Rasa server: the safety net parsing again vs reusing `SpacyNLP`'s doc.

`python -m bench.nlu_passes` times, per message, what the Rasa server's spaCy work costs (process CPU time,
as `bench.safety_cost` does): `SpacyNLP`'s parse of the lower-cased text plus the safety net, either

- **twice** (before: the safety net parses its normalised text again with `SafetyNet.check`), or
- **reused** (now: `bot.safety.rasa_component.verdict_for` reads `SpacyNLP`'s doc when the normalised text is
  the same text, and parses only otherwise),

over the safety sets (English and Spanish) and the NLU training examples (ordinary messages). It also counts
the messages where the doc is reused, checks that the reused verdicts equal `SafetyNet.check`'s, and counts
how many verdicts would change if the raw doc were read regardless of normalisation (why the check exists).
Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from typing import Any

import yaml

from bench.safety_cost import SETS, load_messages, time_rounds
from bot.config import PROJECT_ROOT


def nlu_examples() -> list[str]:
    """The training examples of data/nlu.yml, without entity annotations."""
    import re

    data = yaml.safe_load((PROJECT_ROOT / "data" / "nlu.yml").read_text(encoding="utf-8"))
    texts = []
    for block in data.get("nlu") or []:
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                texts.append(re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", r"\1\2", line[2:]))
    return texts


def main(argv: list[str] | None = None) -> int:
    """Builds the pipeline from the terminology, then measures each set both ways."""
    parser = argparse.ArgumentParser(prog="python -m bench.nlu_passes", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds over each set (default 5)")
    args = parser.parse_args(argv)

    from bot.nlp.pipeline import build_pipeline
    from bot.nlp.terminology import load_terms
    from bot.safety import SafetyNet, Verdict
    from bot.safety.rasa_component import verdict_for

    nlp = build_pipeline(load_terms(PROJECT_ROOT / "content" / "terminology.yml"))
    net = SafetyNet(nlp)

    def twice(text: str) -> Verdict:
        nlp(text.lower())  # SpacyNLP (case_sensitive: false)
        return net.check(text)

    def reused(text: str) -> Verdict:
        return verdict_for(net, text, nlp(text.lower()))

    sets = {
        "safety-en": load_messages(SETS),
        "safety-es": load_messages(SETS / "es"),
        "nlu-examples": nlu_examples(),
    }
    time_rounds(twice, sets["safety-en"] + sets["safety-es"], 1)  # warm-up
    result: dict[str, Any] = {}
    for name, texts in sets.items():
        raw_changes = sum(1 for t in texts if t.strip() and Verdict(*_detect(net, nlp(t.lower()))) != net.check(t))
        mismatches = sum(1 for t in texts if reused(t) != net.check(t))
        shared = sum(1 for t in texts if t.strip() and _same_text(t))
        before, after = time_rounds(twice, texts, args.rounds), time_rounds(reused, texts, args.rounds)
        result[name] = {
            "messages": len(texts),
            "doc_reused": shared,
            "passes_before": 2.0,
            "passes_after": round(1 + (len([t for t in texts if t.strip()]) - shared) / len(texts), 3),
            "before_us": round(statistics.median(before), 1),
            "after_us": round(statistics.median(after), 1),
            "verdicts_differing_from_check": mismatches,
            "raw_doc_would_change": raw_changes,
        }
    print(f"{'set':13} {'msgs':>5} {'reused':>6} {'passes':>11} {'before µs':>10} {'after µs':>9}  raw-doc changes")
    for name, row in result.items():
        print(
            f"{name:13} {row['messages']:5d} {row['doc_reused']:6d} {row['passes_before']:4.1f} -> "
            f"{row['passes_after']:4.2f} {row['before_us']:10.1f} {row['after_us']:9.1f}  {row['raw_doc_would_change']}"
            + (f"  MISMATCH {row['verdicts_differing_from_check']}" if row["verdicts_differing_from_check"] else "")
        )
    print(json.dumps({"nlu_spacy_passes": result}))
    return 1 if any(r["verdicts_differing_from_check"] for r in result.values()) else 0


def _detect(net: Any, doc: Any) -> tuple[Any, Any]:
    return net.red_flags.detect_doc(doc), net.dosing.detect_doc(doc)


def _same_text(text: str) -> bool:
    from bot.safety.matching import detector_text

    return detector_text(text) == text.lower()


if __name__ == "__main__":
    sys.exit(main())
