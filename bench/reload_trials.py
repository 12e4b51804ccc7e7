"""One system's reload trials, in a process of its own; prints one JSON line (``bench.reload``).

    python -m bench.reload_trials corpusbot|tantivy CORPUS STORE ORIGINALS --trials 10

corpusbot runs as the bot does: ``SearchService.from_folder`` with an index cache, then a real
:class:`CorpusReloader` watching the folder with its default debounce, swapping in each new
service. tantivy gets an index of the same passages (a raw ``path`` field, an ``en_stem``
body) and an updater that watches the folder with watchfiles and the same debounce, and for
each changed file deletes its documents, adds those it holds now, commits and reloads the
reader. Each change's time runs from the moment it is on disk until a search shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import random
import shutil
import string
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import watchfiles

from bench.reload import ADDED_PREFIX, KINDS
from bot.config import Settings
from bot.discord_bot.reloader import CorpusReloader
from bot.search.service import SearchService

POLL_SECONDS = 0.01
Trial = tuple[float | None, str]  # seconds until seen (None: never), what answered then


class System(Protocol):
    """A search engine kept up to date with a watched corpus folder."""

    build_s: float
    debounce_ms: int

    @property
    def merge_after_seconds(self) -> float | None:
        """The quiet spell after which a full build folds the changes in (``None``: none)."""
        ...

    def shows(self, word: str) -> bool:
        """Whether a passage holding ``word`` is among what the system answers from now."""
        ...

    def answering(self) -> str:
        """What kind of index answers now (a layered one, a full build, segments)."""
        ...


def main(argv: list[str] | None = None) -> int:
    """Build, run every trial, print the result as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.reload_trials")
    parser.add_argument("system", choices=("corpusbot", "tantivy"))
    parser.add_argument("corpus", type=Path)
    parser.add_argument("store", type=Path, help="the index, built afresh")
    parser.add_argument("originals", type=Path, help="copies of the files the trials change")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    shutil.rmtree(args.store, ignore_errors=True)
    args.store.mkdir(parents=True)
    result = asyncio.run(_trials(args))
    print(json.dumps(result))
    return 0


async def _trials(args: argparse.Namespace) -> dict[str, Any]:
    corpus = args.corpus.resolve()
    opened = _corpusbot if args.system == "corpusbot" else _tantivy
    async with opened(corpus, args.store) as system:
        _say(f"{args.system}: built in {system.build_s:.1f} s")
        await asyncio.sleep(1.0)  # the watch arms in a thread: let it before the first change
        trials = _Trials(corpus, args.originals, system, args.timeout, args.system)
        times: dict[str, list[Trial]] = {kind: [] for kind in KINDS}
        edited = _spread(sorted(corpus.glob("part*.jsonl")), args.trials)
        for number in range(args.trials):
            times["add"].append(await trials.add(number))
        for path in edited:
            times["edit"].append(await trials.edit(path))
        for path in edited:
            times["delete"].append(await trials.delete(path))
        return {
            **{"build_s": system.build_s, "debounce_ms": system.debounce_ms},
            **{"merge_after_s": system.merge_after_seconds, **times},
        }


