"""End-to-end load benchmark: the real bot process behind the local fake Discord.

Measures what a member sees: from the interaction's dispatch on the fake Gateway to the final
visible reply. Three runs in one go, all against the same fake:

1. corpusbot, one /ask at a time;
2. corpusbot, N /ask with C in flight (none may be lost; each must be logged exactly once);
3. the same load answered by a bot that replies with a fixed text (the echo bot), as the
   baseline for discord.py's own queueing on this machine.

Each run also prints the CPU time a request cost the bot process and this process (the fake and
the driver): under load the latency is queueing, so that is where a gap comes from.
With ``--processes 1,2`` it also runs ``corpusbot run --processes P --shard-count S`` for each
P (S is ``--shard-count``, the same for every P), over servers spread across all S shards, and
prints each bot process's memory (RSS, and PSS, which shares the mapped index out fairly).
Timings are printed, never asserted. Example (a 100k-passage corpus built from Reuters and a
Wikipedia slice, cached under /tmp):

    .venv/bin/python -m bench.discord_load \\
        --source ../shared/eval-data/reuters21578/corpus.jsonl.gz \\
        --source ../shared/eval-data/enwiki-slice/corpus.jsonl.gz --passages 100000
"""

from __future__ import annotations

import argparse
import asyncio
import filecmp
import gzip
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import child_pids, memory_of, spread_guilds
from bot.corpus import Document
from bot.corpus.passages import split_passages
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.harness import wait_ready_or_exit

BOT = [sys.executable, "-m", "bot", "run"]
ECHO = [sys.executable, "-m", "tests.fakediscord.echo_bot", "--sync"]


def records(paths: Sequence[Path]) -> Iterator[dict[str, Any]]:
    """Records with text from BEIR-style JSON-lines files (gzip or plain), in order."""
    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as file:
            for line in file:
                record = json.loads(line)
                if str(record.get("text", "")).strip():
                    yield record


def build_corpus(sources: Sequence[Path], passages: int, folder: Path) -> tuple[Path, list[str]]:
    """A corpus folder of about ``passages`` passages, and questions taken from its titles."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "corpus.jsonl"
    fresh = folder / "corpus.jsonl.new"  # not a corpus file: the bot reads *.jsonl
    questions: list[str] = []
    total = 0
    with fresh.open("w", encoding="utf-8") as out:
        for index, record in enumerate(records(sources)):
            text, title = str(record["text"]), str(record.get("title") or "")
            document = Document(f"d{index}", title or "untitled", text, "x")
            total += len(split_passages(document))
            out.write(json.dumps({"id": f"d{index}", "title": title, "text": text}) + "\n")
            if title and len(title) < 200:
                questions.append(title)
            if total >= passages:
                break
    # The same corpus keeps its file (and modification time), so the bot maps its saved index
    # instead of building it again.
    if target.exists() and filecmp.cmp(fresh, target, shallow=False):
        fresh.unlink()
    else:
        fresh.replace(target)
    print(f"corpus: {target} ({total:,} passages)")
    return folder, questions


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time a process has used so far (this one by default)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(slots=True)
class Run:
    """One load's latencies, how long it took, and the CPU each side spent on it."""

    latencies: list[float]
    ids: list[str]
    seconds: float
    bot_cpu: float
    fake_cpu: float


def summary(name: str, run: Run) -> dict[str, Any]:
    """Latency figures in milliseconds, throughput, and CPU milliseconds a request."""
    ms = [value * 1000 for value in run.latencies]
    return {
        "run": name,
        "n": len(ms),
        "p50": statistics.median(ms),
        "p95": percentile(ms, 0.95),
        "p99": percentile(ms, 0.99),
        "max": max(ms),
        "per_s": len(ms) / run.seconds,
        "bot_cpu_ms": 1000 * run.bot_cpu / len(ms),
        "fake_cpu_ms": 1000 * run.fake_cpu / len(ms),
    }


