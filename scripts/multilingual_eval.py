"""Issue 17's table: answers in 12 languages, each alone and all in one corpus.

For each language folder of XQuAD's dev half (``<data>/<lang>/corpus/`` and ``<lang>/qa.jsonl``)
this runs what ``corpusbot eval qa <lang>/qa.jsonl --corpus <lang>/corpus --lang <lang>
--baseline`` runs, then puts every language's paragraphs in one folder and asks every question
there (``<work>/corpus/xquad-<lang>.jsonl``, ``<work>/qa.jsonl``, each line with its ``lang``;
documents are ``xquad-<lang>/<id>``, so the languages' shared paragraph ids never collide). It
prints one Markdown table with the issue's "done when" verdict per language, and optionally
writes JSON. Indexes are kept under ``INDEX_CACHE_DIR``, so a rerun only asks the questions.

    .venv/bin/python scripts/multilingual_eval.py ../shared/eval-data/xquad-dev --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.config import Settings
from bot.evaluation.cli import qa_service
from bot.evaluation.plain_analyzer import plain_first_paragraphs
from bot.evaluation.qa import QaOutcome, QaReport, evaluate_qa, load_qa

LANGUAGES = ("en", "es", "de", "el", "ru", "tr", "ar", "vi", "th", "zh", "hi", "ro")
# Issue 17's "done when": the first passage at least as often as the plain analyzer (Hindi,
# where that analyzer is weaker: not below corpusbot's own rate before the multilingual
# analysis, 488 of the dev half's 612 questions; the 76.6 % missed the answers typed
# with composed nukta letters), the first snippet within 5 points of that, and the mixed corpus
# within 2 points of the languages' mean.
HINDI_PASSAGE_BEFORE = 488 / 612
SNIPPET_MARGIN = 0.05
MIXED_MARGIN = 0.02


@dataclass(frozen=True, slots=True)
class Rates:
    """Answer in the first passage and in the first snippet, as shares of ``questions``."""

    questions: int
    passage: float
    snippet: float

    @classmethod
    def of(cls, outcomes: Sequence[QaOutcome]) -> Rates:
        """The rates of these questions' outcomes."""
        report = QaReport(list(outcomes))
        return cls(len(outcomes), report.top1_passage, report.top1)


@dataclass(frozen=True, slots=True)
class LanguageResult:
    """One language: alone, beside the plain analyzer, and within the mixed corpus."""

    lang: str
    alone: Rates
    plain_passage: float
    mixed: Rates | None = None
    mixed_own_language: float | None = None  # first passage from a document of the question's

    @property
    def bar(self) -> float:
        """The first-passage rate to reach."""
        return HINDI_PASSAGE_BEFORE if self.lang == "hi" else self.plain_passage

    @property
    def passes(self) -> bool:
        """Issue 17's per-language "done when"."""
        return self.alone.passage >= self.bar and self.alone.snippet >= self.bar - SNIPPET_MARGIN

    def verdict(self) -> str:
        """ "pass", or what falls short and by how many points."""
        short = []
        if self.alone.passage < self.bar:
            short.append(f"passage {_points(self.alone.passage - self.bar)}")
        if self.alone.snippet < self.bar - SNIPPET_MARGIN:
            short.append(f"snippet {_points(self.alone.snippet - self.bar + SNIPPET_MARGIN)}")
        return "pass" if not short else "fail: " + ", ".join(short)


@dataclass(frozen=True, slots=True)
class MixedResult:
    """Every question of every language over every language's paragraphs."""

    all: Rates
    mean_passage: float  # of the languages alone
    mean_snippet: float

    @property
    def passes(self) -> bool:
        """Issue 17's mixed-corpus "done when", on both rates."""
        return (
            self.all.passage >= self.mean_passage - MIXED_MARGIN
            and self.all.snippet >= self.mean_snippet - MIXED_MARGIN
        )


def measure_language(data: Path, lang: str, settings: Settings) -> tuple[LanguageResult, QaReport]:
    """``eval qa --baseline`` on one language's folder."""
    cases = load_qa(data / lang / "qa.jsonl", lang)
    service = qa_service(data / lang / "corpus", settings)
    report = evaluate_qa(service, cases)
    found = plain_first_paragraphs(service.documents, cases, lang)
    plain = sum(found) / len(found) if found else 0.0
    return LanguageResult(lang, Rates.of(report.outcomes), plain), report


def write_mixed(data: Path, languages: Sequence[str], work: Path) -> Path:
    """Every language's paragraphs in ``work/corpus/`` and all their questions, each with its
    ``lang``, in ``work/qa.jsonl``; files whose bytes are unchanged are left alone, so the
    cached index stays valid."""
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for stale in set(corpus.iterdir()) - {corpus / f"xquad-{lang}.jsonl" for lang in languages}:
        stale.unlink()
    lines = []
    for lang in languages:
        for source in sorted((data / lang / "corpus").glob("*.jsonl")):
            _write_if_changed(corpus / f"xquad-{lang}.jsonl", source.read_bytes())
        for case in load_qa(data / lang / "qa.jsonl", lang):
            record = {"question": case.question, "answer": case.answer, "lang": case.lang}
            lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    questions = work / "qa.jsonl"
    _write_if_changed(questions, "".join(lines).encode("utf-8"))
    return questions


