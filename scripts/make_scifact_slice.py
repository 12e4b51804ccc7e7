"""Cut the small SciFact slice committed under tests/data/scifact-slice/ (run once; kept for
reproducibility).

100 train queries (every 8th by id), every document they judge relevant, and as distractors the
3 best non-relevant documents for each query by the rank-bm25 baseline, so the slice is as hard
as the full collection near the top of the ranking. Usage:

    .venv/bin/python scripts/make_scifact_slice.py \
        ../shared/eval-data/scifact tests/data/scifact-slice
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from bot.evaluation.baseline import baseline_run
from bot.evaluation.beir import load_beir
from bot.evaluation.metrics import ranked

QUERIES = 100
DISTRACTORS = 3


def main(source: Path, target: Path) -> None:
    """Write corpus.jsonl.gz, queries.jsonl and qrels/train.tsv of the slice."""
    dataset = load_beir(source, "train")
    chosen = sorted(dataset.queries, key=int)[::8][:QUERIES]
    queries = {qid: dataset.queries[qid] for qid in chosen}
    keep = {doc for qid in chosen for doc in dataset.qrels[qid]}
    run = baseline_run(dataset.documents, queries, depth=50)
    for qid in chosen:
        negatives = [doc for doc in ranked(run[qid]) if doc not in dataset.qrels[qid]]
        keep.update(negatives[:DISTRACTORS])
    (target / "qrels").mkdir(parents=True, exist_ok=True)
    with gzip.open(target / "corpus.jsonl.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        for document in dataset.documents:
            if document.id in keep:
                record = {"_id": document.id, "title": document.title, "text": document.text}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    with (target / "queries.jsonl").open("w", encoding="utf-8") as out:
        for qid in chosen:
            out.write(json.dumps({"_id": qid, "text": queries[qid]}, ensure_ascii=False) + "\n")
    with (target / "qrels" / "train.tsv").open("w", encoding="utf-8") as out:
        out.write("query-id\tcorpus-id\tscore\n")
        for qid in chosen:
            for doc, grade in dataset.qrels[qid].items():
                out.write(f"{qid}\t{doc}\t{grade}\n")
    print(f"{len(chosen)} queries, {len(keep)} documents -> {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