async def drive(
    fake: FakeDiscord,
    bot: BotProcess,
    command: str,
    options: list[dict[str, Any]],
    concurrency: int,
    user_count: int = 200,
    guilds: Sequence[str] = (),
) -> Run:
    """Send one interaction per options dict, ``concurrency`` in flight (in ``guilds`` in turn,
    else the fake's default one); visible-reply latencies, and the CPU time the bot's processes
    and this one (the fake and the driver) spent meanwhile."""
    gate = asyncio.Semaphore(concurrency)
    users = [fake.make_user(f"member{i}") for i in range(user_count)]
    latencies: list[float] = []
    ids: list[str] = []

    async def one(number: int, opts: dict[str, Any]) -> None:
        async with gate:
            user = users[number % len(users)]
            if guilds:
                guild = guilds[number % len(guilds)]
                ix = await fake.send_command(command, opts, user=user, guild_id=guild)
            else:
                ix = await fake.send_command(command, opts, user=user)
            await ix.wait_for_message(timeout=60)
            assert ix.message_latency is not None
            latencies.append(ix.message_latency)
            ids.append(ix.id)

    assert bot.proc is not None, "the bot process has not started"
    pids = [bot.proc.pid, *child_pids(bot.proc.pid)]  # a supervisor's bot processes too
    bot_before, fake_before = sum(map(cpu_seconds, pids)), cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(one(n, o) for n, o in enumerate(options)))
    took = time.perf_counter() - started
    bot_cpu = sum(map(cpu_seconds, pids)) - bot_before
    return Run(latencies, ids, took, bot_cpu, cpu_seconds() - fake_before)


def logged_once(database: Path, ids: Sequence[str]) -> tuple[int, int]:
    """(rows for these interactions, distinct interactions among them)."""
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return 0, 0
    try:
        marks = ",".join("?" * len(ids))
        found = connection.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT interaction_id) FROM queries "
            f"WHERE interaction_id IN ({marks})",
            [int(i) for i in ids],
        ).fetchone()
    finally:
        connection.close()
    return int(found[0]), int(found[1])


async def wait_logged(database: Path, ids: Sequence[str], patience: float = 30) -> tuple[int, int]:
    """Poll the log until every interaction is there (or patience runs out)."""
    deadline = time.monotonic() + patience
    while True:
        counts = logged_once(database, ids)
        if counts[1] >= len(ids) or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.2)


async def start(fake: FakeDiscord, argv: list[str], env: dict[str, str], name: str) -> BotProcess:
    """Start a bot process against the fake and wait for READY."""
    process = BotProcess(argv, {**fake.env(), **env}, name=name)
    started = time.perf_counter()
    await process.start()
    await wait_ready_or_exit(fake, process, timeout=900)
    print(f"{name}: ready in {time.perf_counter() - started:.1f} s")
    return process


