"""Question answering as a member sees it: is the answer in the snippet the bot quotes?

A QA file is JSON lines of ``{"question": …, "answer": …}``. A question counts as answered at
rank k when its answer string appears in the *displayed* snippet text (``hit.snippet.plain``) of
one of the first k results, compared case-insensitively with whitespace collapsed, not in the
whole passage, which a member never reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.search.service import SearchService


@dataclass(frozen=True, slots=True)
class QaCase:
    """One question and the answer string its snippet must show."""

    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class QaOutcome:
    """Where (if anywhere in the top 3) the answer was shown, and the top snippet."""

    case: QaCase
    rank: int | None
    top_snippet: str


@dataclass(frozen=True, slots=True)
class QaReport:
    """Answer-in-snippet rates at 1 and 3."""

    outcomes: list[QaOutcome]

    @property
    def top1(self) -> float:
        """Share answered by the first result's snippet."""
        return self._share(1)

    @property
    def top3(self) -> float:
        """Share answered by one of the first three results' snippets."""
        return self._share(3)

    def _share(self, depth: int) -> float:
        if not self.outcomes:
            return 0.0
        hits = sum(1 for o in self.outcomes if o.rank is not None and o.rank <= depth)
        return hits / len(self.outcomes)

    def as_dict(self) -> dict[str, object]:
        """For JSON reports: rates plus every question's outcome."""
        return {
            "questions": len(self.outcomes),
            "answer_in_top1_snippet": round(self.top1, 4),
            "answer_in_top3_snippet": round(self.top3, 4),
            "cases": [
                {
                    "question": o.case.question,
                    "answer": o.case.answer,
                    "rank": o.rank,
                    "top_snippet": o.top_snippet,
                }
                for o in self.outcomes
            ],
        }


def load_qa(path: Path) -> list[QaCase]:
    """Read a QA JSONL file; a malformed line is an error, not a silently smaller test."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict) or not record.get("question") or not record.get("answer"):
            raise ValueError(f"{path}:{number}: needs a non-empty question and answer")
        cases.append(QaCase(str(record["question"]), str(record["answer"])))
    return cases


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def evaluate_qa(
    service: SearchService,
    cases: list[QaCase],
    progress: Callable[[int], None] | None = None,
) -> QaReport:
    """Ask every question through the search service and look for the answer in the snippets."""
    outcomes = []
    for done, case in enumerate(cases, start=1):
        hits = service.search(case.question, limit=3).hits
        answer = _normal(case.answer)
        rank = next((h.rank for h in hits if answer in _normal(h.snippet.plain)), None)
        outcomes.append(QaOutcome(case, rank, hits[0].snippet.plain if hits else ""))
        if progress:
            progress(done)
    return QaReport(outcomes)
