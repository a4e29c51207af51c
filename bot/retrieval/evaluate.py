"""Retrieval quality: recall@1 and recall@3 of a question-to-passage set.

`python -m bot.retrieval.evaluate tests/eval/retrieval.yml` (`make eval-retrieval`). Ranking goes through
`BotService.rank`, the very code that chooses answers, over the content files and a pipeline built from the
terminology in memory, so the figures do not depend on a database or a previous build. The questions must
not be the passages' own lay questions: those are indexed, and would measure memory, not retrieval.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.config import get_settings
from bot.service import BotService, service_from_content


@dataclass(frozen=True)
class Pair:
    """A question and the passage ids that correctly answer it."""

    question: str
    passages: tuple[str, ...]


@dataclass
class RetrievalReport:
    """Ranks of the first correct passage for every pair (None when not in the top results)."""

    ranks: list[int | None] = field(default_factory=list)
    misses: list[tuple[Pair, list[str]]] = field(default_factory=list)

    def recall(self, k: int) -> float:
        """Share of pairs with a correct passage in the top k."""
        return sum(1 for r in self.ranks if r is not None and r <= k) / len(self.ranks) if self.ranks else 0.0

    def mrr(self) -> float:
        """Mean reciprocal rank."""
        return sum(1 / r for r in self.ranks if r) / len(self.ranks) if self.ranks else 0.0


def normalise(text: str) -> str:
    """Lower case, letters and digits only: for comparing questions."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def load_pairs(path: Path) -> list[Pair]:
    """Reads a `pairs:` file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for index, item in enumerate(data.get("pairs") or [], start=1):
        passages = item.get("passages") or ([item["passage"]] if item.get("passage") else [])
        if not item.get("question") or not passages:
            raise ValueError(f"{path}: pair {index}: needs 'question' and 'passages'")
        pairs.append(Pair(str(item["question"]), tuple(str(p) for p in passages)))
    return pairs


def evaluate(service: BotService, pairs: list[Pair], depth: int = 10) -> RetrievalReport:
    """Ranks every question and records where the first correct passage lands."""
    report = RetrievalReport()
    for pair in pairs:
        hits, _ = service.rank(pair.question, limit=depth)
        ids = [h.passage.id for h in hits]
        rank = next((i + 1 for i, pid in enumerate(ids) if pid in pair.passages), None)
        report.ranks.append(rank)
        if rank != 1:
            report.misses.append((pair, ids[:3]))
    return report


def main(argv: list[str] | None = None) -> int:
    """Prints recall@1, recall@3, MRR and every miss; exit 1 below the targets."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.retrieval.evaluate", description=__doc__)
    parser.add_argument("pairs", type=Path)
    parser.add_argument("--content-dir", type=Path, default=settings.content_dir)
    parser.add_argument("--min-recall1", type=float, default=0.85)
    parser.add_argument("--min-recall3", type=float, default=0.95)
    args = parser.parse_args(argv)
    pairs = load_pairs(args.pairs)
    service = service_from_content(args.content_dir)
    unknown = sorted({p for pair in pairs for p in pair.passages} - set(service.bundle.passages))
    if unknown:
        print(f"Unknown passage ids in {args.pairs}: {', '.join(unknown)}", file=sys.stderr)
        return 2
    report = evaluate(service, pairs)
    for pair, top in report.misses:
        print(f"miss: {pair.question!r}\n      wanted {list(pair.passages)}, got {top}")
    distinct = len({p for pair in pairs for p in pair.passages})
    print(
        f"\n{len(pairs)} questions over {distinct} passages: recall@1 {report.recall(1):.1%}, "
        f"recall@3 {report.recall(3):.1%}, MRR {report.mrr():.3f}"
    )
    met = report.recall(1) >= args.min_recall1 and report.recall(3) >= args.min_recall3
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
