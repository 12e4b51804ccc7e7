"""The supervisor with real child processes: shards split between them, each told its number,
signals passed on, a dead child restarted, a child refused its settings stopping the rest."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest

from bot.cluster import plan, supervisor
from bot.cluster.plan import split_shards
from bot.cluster.supervisor import PROCESS_INDEX_VARIABLE, Supervisor

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    ("shard_ids", "processes", "runs"),
    [
        (range(4), 2, [[0, 1], [2, 3]]),
        (range(5), 2, [[0, 1, 2], [3, 4]]),
        (range(3), 3, [[0], [1], [2]]),
        ([4, 5, 6, 7], 1, [[4, 5, 6, 7]]),
        ([8, 9, 10], 2, [[8, 9], [10]]),
    ],
)
def test_shards_are_split_in_even_runs(
    shard_ids: range | list[int], processes: int, runs: list[list[int]]
) -> None:
    assert split_shards(list(shard_ids), processes) == runs


@pytest.mark.parametrize(("shards", "processes"), [(1, 2), (4, 0)])
def test_fewer_shards_than_processes_is_refused(shards: int, processes: int) -> None:
    with pytest.raises(ValueError, match="processes"):
        plan.split_shards(list(range(shards)), processes)


# A child that writes what it was started with, then waits for a signal (or exits at once with
# the status its process index picks from CHILD_EXIT, "-" meaning "keep running").
CHILD = """
import json, os, signal, sys, time
from pathlib import Path
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # before the report says it runs
index = int(os.environ["CORPUSBOT_PROCESS_INDEX"])
report = Path(os.environ["CHILD_REPORT"]) / f"{index}-{os.getpid()}.json"
report.with_suffix(".tmp").write_text(json.dumps(sys.argv[1:]))
os.replace(report.with_suffix(".tmp"), report)  # whole, as the test may read it at once
status = os.environ.get("CHILD_EXIT", "-").split(",")[index]
if status != "-":
    sys.exit(int(status))
while True:
    time.sleep(0.1)
"""


def reports(folder: Path) -> dict[str, list[str]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


async def wait_for_reports(folder: Path, count: int) -> dict[str, list[str]]:
    async with asyncio.timeout(20):
        while True:
            found = reports(folder)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)


def make_supervisor(tmp_path: Path, child_exit: str = "-,-") -> Supervisor:
    return Supervisor(
        4,
        list(range(4)),
        2,
        command=[sys.executable, "-c", CHILD],
        environment={"CHILD_REPORT": str(tmp_path), "CHILD_EXIT": child_exit},
    )


async def test_children_get_their_shards_and_number_and_stop_on_sigterm(tmp_path: Path) -> None:
    supervising = make_supervisor(tmp_path)
    running = asyncio.create_task(supervising.run())
    found = await wait_for_reports(tmp_path, 2)
    by_index = {name.split("-")[0]: argv for name, argv in found.items()}
    assert by_index == {
        "0": ["--shard-count", "4", "--shard-ids", "0,1"],
        "1": ["--shard-count", "4", "--shard-ids", "2,3"],
    }
    assert PROCESS_INDEX_VARIABLE == "CORPUSBOT_PROCESS_INDEX"
    supervising.stop(signal.SIGTERM)
    assert await asyncio.wait_for(running, 20) == 0
    assert [child.history for child in supervising.children] == [[0], [0]]


async def test_a_child_that_dies_is_restarted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervisor, "FIRST_RESTART_SECONDS", 0.1)
    supervising = make_supervisor(tmp_path)
    running = asyncio.create_task(supervising.run())
    first = await wait_for_reports(tmp_path, 2)
    pid = int(next(name for name in first if name.startswith("1-")).split("-")[1])
    process = supervising.children[1].process
    assert process is not None and process.pid == pid
    process.kill()
    found = await wait_for_reports(tmp_path, 3)
    restarted = [name for name in found if name.startswith("1-") and name != f"1-{pid}"]
    assert len(restarted) == 1 and found[restarted[0]][-1] == "2,3"
    assert supervising.children[1].restarts == 1
    supervising.stop(signal.SIGTERM)
    assert await asyncio.wait_for(running, 20) == 0
    assert supervising.children[1].history == [-signal.SIGKILL, 0]


async def test_a_child_refused_its_settings_stops_them_all(tmp_path: Path) -> None:
    supervising = make_supervisor(tmp_path, child_exit="-,2")
    assert await asyncio.wait_for(supervising.run(), 20) == 2
    assert [child.restarts for child in supervising.children] == [0, 0]
