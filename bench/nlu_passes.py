"""spaCy passes per message in the Rasa server: Rasa's `SpacyNLP` text vs the safety net's form (issue 14).

`python -m bench.nlu_passes` times, per message, what the Rasa server's spaCy work costs (process CPU time,
as `bench.safety_cost` does): `SpacyNLP`'s parse plus the safety net, which reads `SpacyNLP`'s doc when its text
is the detectors' form and parses that form again otherwise (`bot.safety.rasa_component.verdict_for`), with

- **lower-cased** (Rasa's `SpacyNLP`, `case_sensitive: false`): every message with an accent, a curly quote, a
  double space or "mix up" is parsed twice;
- **folded** (now: `bot.rasa_patches.spacy_text.SpacyNLP` parses the detectors' form): every message once,

over the safety sets (English and Spanish) and the NLU training examples (ordinary messages). It also checks
that the verdicts equal `SafetyNet.check`'s, and counts how many verdicts would change if the detectors read
the lower-cased doc regardless of its text (why the text must be the detectors' form).
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
    from bot.safety.matching import detector_text
    from bot.safety.rasa_component import verdict_for

    nlp = build_pipeline(load_terms(PROJECT_ROOT / "content" / "terminology.yml"))
    net = SafetyNet(nlp)

    from rasa.nlu.utils.spacy_utils import SpacyModel

    from bot.rasa_patches.spacy_text import SpacyNLP

    folding = SpacyNLP(SpacyModel(model=nlp, model_name="bench"), {"case_sensitive": False})

    def lower_cased(text: str) -> Verdict:
        return verdict_for(net, text, nlp(text.lower()))  # Rasa's SpacyNLP (case_sensitive: false)

    def folded(text: str) -> Verdict:
        return verdict_for(net, text, nlp(folding._preprocess_text(text)))

    sets = {
        "safety-en": load_messages(SETS),
        "safety-es": load_messages(SETS / "es"),
        "nlu-examples": nlu_examples(),
    }
    time_rounds(lower_cased, sets["safety-en"] + sets["safety-es"], 1)  # warm-up
    result: dict[str, Any] = {}
    for name, texts in sets.items():
        spoken = [t for t in texts if t.strip()]
        raw_changes = sum(1 for t in spoken if Verdict(*_detect(net, nlp(t.lower()))) != net.check(t))
        mismatches = sum(1 for t in texts if folded(t) != net.check(t) or lower_cased(t) != net.check(t))
        once_before = sum(1 for t in spoken if detector_text(t) == t.lower())
        once_after = sum(1 for t in spoken if detector_text(t) == folding._preprocess_text(t))
        before, after = time_rounds(lower_cased, texts, args.rounds), time_rounds(folded, texts, args.rounds)
        result[name] = {
            "messages": len(texts),
            "passes_before": round(1 + (len(spoken) - once_before) / len(texts), 3),
            "passes_after": round(1 + (len(spoken) - once_after) / len(texts), 3),
            "before_us": round(statistics.median(before), 1),
            "after_us": round(statistics.median(after), 1),
            "verdicts_differing_from_check": mismatches,
            "lower_cased_doc_would_change": raw_changes,
        }
    print(f"{'set':13} {'msgs':>5} {'passes':>12} {'lower µs':>9} {'folded µs':>9}  lower-cased doc changes")
    for name, row in result.items():
        print(
            f"{name:13} {row['messages']:5d} {row['passes_before']:5.2f} -> {row['passes_after']:4.2f} "
            f"{row['before_us']:9.1f} {row['after_us']:9.1f}  {row['lower_cased_doc_would_change']}"
            + (f"  MISMATCH {row['verdicts_differing_from_check']}" if row["verdicts_differing_from_check"] else "")
        )
    print(json.dumps({"nlu_spacy_passes": result}))
    return 1 if any(r["verdicts_differing_from_check"] for r in result.values()) else 0


def _detect(net: Any, doc: Any) -> tuple[Any, Any]:
    return net.red_flags.detect_doc(doc), net.dosing.detect_doc(doc)


if __name__ == "__main__":
    sys.exit(main())
