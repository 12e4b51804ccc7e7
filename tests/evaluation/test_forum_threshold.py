"""scripts/forum_threshold.py, which docs/quality.md's FORUM_MIN_SCORE figures come from: its
choice on synthetic posts, and a run end to end on the test slices."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "scripts" / "forum_threshold.py"
XQUAD = ROOT / "tests" / "data" / "xquad-slice" / "en"
SEED_QA = ROOT / "tests" / "data" / "seed_qa.jsonl"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("forum_threshold", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_the_threshold_separates_good_answers_from_the_rest(script: ModuleType) -> None:
    post = script.Post
    on = [post("a", 12.0, True), post("b", 9.0, True), post("c", 7.0, False)]
    off = [post("d", 8.0, False), post("e", 3.0, False), post("f", 0.0, False)]
    chosen = script.best_threshold(on, off)
    assert chosen.threshold == 9.0  # both good posts, none of the others
    assert (chosen.good_answered, chosen.others_answered) == (1.0, 0.0)
    too_low = script.row(7.0, on, off)
    assert too_low.wrong_answered == 1.0 and too_low.off_answered == pytest.approx(1 / 3)
    assert too_low.gain < chosen.gain


def test_script_runs_on_the_slices(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), str(XQUAD / "corpus"), str(XQUAD / "qa.jsonl"), str(SEED_QA)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PATH": "", "KERNEL_CACHE_DIR": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[1].startswith("posts: 58 on-topic") and lines[1].endswith("17 off-topic")
    assert lines[2].startswith("chosen on half A: ")
    assert sum("← chosen" in line for line in lines) == 1
