"""scripts/snippet_sweep.py runs end to end on the seed QA set and agrees with the bot.

docs/quality.md's snippet-choice table is measured with that script, so its rows stay
reproducible only while the script runs and its reimplementation of the bot's choice matches
``select_snippet``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bot.evaluation.qa import evaluate_qa, load_qa
from bot.search.service import SearchService

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "scripts" / "snippet_sweep.py"
SEED = ROOT / "tests" / "data" / "seed"
SEED_QA = ROOT / "tests" / "data" / "seed_qa.jsonl"


@pytest.fixture(scope="module")
def sweep() -> ModuleType:
    spec = importlib.util.spec_from_file_location("snippet_sweep", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up by name while the script's classes are made.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_script_prints_a_row_per_idea_of_the_family(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), str(SEED_QA), "--corpus", str(SEED), "--exp", "budget"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"INDEX_CACHE_DIR": str(tmp_path), "PATH": ""},
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("17 questions: half A 11, half B 6")
    ideas = [line.split("  ")[0] for line in lines[2:]]
    assert ideas == [
        "default: the bot's select_snippet (= eval qa)",
        "before: best sentence + best neighbour",
        "before's choice, 360 chars",
        "before's choice, 400 chars",
        "local idf 0.5, 400 chars",
    ]
    assert "94.1 (100.0)" in lines[2]


def test_default_row_is_eval_qa(sweep: ModuleType, tmp_path: Path) -> None:
    service = SearchService.from_folder(SEED, cache_dir=tmp_path, progress=False)
    cases = load_qa(SEED_QA)
    report = evaluate_qa(service, cases)
    every = sweep.tally(sweep.prepare(service, cases), sweep.bot_snippet)["all"]
    assert every.top1 / every.questions == report.top1
    assert every.top3 / every.questions == report.top3
    assert sorted(every.lengths) == sorted(len(o.top_snippet) for o in report.outcomes)


def test_kept_choice_rebuilds_the_bots_snippet(sweep: ModuleType, tmp_path: Path) -> None:
    service = SearchService.from_folder(SEED, cache_dir=tmp_path, progress=False)
    questions = sweep.prepare(service, load_qa(SEED_QA))
    for q in questions:
        for text in q.passages:
            question = q.case.question
            assert sweep.snippet(sweep.KEPT, question, text, q.weights) == sweep.bot_snippet(
                question, text, q.weights
            )