async def main(args: argparse.Namespace) -> None:
    work = Path(args.workdir)
    corpus, titles = build_corpus([Path(p) for p in args.source], args.passages, work / "corpus")
    rng = random.Random(7)
    questions = [
        re.sub(r"\s+", " ", t).strip()[:250] for t in rng.sample(titles, min(len(titles), 1000))
    ]
    database = work / "load.db"
    for stale in (
        database,
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    ):
        stale.unlink(missing_ok=True)  # a killed run's WAL would not match a new database
    rows: list[dict[str, Any]] = []
    # Validation off: checking each reply against Discord's OpenAPI spec costs the fake 1-2 ms
    # of CPU, on the cores the bot runs on, and the bench measures the bot (docs/performance.md).
    # It also turns off the fake's hand-written size limits; the tests check the bot's bodies.
    fake = FakeDiscord(heartbeat_interval_ms=1000, validate=False)
    guilds = spread_guilds(fake, args.shard_count) if args.processes else []
    await fake.start()
    print("fake Discord: request bodies not validated (spec and size limits off)")
    try:
        env = {
            "CORPUS_DIR": str(corpus),
            "QUERY_LOG_PATH": str(database),
            "INDEX_CACHE_DIR": str(work / "index"),
            "ASK_COOLDOWN_RATE": "100000",
            "LOG_LEVEL": "WARNING",
        }
        bot = await start(fake, BOT, env, "corpusbot")
        ask = [{"question": q} for q in questions]
        await drive(fake, bot, "ask", ask[:20], 1)  # warm-up
        run = await drive(fake, bot, "ask", ask[: args.sequential], 1)
        rows.append(summary("corpusbot, one at a time", run))
        load = [ask[i % len(ask)] for i in range(args.requests)]
        heartbeats = fake.heartbeat_count
        run = await drive(fake, bot, "ask", load, args.concurrency)
        rows.append(summary(f"corpusbot, {args.requests} with {args.concurrency} in flight", run))
        total, distinct = await wait_logged(database, run.ids)
        print(
            f"answered {len(run.latencies)}/{args.requests}; "
            f"logged rows {total}, distinct {distinct}"
        )
        print(f"heartbeats acknowledged during the load: {fake.heartbeat_count - heartbeats}")
        memories = [("corpusbot, one process", memory_of(bot.proc.pid))] if bot.proc else []
        await bot.terminate()
        starved = [line for line in bot.output.splitlines() if "heartbeat blocked" in line]
        print(f"'heartbeat blocked' warnings from discord.py: {len(starved)}")
        for processes in args.processes:
            plural = "process" if processes == 1 else "processes"
            name = f"{processes} {plural}, {args.shard_count} shards"
            cluster = await start_cluster(fake, env, processes, args.shard_count, name)
            await drive(fake, cluster, "ask", ask[:20], 1, guilds=guilds)  # warm-up
            run = await drive(fake, cluster, "ask", load, args.concurrency, guilds=guilds)
            rows.append(summary(f"{name}, {args.requests} with {args.concurrency}", run))
            total, distinct = await wait_logged(database, run.ids)
            print(
                f"{name}: answered {len(run.latencies)}/{args.requests}; logged rows {total}, "
                f"distinct {distinct}"
            )
            assert cluster.proc is not None
            for index, pid in enumerate(child_pids(cluster.proc.pid)):
                memories.append((f"{name}: process {index}", memory_of(pid)))
            await cluster.terminate(timeout=60)

        fake.commands.global_commands.clear()
        echo = await start(fake, ECHO, {"ECHO_REPLY": "fixed reply"}, "fixed-reply bot")
        await drive(fake, echo, "ping", [{}] * 20, 1)
        run = await drive(fake, echo, "ping", [{}] * args.requests, args.concurrency)
        rows.append(summary(f"fixed reply, {args.requests} with {args.concurrency} in flight", run))
        await echo.terminate()
    finally:
        await fake.stop()
    print()
    print(
        f"{'run':<44} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'req/s':>7} {'bot CPU ms/req':>15} {'fake CPU ms/req':>16}"
    )
    for row in rows:
        print(
            f"{row['run']:<44} {row['n']:>5} {row['p50']:>8.1f} {row['p95']:>8.1f} "
            f"{row['p99']:>8.1f} {row['max']:>8.1f} {row['per_s']:>7.0f} "
            f"{row['bot_cpu_ms']:>15.2f} {row['fake_cpu_ms']:>16.2f}"
        )
    ratio = rows[1]["p99"] / rows[-1]["p99"]
    print(f"\np99 ratio, corpusbot / fixed reply under the same load: {ratio:.2f}")
    print(f"\n{'process':<44} {'RSS MiB':>8} {'PSS MiB':>8} {'private MiB':>12}")
    for label, memory in memories:
        print(f"{label:<44} {memory.rss:>8.0f} {memory.pss:>8.0f} {memory.private:>12.0f}")


async def start_cluster(
    fake: FakeDiscord, env: dict[str, str], processes: int, shard_count: int, name: str
) -> BotProcess:
    """``corpusbot run --processes P --shard-count S``, once every shard is connected."""
    argv = [*BOT, "--processes", str(processes), "--shard-count", str(shard_count)]
    cluster = BotProcess(argv, {**fake.env(), **env, "SHARD_IDENTIFY_SECONDS": "1"}, name=name)
    started = time.perf_counter()
    await cluster.start()
    await fake.wait_for_shards(shard_count, timeout=900)
    print(f"{name}: ready in {time.perf_counter() - started:.1f} s")
    return cluster


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--source", action="append", required=True, help="BEIR-style corpus.jsonl[.gz]"
    )
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "corpusbot-load"))
    parser.add_argument(
        "--processes",
        type=lambda text: [int(p) for p in text.split(",")],
        default=[],
        help="also run corpusbot run --processes P for each P of this comma list",
    )
    parser.add_argument(
        "--shard-count", type=int, default=2, help="shards in all for the --processes runs"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