def _write_if_changed(path: Path, content: bytes) -> None:
    if not path.is_file() or path.read_bytes() != content:
        path.write_bytes(content)


def measure_mixed(
    results: list[LanguageResult], questions: Path, settings: Settings
) -> tuple[list[LanguageResult], MixedResult]:
    """The mixed corpus: overall, and each language's questions within it."""
    report = evaluate_qa(qa_service(questions.parent / "corpus", settings), load_qa(questions))
    by_language: dict[str, list[QaOutcome]] = {}
    for outcome in report.outcomes:
        by_language.setdefault(outcome.case.lang or "", []).append(outcome)
    with_mixed = []
    for result in results:
        outcomes = by_language.get(result.lang, [])
        own = [o.top_passage_id.startswith(f"xquad-{result.lang}/") for o in outcomes]
        share = sum(own) / len(own) if own else 0.0
        with_mixed.append(_with_mixed(result, Rates.of(outcomes), share))
    mixed = MixedResult(
        Rates.of(report.outcomes),
        statistics.fmean(r.alone.passage for r in results),
        statistics.fmean(r.alone.snippet for r in results),
    )
    return with_mixed, mixed


def _with_mixed(result: LanguageResult, mixed: Rates, own_language: float) -> LanguageResult:
    return LanguageResult(result.lang, result.alone, result.plain_passage, mixed, own_language)


def markdown_table(results: Sequence[LanguageResult], mixed: MixedResult | None) -> str:
    """One row a language, then the mixed corpus and its verdict."""
    lines = [
        "| language | passage | snippet | plain analyzer, passage | bar | mixed: passage "
        "| mixed: snippet | mixed: first passage in the question's language | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        in_mixed = [r.mixed.passage, r.mixed.snippet] if r.mixed else [None, None]
        cells = [r.alone.passage, r.alone.snippet, r.plain_passage, r.bar, *in_mixed]
        cells.append(r.mixed_own_language)
        lines.append(f"| {r.lang} | " + " | ".join(map(_percent, cells)) + f" | {r.verdict()} |")
    if mixed:
        verdict = "pass" if mixed.passes else "fail"
        lines.append(
            f"| mean of the languages | {_percent(mixed.mean_passage)} "
            f"| {_percent(mixed.mean_snippet)} | | | | | | |"
        )
        lines.append(
            f"| **mixed corpus** ({mixed.all.questions} questions) | | | | "
            f"{_percent(mixed.mean_passage - MIXED_MARGIN)} / "
            f"{_percent(mixed.mean_snippet - MIXED_MARGIN)} | {_percent(mixed.all.passage)} "
            f"| {_percent(mixed.all.snippet)} | | {verdict} |"
        )
    return "\n".join(lines)


def _percent(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.1f}"


def _points(difference: float) -> str:
    return f"{100 * difference:+.1f}"


def report_json(results: Sequence[LanguageResult], mixed: MixedResult | None) -> dict[str, object]:
    """Everything in the table, as numbers, with each language's verdict."""
    return {
        "languages": {
            r.lang: {**asdict(r), "bar": r.bar, "passes": r.passes, "verdict": r.verdict()}
            for r in results
        },
        "mixed": None if mixed is None else {**asdict(mixed), "passes": mixed.passes},
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every language, then the mixed corpus; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="folder of <lang>/corpus/ and <lang>/qa.jsonl")
    parser.add_argument("--langs", default=",".join(LANGUAGES), help="comma-separated codes")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "corpusbot-xquad-mixed",
        help="where the mixed corpus is written (default: a folder in the temp dir)",
    )
    parser.add_argument("--no-mixed", action="store_true", help="only the languages alone")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the report as JSON")
    args = parser.parse_args(argv)
    languages = [code.strip() for code in args.langs.split(",") if code.strip()]
    missing = [lang for lang in languages if not (args.data / lang / "qa.jsonl").is_file()]
    if missing:
        parser.error(f"no <lang>/qa.jsonl in {args.data} for: {', '.join(missing)}")
    settings = Settings()
    results = []
    for lang in languages:
        result, _ = measure_language(args.data, lang, settings)
        print(f"{lang}: {result.verdict()}", file=sys.stderr)
        results.append(result)
    mixed = None
    if not args.no_mixed:
        questions = write_mixed(args.data, languages, args.work_dir)
        results, mixed = measure_mixed(results, questions, settings)
    print(markdown_table(results, mixed))
    if args.json:
        args.json.write_text(json.dumps(report_json(results, mixed), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
