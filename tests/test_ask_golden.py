"""``corpusbot ask --json`` prints, byte for byte, what the recorded answers in
``tests/data/ask_golden.jsonl`` hold: 32 questions over the seed article and the SciFact slice,
recorded before the code was split into packages. A change that moves code must not move an
answer; a change meant to alter ranking or snippets re-records the file and says why."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import DATA, SEED_DIR

GOLDEN = DATA / "ask_golden.jsonl"


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_ask_json_prints_the_recorded_answers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    backend: str,
) -> None:
    if backend == "numba":
        pytest.importorskip("numba")
    else:
        monkeypatch.setenv("CORPUSBOT_NO_NUMBA", "1")
    scifact = tmp_path / "scifact-slice"
    scifact.mkdir()
    with gzip.open(DATA / "scifact-slice" / "corpus.jsonl.gz", "rb") as packed:
        (scifact / "corpus.jsonl").write_bytes(packed.read())
    folders = {"seed": SEED_DIR, "scifact-slice": scifact}
    monkeypatch.setenv("INDEX_CACHE_DIR", str(tmp_path / "cache"))
    cases = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]
    assert len(cases) == 32
    for case in cases:
        monkeypatch.setenv("CORPUS_DIR", str(folders[case["corpus"]]))
        assert main(["ask", case["question"], "--json", "-k", "3"]) == 0
        assert capsys.readouterr().out == case["output"], case["question"]
