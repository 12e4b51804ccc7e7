"""``corpusbot eval beir`` and ``corpusbot eval qa``: print a table, optionally write JSON."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.analysis.analyzer import TITLE_WEIGHT
from bot.config import Settings
from bot.evaluation.baseline import BASELINE_NAME, baseline_run
from bot.evaluation.beir import load_beir
from bot.evaluation.metrics import Scores, evaluate
from bot.evaluation.plain_analyzer import plain_first_paragraphs, plain_name
from bot.evaluation.progress import Progress
from bot.evaluation.qa import QaCase, QaReport, evaluate_qa, load_qa
from bot.evaluation.ranking import DocumentRanker, RankingSettings, Rm3
from bot.search.loading import second_stage
from bot.search.service import SearchService

DEPTH = 100  # documents kept per query: enough for Recall@100


def register(commands: Any) -> None:
    """Add the ``eval`` command group to the ``corpusbot`` parser's subcommands."""
    group = commands.add_parser("eval", help="measure retrieval quality (BEIR sets, QA files)")
    kinds = group.add_subparsers(dest="eval_command", required=True)

    beir = kinds.add_parser("beir", help="nDCG@10, Recall@100, MRR@10 on a BEIR-format data set")
    beir.add_argument("folder", type=Path, help="folder with corpus.jsonl[.gz], queries, qrels/")
    beir.add_argument("--split", default="test", help="qrels split to score (default: test)")
    beir.add_argument("--k1", type=float, help="BM25 k1 (default: BM25_K1)")
    beir.add_argument("--b", type=float, help="BM25 b (default: BM25_B)")
    beir.add_argument("--min-words", type=int, help="default: PASSAGE_MIN_WORDS")
    beir.add_argument("--max-words", type=int, help="default: PASSAGE_MAX_WORDS")
    beir.add_argument(
        "--title-weight", type=int, default=TITLE_WEIGHT, help="title repeats per passage"
    )
    beir.add_argument(
        "--rest-weight",
        type=float,
        default=0.0,
        help="document score = best passage + this × the other passages (default 0: best only)",
    )
    beir.add_argument(
        "--rm3",
        type=_rm3,
        metavar="DOCS,TERMS,WEIGHT",
        help="RM3 pseudo-relevance feedback, e.g. 5,10,0.3",
    )
    beir.add_argument(
        "--baseline", action="store_true", help="also measure the rank-bm25 baseline (slower)"
    )
    beir.add_argument("--json", type=Path, metavar="FILE", help="write the report as JSON")
    beir.set_defaults(handler=run_beir)

    qa = kinds.add_parser("qa", help="answer-in-snippet rate of a QA file over the corpus")
    qa.add_argument("file", type=Path, help='JSON lines of {"question", "answer"}')
    qa.add_argument(
        "--corpus", dest="qa_corpus", type=Path, help="corpus folder (default: CORPUS_DIR)"
    )
    qa.add_argument("--json", type=Path, metavar="FILE", help="write the report as JSON")
    qa.add_argument("--show-misses", action="store_true", help="print questions not at rank 1")
    qa.add_argument(
        "--lang",
        metavar="CODE",
        help="the questions' language (ISO 639-1, e.g. de) where a line has no lang of its own",
    )
    qa.add_argument(
        "--baseline",
        action="store_true",
        help="also measure the plain analyzer over whole paragraphs (stemmer from --lang)",
    )
    qa.set_defaults(handler=run_qa)


def ranking_settings(args: argparse.Namespace, settings: Settings) -> RankingSettings:
    """Command-line overrides on top of the bot's own settings."""
    return RankingSettings(
        k1=settings.bm25_k1 if args.k1 is None else args.k1,
        b=settings.bm25_b if args.b is None else args.b,
        min_words=settings.passage_min_words if args.min_words is None else args.min_words,
        max_words=settings.passage_max_words if args.max_words is None else args.max_words,
        title_weight=args.title_weight,
        rest_weight=args.rest_weight,
        rm3=args.rm3,
        second_stage=second_stage(settings),
    )


def _rm3(text: str) -> Rm3:
    """An argparse type: ``DOCS,TERMS,WEIGHT`` such as ``5,10,0.3``."""
    parts = text.split(",")
    try:
        documents, terms, weight = int(parts[0]), int(parts[1]), float(parts[2])
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not DOCS,TERMS,WEIGHT such as 5,10,0.3"
        ) from None
    if len(parts) != 3 or documents < 1 or terms < 1 or not 0 <= weight <= 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: DOCS and TERMS are at least 1 and WEIGHT is between 0 and 1"
        )
    return Rm3(documents, terms, weight)


