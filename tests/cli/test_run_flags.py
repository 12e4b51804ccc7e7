"""``corpusbot run``'s shard flags and settings: a plan that cannot run is refused at once, in
words that name the flag or setting, before anything connects."""

from __future__ import annotations

import pytest

from tests.cli.test_commands import corpusbot

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--shard-count", "4", "--shard-ids", "4"], {}, "SHARD_IDS [4] are not shards of"),
        (["--shard-count", "4", "--shard-ids", "1,1"], {}, "names a shard twice"),
        (["--shard-ids", "0"], {}, "SHARD_IDS needs SHARD_COUNT"),
        (["--shard-count", "0"], {}, "--shard-count must be at least 1"),
        (["--shard-count", "2", "--processes", "3"], {}, "3 processes need at least 3 shards"),
        (["--shard-ids", "zero"], {}, "is not a comma list of shard numbers"),
        ([], {"SHARD_IDS": "0,1"}, "SHARD_IDS needs SHARD_COUNT"),
        ([], {"SHARD_COUNT": "2", "SHARD_IDS": "2"}, "are not shards of SHARD_COUNT=2"),
    ],
)
def test_a_shard_plan_that_cannot_run_is_refused(
    args: list[str], env: dict[str, str], says: str
) -> None:
    result = corpusbot("run", *args, env={"DISCORD_TOKEN": "", **env})
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_processes_without_a_token_explain_how_to_get_one() -> None:
    result = corpusbot("run", "--processes", "2", env={"DISCORD_TOKEN": ""})
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stdout
