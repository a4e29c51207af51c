"""Retrieval quality: recall@1 and recall@3 of a question-to-passage set, and an offline answer check.

`python -m bot.tools.retrieval_evaluation tests/eval/retrieval.yml` (`make eval-retrieval`). Ranking goes through
`BotService.rank`, the very code that chooses answers, over the content files and a pipeline built from the
terminology in memory, so the figures do not depend on a database or a previous build. The questions must
not be the passages' own lay questions: those are indexed, and would measure memory, not retrieval.

`python -m bot.tools.retrieval_evaluation --answers tests/eval/questions.yml` judges the `answer` questions of a
question file the way `make eval` does (`bot.evaluation.judge` on the rendered reply), but calls
`BotService.answer_question` directly: no Rasa server, no trained model, a few seconds. It measures the
library and the ranking alone; the live evaluation also depends on NLU routing the message to the answer
action.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.config import get_settings
from bot.evaluation import Question, judge, load_questions
from bot.factory import service_from_content
from bot.replies import render
from bot.service import BotService


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


@dataclass(frozen=True)
class AnswerResult:
    """One `answer` question answered offline: the judge's reasons (empty when it passes) and what was shown."""

    question: Question
    reasons: list[str]
    passage_ids: tuple[str, ...]
    score: float


def check_answers(service: BotService, questions: list[Question]) -> list[AnswerResult]:
    """Answers every `answer` question with the service and judges the rendered reply.

    Each question is asked in a fresh conversation (no topic under discussion), as `make eval` does.
    """
    results = []
    for question in questions:
        if question.category != "answer":
            continue
        turn = service.answer_question(question.text)
        hits, _ = service.rank(question.text, limit=1)
        reply = render(turn.reply).text
        score = hits[0].score if hits else 0.0
        results.append(AnswerResult(question, judge(question, reply), turn.reply.passage_ids, score))
    return results


def answers_main(path: Path, service: BotService, target: float) -> int:
    """Prints the offline answer pass rate and every failure; exit 1 below the target."""
    try:
        questions = load_questions(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"Cannot read {path}: {exc}", file=sys.stderr)
        return 2
    results = check_answers(service, questions)
    if not results:
        print(f"No 'answer' questions in {path}", file=sys.stderr)
        return 2
    failures = [r for r in results if r.reasons]
    for result in failures:
        q = result.question
        print(f"fail: {q.id} [{q.topic}] {q.text!r}")
        print(f"      why: {'; '.join(result.reasons)}")
        print(f"      shown: {list(result.passage_ids) or 'no answer'} (best score {result.score:.2f})")
    passed = len(results) - len(failures)
    rate = passed / len(results)
    print(f"\n{passed}/{len(results)} answer questions pass offline: {rate:.1%} (threshold {service.threshold})")
    return 0 if rate >= target else 1


def main(argv: list[str] | None = None) -> int:
    """Prints recall@1, recall@3, MRR and every miss (or, with --answers, the answer check); exit 1 below target."""
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m bot.tools.retrieval_evaluation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("pairs", type=Path, nargs="?", help="a `pairs:` file (question to passage ids)")
    parser.add_argument("--answers", type=Path, help="a question file: judge its `answer` questions offline")
    parser.add_argument("--content-dir", type=Path, default=settings.content_dir)
    parser.add_argument("--min-recall1", type=float, default=0.85)
    parser.add_argument("--min-recall3", type=float, default=0.95)
    parser.add_argument("--target", type=float, default=0.90, help="answer pass rate required with --answers")
    args = parser.parse_args(argv)
    if args.pairs is None and args.answers is None:
        parser.error("give a pairs file, --answers QUESTIONS, or both")
    service = service_from_content(args.content_dir)
    code = 0
    if args.answers is not None:
        code = answers_main(args.answers, service, args.target)
        if args.pairs is None:
            return code
        print()
    try:
        pairs = load_pairs(args.pairs)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"Cannot read {args.pairs}: {exc}", file=sys.stderr)
        return 2
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
    return max(code, 0 if met else 1)


if __name__ == "__main__":
    sys.exit(main())
