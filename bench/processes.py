"""The shard processes of ``corpusbot run --processes P``, for ``bench.discord_load``: their
pids, the CPU and memory each takes, and servers spread over every shard."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.fakediscord import FakeDiscord
from tests.fakediscord import payloads as P


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` started (the supervisor's bot processes)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(children)


@dataclass(frozen=True, slots=True)
class Memory:
    """A process's resident memory, its proportional share of the pages it shares, and the
    pages only it holds, in MiB."""

    rss: float
    pss: float
    private: float


def memory_of(pid: int) -> Memory:
    """RSS and PSS from ``/proc/PID/smaps_rollup``: PSS splits each shared page (the mapped
    index, the libraries) between the processes that map it, so P processes' PSS add up to what
    they cost the machine together."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            fields[name] = int(rest.split()[0])
    private = fields["Private_Clean"] + fields["Private_Dirty"]
    return Memory(fields["Rss"] / 1024, fields["Pss"] / 1024, private / 1024)


def spread_guilds(fake: FakeDiscord, shard_count: int, per_shard: int = 2) -> list[str]:
    """Add ``per_shard`` servers on each of ``shard_count`` shards; every server's id."""
    for shard_id in range(shard_count):
        for n in range(per_shard):
            guild_id = P.snowflake_on_shard(shard_id, shard_count)
            fake.add_guild(f"bench shard {shard_id} server {n}", guild_id=guild_id)
    return [str(g["id"]) for g in fake.guilds]
