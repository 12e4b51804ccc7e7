"""One system, one phase (build, or load + query), in its own process; prints one JSON line."""

from __future__ import annotations

import json
import re
import resource
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bot.analysis.analyzer import passage_terms, tokenize

K = 10
SERVICE: object = None  # corpusbot's service, once loaded


def rss_mb() -> float:
    """Resident memory now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    """Peak resident memory of this process alone (children are measured by ``bench.run``)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def texts(corpus_dir: Path) -> list[str]:
    """Every passage text of a corpus written by ``bench.run``."""
    return [
        json.loads(line)["text"]
        for path in sorted(corpus_dir.glob("*.jsonl"))
        for line in path.open(encoding="utf-8")
    ]


def disk_mb(path: Path) -> float:
    """Size of everything under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def query_terms(query: str) -> list[str]:
    """The query's distinct terms, as corpusbot's search uses them."""
    return list(dict.fromkeys(tokenize(query)))


# --- build ------------------------------------------------------------------------------------


def build(system: str, corpus_dir: Path, store: Path) -> None:
    """Index the corpus and save it under ``store``; print time and size."""
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    started = time.perf_counter()
    if system == "corpusbot":
        from bot.search.service import SearchService

        SearchService.from_folder(corpus_dir, cache_dir=store, progress=False)
    elif system == "bm25s":
        import bm25s

        tokens = [passage_terms("", text) for text in texts(corpus_dir)]
        retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene", backend="numba")
        retriever.index(tokens, show_progress=False)
        retriever.save(str(store))
    elif system == "tantivy":
        import tantivy

        schema_builder = tantivy.SchemaBuilder()
        schema_builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
        index = tantivy.Index(schema_builder.build(), path=str(store))
        writer = index.writer(heap_size=200_000_000, num_threads=2)
        for text in texts(corpus_dir):
            writer.add_document(tantivy.Document(body=text))
        writer.commit()
        writer.wait_merging_threads()
    elif system == "rank-bm25":
        pass  # rank-bm25 cannot save an index: it is built in the query phase
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report = {"self_peak_mb": peak_mb(), "largest_child_peak_mb": children}
    print(json.dumps({"build_s": seconds, "disk_mb": disk_mb(store), **report}))


# --- load and query ---------------------------------------------------------------------------


def bm25s_answer(store: Path) -> Callable[[str], Any]:
    """bm25s on its saved index (memory-mapped, numba backend, one thread), given our tokens."""
    import bm25s

    retriever = bm25s.BM25.load(str(store), mmap=True)
    retriever.backend = "numba"
    vocabulary = retriever.vocab_dict

    def answer(query: str) -> Any:
        terms = [t for t in query_terms(query) if t in vocabulary]
        if not terms:
            return None
        return retriever.retrieve([terms], k=K, show_progress=False, n_threads=1)

    return answer


def load(system: str, corpus_dir: Path, store: Path) -> tuple[Callable[[str], Any], float]:
    """A function answering one query with the top 10, and how long loading took."""
    started = time.perf_counter()
    if system == "corpusbot":
        from bot.search.service import SearchService

        service = SearchService.from_folder(corpus_dir, cache_dir=store, progress=False)
        global SERVICE
        SERVICE = service
        index = service.index

        def answer(query: str) -> Any:
            return index.top(index.known_terms(query_terms(query)), K)

    elif system == "bm25s":
        answer = bm25s_answer(store)
    elif system == "tantivy":
        import tantivy

        index = tantivy.Index.open(str(store))
        index.reload()
        searcher = index.searcher()

        def answer(query: str) -> Any:
            cleaned = re.sub(r"[^\w\s]", " ", query).lower().strip()
            if not cleaned:
                return None
            return searcher.search(index.parse_query(cleaned, ["body"]), K).hits

    else:
        from bot.index import LuceneBM25

        reference = LuceneBM25([passage_terms("", text) for text in texts(corpus_dir)])

        def answer(query: str) -> Any:
            scores = reference.get_scores(query_terms(query))
            return np.argpartition(-scores, K)[:K]

    return answer, time.perf_counter() - started


def query(system: str, corpus_dir: Path, store: Path, queries_path: Path) -> None:
    """Load the saved index, answer every query for its top 10; print memory and latency."""
    queries: list[str] = json.loads(queries_path.read_text())
    answer, load_s = load(system, corpus_dir, store)
    loaded_rss = rss_mb()
    started = time.perf_counter()
    if system == "corpusbot":  # kernels load in the background from start-up: wait for them
        from bot.search.service import SearchService

        assert isinstance(SERVICE, SearchService)
        SERVICE.index.warm_up()
    answer(queries[0])  # first query: compiled kernels load from their cache (or JIT-compile)
    first_ms = (time.perf_counter() - started) * 1000
    if system == "rank-bm25":
        queries = queries[:: max(1, len(queries) // 30)]  # ~0.3-2.5 s a query: sample
    latencies = []
    for text in queries:
        started = time.perf_counter()
        answer(text)
        latencies.append((time.perf_counter() - started) * 1000)
    result = {
        "load_s": load_s if system != "rank-bm25" else float("nan"),
        "loaded_rss_mb": loaded_rss,
        "rss_after_mb": rss_mb(),
        "first_query_ms": first_ms,
        "query_peak_mb": peak_mb(),
        "queries": len(latencies),
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
    }
    if system == "rank-bm25":
        result["build_s"] = load_s
    print(json.dumps(result))


if __name__ == "__main__":
    name, corpus, store_dir, phase, *rest = sys.argv[1:]
    if phase == "build":
        build(name, Path(corpus), Path(store_dir))
    else:
        query(name, Path(corpus), Path(store_dir), Path(rest[0]))
