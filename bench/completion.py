"""What `/source` id completion costs per keystroke, against walking every passage id.

Discord asks for choices at every keystroke and gives up after three seconds; a keystroke that
matches nothing is the worst case of a walk, which reads every document. Times, turn about over
several passes (CPU time), ``SearchService.complete`` against :func:`walk_completion`, the plain
walk that reads every passage id, on the same typed texts, and checks they give the same choices:

    .venv/bin/python -m bench.completion /tmp/cb-load/corpus --cache /tmp/cb-load/index

(any corpus folder works; the first run builds its index). Prints, asserts nothing but equality.
"""

from __future__ import annotations

import argparse
import statistics
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.snippets import cpu_us
from bot.search.service import SearchService
from bot.storage.passage_store import PassageStore

# Typed texts: no match, an id's start, a title word, passage numbers, an id's end and a number.
TYPED = ("qqzzxx", "part", "the", "#3", "#999", "12345", "0#2", "")


def walk_completion(store: PassageStore, typed: str, limit: int = 25) -> list[tuple[str, str]]:
    """Every passage id in corpus order, kept when the typed text is in it or in its document's
    title (casefolded), the first ``limit``: what completion must give, walked one by one."""
    needle = typed.strip().casefold()
    choices: list[tuple[str, str]] = []
    for number in range(store.document_count):
        span = store.document_span(number)
        title = store.document_title(number)
        title_matches = needle in title.casefold()
        document_id = store.document_id(number)
        for ordinal in range(1, span.end - span.first + 1):
            passage_id = f"{document_id}#{ordinal}"
            if title_matches or needle in passage_id.casefold():
                choices.append((f"{passage_id} — {title}", passage_id))
                if len(choices) >= limit:
                    return choices
    return choices


def cpu_ms(work: Callable[[], object]) -> float:
    """CPU milliseconds one call of ``work`` took."""
    return cpu_us(work) / 1e3


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--cache", type=Path, default=None, help="index cache folder")
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args(argv)
    service = SearchService.from_folder(args.corpus, cache_dir=args.cache, progress=True)
    store = service.snapshot.store
    print(f"{store.document_count:,} documents, {len(store):,} passages")
    tracemalloc.start()
    first = cpu_ms(lambda: service.complete(TYPED[0]))
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"first keystroke (opens the search text): {first:.1f} ms CPU, {kept / 1e6:.1f} MB kept")
    print("| typed | choices | walk ms | completion ms | ratio |\n|---|---|---|---|---|")
    for typed in TYPED:
        walked, fast = [], []
        for _ in range(args.passes):
            walked.append(cpu_ms(lambda: walk_completion(store, typed)))  # noqa: B023
            fast.append(cpu_ms(lambda: service.complete(typed)))  # noqa: B023
        same = service.complete(typed) == walk_completion(store, typed)
        slow_ms, fast_ms = statistics.median(walked), statistics.median(fast)
        print(
            f"| `{typed}` | {len(service.complete(typed))}{'' if same else ' DIFFERENT'} "
            f"| {slow_ms:.1f} | {fast_ms:.2f} | {slow_ms / max(fast_ms, 1e-3):.0f}× |"
        )


if __name__ == "__main__":
    main()
