"""One member cannot hold up the others, and forged option values are kept in range: the real
``corpusbot run`` process over a generated corpus of 50,000 one-passage records, big enough that
"closest ids" for an unknown id costs about a second of CPU.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e_helpers import BOT_ARGV, bot_env
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.harness import fake_and_bot

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(120)
shared = pytest.mark.asyncio(loop_scope="module")

RECORDS = 50_000
WORDS = ["harbor", "river", "north", "satellite", "policy", "market", "grain", "bridge"]


def make_records(folder: Path) -> Path:
    """``records.jsonl``: record-000000 … record-049999, thirty words each from a few."""
    folder.mkdir()
    chooser = random.Random(14)
    lines = (
        json.dumps(
            {
                "id": f"record-{number:06d}",
                "title": f"Record {number}",
                "text": " ".join(chooser.choice(WORDS) for _ in range(30)) + ".",
            }
        )
        for number in range(RECORDS)
    )
    (folder / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def big_bot(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[FakeDiscord, BotProcess]]:
    workdir = tmp_path_factory.mktemp("flood")
    corpus = make_records(workdir / "corpus")
    env = bot_env(corpus, workdir / "log.db", index_cache_dir=workdir / "index")
    async with fake_and_bot(BOT_ARGV, env, name="corpusbot", timeout=60) as running:
        yield running


def blocks(message) -> int:  # type: ignore[no-untyped-def]
    """How many quoted passages an answer shows."""
    return str(message.embeds[0].get("description", "")).count("\n\n") + 1


@shared
@pytest.mark.parametrize(("forged", "shown"), [(50, 5), (6, 5), (0, 1), (-3, 1)])
async def test_a_forged_results_value_is_kept_within_1_to_5(
    big_bot: tuple[FakeDiscord, BotProcess], forged: int, shown: int
) -> None:
    """Discord enforces the option's range; a forged interaction does not."""
    fake = big_bot[0]
    ix = await fake.send_command("ask", {"question": "harbor bridge", "results": forged})
    message = await ix.wait_for_message(timeout=10)
    assert blocks(message) == shown, message.embeds[0].get("description")
    assert message.embeds[0]["footer"]["text"].startswith(
        f"Results 1–{shown} of " if shown > 1 else "Result 1 of "
    )
