"""What the snippets of an answer cost: finding the query's words in the shown passages.

Ranks questions taken from a corpus's titles with the bot's own ``SearchService``, then times, on
the same passages and query terms, turn about over several passes (CPU time, so a busy moment
costs both sides alike):

- ``find_terms``, which looks only at the words that can carry a query term, against the
  baseline that stems every word (``scan_terms``, ``term_spans`` kept to the query terms):
  the same matches;
- ``select_snippet`` on its own, and ``SearchService.search(q, limit=3)`` as the bot calls it.

    .venv/bin/python -m bench.snippets /tmp/cb-load/corpus --cache /tmp/cb-load/index

(the corpus and index that ``python -m bench.discord_load`` leaves in its work folder; any
corpus folder works, the first run builds its index). Prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.analysis.analyzer import tokenize
from bot.analysis.matching import find_terms, scan_terms
from bot.search.service import SearchService
from bot.search.snippets import select_snippet


def cpu_us(work: Callable[[], object]) -> float:
    """CPU microseconds one call of ``work`` took."""
    started = time.process_time()
    work()
    return (time.process_time() - started) * 1e6


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path, help="a corpus folder")
    parser.add_argument("--cache", type=Path, help="INDEX_CACHE_DIR for its saved index")
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args(argv)

    # English snippet cost: every document is English, however a short one looks to detection.
    service = SearchService.from_folder(args.corpus, cache_dir=args.cache, language="en")
    store = service.passages
    rng = random.Random(7)
    numbers = rng.sample(range(store.document_count), min(store.document_count, 4 * args.questions))
    titles = [store.document(n).title for n in numbers]
    questions = [" ".join(t.split())[:250] for t in titles if t and t != "untitled"]
    questions = questions[: args.questions]
    cases: list[tuple[str, dict[str, float]]] = []
    for question in questions:
        known = service.index.known_terms(tuple(dict.fromkeys(tokenize(question))))
        weights = {term: service.index.idf(term) for term in known}
        ranked, _ = service.index.top(known, 3)
        cases += [(store[hit.position].text, weights) for hit in ranked]
    wanted = [(text, frozenset(weights)) for text, weights in cases]
    same = all(find_terms(t, w) == scan_terms(t, w) for t, w in wanted)
    print(f"{len(questions)} questions, {len(cases)} shown passages; same matches: {same}")

    def each(function: Callable[..., object], items: Sequence[tuple[object, ...]]) -> None:
        for item in items:
            function(*item)

    print(
        f"{'pass':>4} {'full scan µs':>13} {'find_terms µs':>14} {'ratio':>6} "
        f"{'select_snippet µs':>18} {'search ms':>10}"
    )
    for number in range(1, args.passes + 1):
        # Both sides find warm word caches: every shown passage was scanned by both above.
        scan = cpu_us(lambda: each(scan_terms, wanted)) / len(wanted)
        found = cpu_us(lambda: each(find_terms, wanted)) / len(wanted)
        snippet = cpu_us(lambda: each(select_snippet, cases)) / len(cases)
        search = cpu_us(lambda: [service.search(q) for q in questions]) / len(questions)
        print(
            f"{number:>4} {scan:>13.0f} {found:>14.0f} {scan / found:>6.2f} "
            f"{snippet:>18.0f} {search / 1000:>10.2f}"
        )


if __name__ == "__main__":
    main()
