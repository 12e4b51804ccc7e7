"""Question answering as a member sees it: is the answer in the snippet the bot quotes?

A QA file is JSON lines of ``{"question": …, "answer": …}``, optionally with ``"lang"``, the
ISO 639-1 code of the question's language. A question counts as answered at
rank k when its answer string appears in the *displayed* snippet text (``hit.snippet.plain``) of
one of the first k results, compared in Unicode NFC, case-insensitively with whitespace
collapsed, not in the whole passage, which a member never reads. The same test on the whole
passage text shows how many answers were found but not quoted: the gap between the two is the
snippet's to close.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.search.service import SearchHit, SearchService

DEPTH = 3  # results looked at per question: the first and the first three


@dataclass(frozen=True, slots=True)
class QaCase:
    """One question and the answer string its snippet must show."""

    question: str
    answer: str
    lang: str | None = None

    @property
    def half(self) -> str:
        """ "A" or "B", fixed by the parity of the first byte of the question's SHA-1: tuning
        sweeps choose on half A and check on half B, so no gain rests on single questions."""
        return "A" if hashlib.sha1(self.question.encode("utf-8")).digest()[0] % 2 == 0 else "B"


@dataclass(frozen=True, slots=True)
class QaOutcome:
    """Where (if anywhere in the top 3) the answer was shown and found, and the top snippet."""

    case: QaCase
    rank: int | None
    passage_rank: int | None
    top_snippet: str
    top_passage_id: str = ""

    def as_dict(self) -> dict[str, object]:
        """One question's outcome for JSON reports."""
        return {
            "question": self.case.question,
            "answer": self.case.answer,
            "lang": self.case.lang,
            "rank": self.rank,
            "passage_rank": self.passage_rank,
            "answer_in_top1_snippet": _within(self.rank, 1),
            "answer_in_top3_snippet": _within(self.rank, DEPTH),
            "answer_in_top1_passage": _within(self.passage_rank, 1),
            "answer_in_top3_passage": _within(self.passage_rank, DEPTH),
            "top_snippet": self.top_snippet,
            "top_passage_id": self.top_passage_id,
        }

    def miss(self) -> str | None:
        """Why the first snippet lacks the answer, or None when it shows it."""
        if self.rank == 1:
            return None
        if self.passage_rank == 1:
            return "not quoted: in the first passage, not in its snippet"
        return "not found: not in the first passage"


@dataclass(frozen=True, slots=True)
class QaReport:
    """Answer-in-snippet and answer-in-passage rates at 1 and 3."""

    outcomes: list[QaOutcome]

    @property
    def top1(self) -> float:
        """Share answered by the first result's snippet."""
        return self._share([o.rank for o in self.outcomes], 1)

    @property
    def top3(self) -> float:
        """Share answered by one of the first three results' snippets."""
        return self._share([o.rank for o in self.outcomes], DEPTH)

    @property
    def top1_passage(self) -> float:
        """Share whose answer is anywhere in the first result's passage."""
        return self._share([o.passage_rank for o in self.outcomes], 1)

    @property
    def top3_passage(self) -> float:
        """Share whose answer is anywhere in one of the first three results' passages."""
        return self._share([o.passage_rank for o in self.outcomes], DEPTH)

    @property
    def median_snippet_chars(self) -> float:
        """Median length of the first snippet as a member reads it (ellipses included)."""
        lengths = [len(o.top_snippet) for o in self.outcomes if o.top_snippet]
        return statistics.median(lengths) if lengths else 0.0

    def _share(self, ranks: Sequence[int | None], depth: int) -> float:
        if not ranks:
            return 0.0
        return sum(1 for rank in ranks if _within(rank, depth)) / len(ranks)

    def as_dict(self) -> dict[str, object]:
        """For JSON reports: rates plus every question's outcome."""
        return {
            "questions": len(self.outcomes),
            "answer_in_top1_snippet": round(self.top1, 4),
            "answer_in_top3_snippet": round(self.top3, 4),
            "answer_in_top1_passage": round(self.top1_passage, 4),
            "answer_in_top3_passage": round(self.top3_passage, 4),
            "median_snippet_chars": self.median_snippet_chars,
            "cases": [o.as_dict() for o in self.outcomes],
        }


def _within(rank: int | None, depth: int) -> bool:
    return rank is not None and rank <= depth


def load_qa(path: Path, lang: str | None = None) -> list[QaCase]:
    """Read a QA JSONL file; a malformed line is an error, not a silently smaller test. A
    question without a ``"lang"`` of its own gets ``lang``."""
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
        own = record.get("lang")
        if own is not None and not (isinstance(own, str) and own.strip()):
            raise ValueError(f'{path}:{number}: lang must be a language code such as "de"')
        case_lang = own.strip() if isinstance(own, str) else lang
        cases.append(QaCase(str(record["question"]), str(record["answer"]), case_lang))
    return cases


def _normal(text: str) -> str:
    # NFC, as the corpus loader stores text: Hindi's "ड़" (U+095C) is stored as "ड" + nukta, and
    # an answer typed the composed way must still be found.
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def answer_in(answer: str, text: str) -> bool:
    """Whether ``text`` holds ``answer``, in NFC, case-insensitively, whitespace collapsed."""
    return _normal(answer) in _normal(text)


def _first_rank(
    hits: Sequence[SearchHit], answer: str, text: Callable[[SearchHit], str]
) -> int | None:
    return next((h.rank for h in hits if answer in _normal(text(h))), None)


def evaluate_qa(
    service: SearchService,
    cases: list[QaCase],
    progress: Callable[[int], None] | None = None,
) -> QaReport:
    """Ask every question through the search service, its ``lang`` as the hint a member's
    Discord locale gives; look for the answer in the snippets and in the whole passages."""
    outcomes = []
    for done, case in enumerate(cases, start=1):
        hits = service.search(case.question, limit=DEPTH, locale=case.lang).hits
        answer = _normal(case.answer)
        outcomes.append(
            QaOutcome(
                case,
                rank=_first_rank(hits, answer, lambda h: h.snippet.plain),
                passage_rank=_first_rank(hits, answer, lambda h: h.passage.text),
                top_snippet=hits[0].snippet.plain if hits else "",
                top_passage_id=hits[0].passage.id if hits else "",
            )
        )
        if progress:
            progress(done)
    return QaReport(outcomes)