def _spread(files: list[Path], count: int) -> list[Path]:
    """``count`` files spread evenly over the corpus."""
    if count > len(files):
        raise SystemExit(f"{count} trials need {count} corpus files; there are {len(files)}")
    return [files[number * len(files) // count] for number in range(count)]


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class _Trials:
    """Makes each change, and times it until the system shows it."""

    def __init__(
        self, corpus: Path, originals: Path, system: System, timeout: float, name: str
    ) -> None:
        self.corpus = corpus
        self.originals = originals
        self.system = system
        self.timeout = timeout
        self.name = name
        self.words: dict[Path, str] = {}  # each edited file's fresh word
        self._random = random.Random()

    def _fresh_word(self) -> str:
        """A word no passage holds: letters only, so every analyzer keeps it one word."""
        return "zq" + "".join(self._random.choices(string.ascii_lowercase, k=12))

    async def add(self, number: int) -> Trial:
        """A new file of the corpus's shape, one passage holding a fresh word."""
        word = self._fresh_word()
        template = next(iter(sorted(self.corpus.glob("part*.jsonl"))))
        records = _records(template)
        middle = len(records) // 2
        records[middle]["text"] += f" {word}"
        for line, record in enumerate(records):
            record["id"] = f"added{number}-{line}"
        path = self.corpus / f"{ADDED_PREFIX}{number:03d}.jsonl"
        return await self._timed("add", path, lambda: _write_whole(path, records), word, True)

    async def edit(self, path: Path) -> Trial:
        """One passage of an existing file gets a fresh word."""
        if not (self.originals / path.name).exists():
            self.originals.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, self.originals / path.name)
        word = self.words[path] = self._fresh_word()
        records = _records(path)
        records[len(records) // 2]["text"] += f" {word}"
        return await self._timed("edit", path, lambda: _write_whole(path, records), word, True)

    async def delete(self, path: Path) -> Trial:
        """An edited file removed: its fresh word must go with it."""
        return await self._timed("delete", path, path.unlink, self.words[path], False)

    async def _timed(
        self, kind: str, path: Path, change: Callable[[], None], word: str, present: bool
    ) -> Trial:
        """Seconds from ``change`` to the first search that shows it (``None``: not within
        the timeout), and what answered that search."""
        change()
        written = time.perf_counter()
        while self.system.shows(word) != present:
            if time.perf_counter() - written > self.timeout:
                _say(f"{self.name} {kind} {path.name}: not seen after {self.timeout:g} s")
                return None, self.system.answering()
            await asyncio.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - written
        answering = self.system.answering()
        _say(f"{self.name} {kind} {path.name}: {seconds:.3f} s ({answering})")
        return seconds, answering


def _records(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _write_whole(path: Path, records: list[dict[str, Any]]) -> None:
    """Written beside under a hidden name, then renamed: a watcher never reads half a file."""
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    os.replace(staging, path)


# --- corpusbot ----------------------------------------------------------------------------------


class _Corpusbot:
    """The bot's own path: one service, and a reloader watching the folder that swaps it."""

    def __init__(self, corpus: Path, store: Path) -> None:
        load = partial(SearchService.from_folder, corpus, cache_dir=store, progress=False)
        started = time.perf_counter()
        self.service = load()
        self.build_s = time.perf_counter() - started
        self.service.index.warm_up()  # as the bot does before it connects
        # Wired as bot.discord_bot.client wires it: changed files laid over the saved index,
        # and a full build folding them in after the default quiet spell (in a thread here,
        # where the bot's runs in a child process; either way a coroutine the reloader awaits).
        self.reloader = CorpusReloader(
            corpus,
            load=load,
            get=lambda: self.service,
            swap=self._swap,
            merge=partial(asyncio.to_thread, load, layered=False),
            merge_after_seconds=Settings.model_fields["index_merge_seconds"].default,
        )
        self.debounce_ms = self.reloader.debounce_ms
        self.merge_after_seconds = self.reloader.merge_after_seconds

    def _swap(self, service: SearchService) -> None:
        self.service = service

    def shows(self, word: str) -> bool:
        """Asked as a member's question is: of the service the reloader swapped in last."""
        return bool(self.service.search(word, limit=1).hits)

    def answering(self) -> str:
        """Whether the service answering now lays changed files over the saved index."""
        return "layered" if self.service.layered else "full build"


@asynccontextmanager
async def _corpusbot(corpus: Path, store: Path) -> AsyncIterator[System]:
    system = await asyncio.to_thread(_Corpusbot, corpus, store)
    async with _watching(system.reloader.watch()):
        yield system


# --- tantivy ------------------------------------------------------------------------------------


class _Tantivy:
    """A tantivy index of the folder's passages, with the one writer that updates it."""

    def __init__(self, corpus: Path, store: Path, debounce_ms: int) -> None:
        import tantivy

        self.corpus = corpus
        self.debounce_ms = debounce_ms
        self.merge_after_seconds = None  # tantivy merges segments as it goes
        schema = tantivy.SchemaBuilder()
        schema.add_text_field("path", stored=True, tokenizer_name="raw")
        schema.add_text_field("body", stored=False, tokenizer_name="en_stem")
        self._tantivy = tantivy
        self.index = tantivy.Index(schema.build(), path=str(store))
        self.index.config_reader(reload_policy="Manual")  # visible on our reload, not before
        started = time.perf_counter()
        self.writer = self.index.writer(heap_size=200_000_000, num_threads=2)
        for path in sorted(corpus.rglob("*.jsonl")):
            self._add(path)
        self.writer.commit()
        self.index.reload()
        self.build_s = time.perf_counter() - started

    def _add(self, path: Path) -> None:
        name = str(path.relative_to(self.corpus))
        for record in _records(path):
            self.writer.add_document(self._tantivy.Document(path=name, body=record["text"]))

    def apply(self, paths: set[Path]) -> None:
        """Each changed file's documents replaced by what it holds now, committed, reloaded."""
        for path in paths:
            self.writer.delete_documents_by_term("path", str(path.relative_to(self.corpus)))
            with suppress(FileNotFoundError):
                self._add(path)
        self.writer.commit()
        self.index.reload()

    def shows(self, word: str) -> bool:
        """Whether the reader reloaded last finds ``word``."""
        query = self.index.parse_query(word, ["body"])
        return bool(self.index.searcher().search(query, 1).hits)

    def answering(self) -> str:
        """tantivy always answers from its segments."""
        return "segments"

    async def watch(self) -> None:
        """Apply each burst of changes to the folder, as corpusbot's reloader picks them up."""
        async for changes in watchfiles.awatch(
            self.corpus, debounce=self.debounce_ms, watch_filter=_jsonl_change, recursive=True
        ):
            paths = {Path(path) for _, path in changes}
            await asyncio.to_thread(self.apply, paths)


def _jsonl_change(change: watchfiles.Change, path: str) -> bool:
    name = Path(path).name
    return not name.startswith(".") and name.endswith(".jsonl")


def _default_debounce_ms() -> int:
    """The reloader's own default, so both systems wait alike whatever it is set to."""
    default = inspect.signature(CorpusReloader).parameters["debounce_ms"].default
    assert isinstance(default, int)
    return default


@asynccontextmanager
async def _tantivy(corpus: Path, store: Path) -> AsyncIterator[System]:
    system = await asyncio.to_thread(_Tantivy, corpus, store, _default_debounce_ms())
    async with _watching(system.watch()):
        yield system


@asynccontextmanager
async def _watching(watch: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """``watch`` runs in the background until the block ends."""
    task = asyncio.create_task(watch)
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


if __name__ == "__main__":
    raise SystemExit(main())