def run_beir(args: argparse.Namespace, settings: Settings) -> int:
    """Rank every judged query's documents and score the run against the qrels."""
    chosen = ranking_settings(args, settings)
    dataset = load_beir(args.folder, args.split)
    started = time.perf_counter()
    ranker = DocumentRanker(dataset.documents, chosen)
    index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    progress = Progress("ranking queries", len(dataset.queries))
    run = {}
    for done, (query_id, text) in enumerate(dataset.queries.items(), start=1):
        run[query_id] = ranker.rank(text, DEPTH)
        progress(done)
    seconds = time.perf_counter() - started
    rows: dict[str, tuple[Scores, float]] = {
        chosen.describe(): (evaluate(run, dataset.qrels), len(run) / max(seconds, 1e-9))
    }
    if args.baseline:
        started = time.perf_counter()
        progress = Progress("baseline", len(dataset.queries))
        base = baseline_run(dataset.documents, dataset.queries, DEPTH, progress)
        base_qps = len(base) / max(time.perf_counter() - started, 1e-9)
        rows[BASELINE_NAME] = (evaluate(base, dataset.qrels), base_qps)
    print(
        f"{dataset.name} ({args.split}): {len(dataset.queries)} queries, "
        f"{len(dataset.documents)} documents, {ranker.passages} passages, "
        f"indexed in {index_seconds:.1f} s"
    )
    print(_table(rows))
    if args.json:
        report = {
            "dataset": dataset.name,
            "split": args.split,
            "queries": len(dataset.queries),
            "documents": len(dataset.documents),
            "passages": ranker.passages,
            "index_seconds": round(index_seconds, 3),
            "settings": chosen.as_dict(),
            "results": {
                name: {**scores.as_dict(), "queries_per_second": round(qps, 1)}
                for name, (scores, qps) in rows.items()
            },
        }
        _write_json(args.json, report)
    return 0


def run_qa(args: argparse.Namespace, settings: Settings) -> int:
    """Ask every question of the file through the bot's search service."""
    cases = load_qa(args.file, args.lang)
    service = qa_service(args.qa_corpus or settings.corpus_dir, settings)
    report = evaluate_qa(service, cases, Progress("questions", len(cases)))
    print(f"{args.file}: {len(cases)} questions over {service.summary.describe()}")
    print(f"answer in top-1 passage: {report.top1_passage:6.1%}")
    print(f"answer in top-3 passage: {report.top3_passage:6.1%}")
    print(f"answer in top-1 snippet: {report.top1:6.1%}")
    print(f"answer in top-3 snippet: {report.top3:6.1%}")
    print(f"median top-1 snippet:    {report.median_snippet_chars:6.0f} characters")
    payload = {"lang": args.lang, **report.as_dict()}
    if args.baseline:
        payload["baseline"] = _qa_baseline(service, cases, args.lang)
    if args.show_misses:
        _print_misses(report)
    if args.json:
        _write_json(args.json, payload)
    return 0


def _qa_baseline(
    service: SearchService, cases: list[QaCase], lang: str | None
) -> dict[str, object]:
    """The plain analyzer's answer-in-first-paragraph rate on the same corpus and questions."""
    found = plain_first_paragraphs(
        service.documents, cases, lang, Progress("plain analyzer", len(cases))
    )
    share = sum(found) / len(found) if found else 0.0
    name = plain_name(lang)
    print(f"{name}, answer in top-1 paragraph: {share:6.1%}")
    return {"name": name, "answer_in_top1_passage": round(share, 4)}


def qa_service(corpus: Path, settings: Settings) -> SearchService:
    """The bot's search service over ``corpus`` with the bot's settings, its index cached under
    ``INDEX_CACHE_DIR``."""
    return SearchService.from_folder(
        corpus,
        params=settings.bm25,
        min_words=settings.passage_min_words,
        max_words=settings.passage_max_words,
        cache_dir=settings.index_cache_dir,
        second_stage=second_stage(settings),
    )


def _print_misses(report: QaReport) -> None:
    """Each question whose first snippet lacks the answer, marked "not found" (not in the
    first passage) or "not quoted" (in the first passage, but not in its snippet)."""
    for outcome in report.outcomes:
        why = outcome.miss()
        if why is None:
            continue
        where = "not in top 3" if outcome.rank is None else f"rank {outcome.rank}"
        print(f"- [{why}] {outcome.case.question!r} → {outcome.case.answer!r}: snippet {where}")
        print(f"  top snippet: {outcome.top_snippet}")


def _table(rows: Mapping[str, tuple[Scores, float]]) -> str:
    width = max(len("configuration"), *(len(name) for name in rows))
    lines = [f"{'configuration':<{width}}  nDCG@10  R@100   MRR@10  queries/s"]
    for name, (scores, qps) in rows.items():
        lines.append(
            f"{name:<{width}}  {scores.ndcg_at_10:.4f}   {scores.recall_at_100:.4f}  "
            f"{scores.mrr_at_10:.4f}  {qps:9,.0f}"
        )
    return "\n".join(lines)


def _write_json(path: Path, payload: Mapping[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
