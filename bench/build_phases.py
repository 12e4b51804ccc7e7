"""Where a build's time goes: each phase of ``build_snapshot``'s work timed apart, in one process.

    .venv/bin/python -m bench.build_phases /tmp/corpusbot-bench/corpus-100000

The phases are the build's own calls, made in its order on the corpus ``python -m bench``
writes (or any corpus folder): reading the files into documents, cutting passages, detecting
each document's language, tokenising, counting terms, adding to the passage store and the index
builder, and laying the index out and writing it. Figures are CPU seconds of this process
(``time.process_time``), so other work on the machine inflates them less than wall time;
the language model is loaded before the clock starts. Printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bot.analysis import languages
from bot.corpus import CorpusLoad
from bot.corpus.load import iter_documents
from bot.corpus.passages import passage_spans
from bot.index.build import IndexBuilder
from bot.snapshot.build import ChunkTexts, _by_chars, collection_paused, document_languages
from bot.snapshot.snapshot import PassageSettings
from bot.storage.passage_store import PassageSpans, PassageStoreBuilder


class PhaseClock:
    """CPU seconds summed per phase name, in order of first use."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Count the CPU time of the block towards ``name``."""
        started = time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.process_time() - started

    def table(self) -> str:
        """The phases as a Markdown table, with each one's share."""
        total = sum(self.seconds.values())
        lines = ["| phase | CPU s | share |", "|---|---:|---:|"]
        lines += [f"| {n} | {s:.2f} | {100 * s / total:.0f} % |" for n, s in self.seconds.items()]
        lines.append(f"| **total** | {total:.2f} | |")
        return "\n".join(lines)


def time_phases(corpus: Path, settings: PassageSettings, work: Path) -> PhaseClock:
    """Build ``corpus`` into ``work`` phase by phase, as ``build_snapshot`` does in one process
    (with the garbage collector paused, as there)."""
    with collection_paused():
        return _timed_phases(corpus, settings, work)


def _timed_phases(corpus: Path, settings: PassageSettings, work: Path) -> PhaseClock:
    clock = PhaseClock()
    languages.load_document_detector()
    with clock.phase("read"):
        documents = list(iter_documents(corpus, CorpusLoad(), settings.files))
    (work / "spill").mkdir(parents=True)
    store = PassageStoreBuilder(work)
    builder = IndexBuilder(settings.params, spill=work / "spill")
    for chunk in _by_chars(documents):
        spans: list[list[tuple[int, int, int]]] = []
        texts = ChunkTexts()
        with clock.phase("detect"):
            found = document_languages(chunk, settings.language)
        for document, language in zip(chunk, found, strict=True):
            with clock.phase("split"):
                cut = passage_spans(document, settings.min_words, settings.max_words)
                spans.append(cut)
            with clock.phase("tokenise + count"):
                texts.add(document, cut, language)
        with clock.phase("tokenise + count"):
            counted, _ = texts.count()
        with clock.phase("split"):  # where a build makes them: in the worker that splits
            chunk_spans = PassageSpans.of(spans)
        with clock.phase("store add"):
            store.add(chunk, chunk_spans, found)
        with clock.phase("index add"):
            builder.add_counts(counted)
    with clock.phase("store finish"):
        store.finish()
    with clock.phase("index layout + write"):
        builder.finish(work)
    return clock


def main(argv: Sequence[str] | None = None) -> int:
    """Time the phases of building one corpus and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.build_phases", description=__doc__)
    parser.add_argument("corpus", type=Path, help="a corpus folder")
    parser.add_argument("--language", default="auto", help="CORPUS_LANGUAGE (default: auto)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="corpusbot-phases-"))
    try:
        clock = time_phases(args.corpus, PassageSettings(language=args.language), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(clock.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
