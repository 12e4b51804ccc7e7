"""Read a BEIR-format data set: ``corpus.jsonl[.gz]``, ``queries.jsonl``, ``qrels/<split>.tsv``.

BEIR documents become ordinary corpus :class:`~bot.corpus.Document` objects, so an evaluation
ranks them through exactly the passages, tokenizer and index the bot uses.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bot.corpus import Document

Qrels = dict[str, dict[str, int]]


@dataclass(frozen=True, slots=True)
class BeirDataset:
    """Documents, the judged queries of one split, and their relevance judgments."""

    name: str
    split: str
    documents: list[Document]
    queries: dict[str, str]
    qrels: Qrels


def load_beir(folder: Path, split: str = "test") -> BeirDataset:
    """Load a BEIR folder; only queries judged in ``split`` are kept (as trec_eval scores them)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"BEIR folder {folder} does not exist or is not a folder")
    qrels = load_qrels(folder / "qrels" / f"{split}.tsv")
    all_queries = dict(_queries(_find(folder, "queries.jsonl")))
    if not qrels:
        raise ValueError(f"{folder / 'qrels' / f'{split}.tsv'} judges no query")
    missing = sorted(set(qrels) - set(all_queries))
    if missing:
        raise ValueError(f"{len(missing)} judged queries are not in queries.jsonl: {missing[:5]}")
    queries = {qid: text for qid, text in all_queries.items() if qid in qrels}
    documents = list(_documents(_find(folder, "corpus.jsonl")))
    return BeirDataset(folder.name, split, documents, queries, qrels)


def load_qrels(path: Path) -> Qrels:
    """``query-id → corpus-id → grade`` from a BEIR qrels TSV (header line optional)."""
    if not path.is_file():
        raise FileNotFoundError(f"no relevance judgments at {path}")
    qrels: Qrels = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        for row in reader:
            if len(row) < 3 or row[0] == "query-id":
                continue
            try:
                grade = int(row[2])
            except ValueError:
                raise ValueError(
                    f"{path}:{reader.line_num}: the grade {row[2]!r} is not a whole number"
                ) from None
            qrels.setdefault(row[0], {})[row[1]] = grade
    return qrels


def _find(folder: Path, name: str) -> Path:
    """``name`` or ``name.gz`` in ``folder``."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no {name}[.gz] in {folder}")


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _records(path: Path) -> Iterator[dict[str, object]]:
    with _open(path) as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                if isinstance(record, dict):
                    yield record


def _queries(path: Path) -> Iterator[tuple[str, str]]:
    for record in _records(path):
        yield str(record["_id"]), str(record.get("text") or "")


def _documents(path: Path) -> Iterator[Document]:
    """BEIR ids are kept verbatim as document ids: the qrels name documents by them."""
    for record in _records(path):
        doc_id = str(record["_id"])
        title = str(record.get("title") or "").strip()
        text = str(record.get("text") or "").strip()
        if not text and not title:
            continue
        # A document with a title but no body is still retrievable by its title.
        yield Document(doc_id, title, text or title, source=f"{path.name}:{doc_id}")
