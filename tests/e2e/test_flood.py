"""One member cannot hold up the others, and forged option values are kept in range: the real
``corpusbot run`` process over a generated corpus of 50,000 one-passage records, big enough that
"closest ids" for an unknown id costs about a second of CPU.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.helpers import BOT_ARGV, bot_env
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


@shared
async def test_a_forged_more_results_button_is_kept_within_1_to_5(
    big_bot: tuple[FakeDiscord, BotProcess],
) -> None:
    """A "More results" ``custom_id`` carries its page size; a forged one asking for 99 (the
    template allows two digits) still shows at most five."""
    fake = big_bot[0]
    ix = await fake.send_command("ask", {"question": "harbor bridge", "results": 2})
    answer = await ix.wait_for_message(timeout=10)
    more = next(c for c in answer.custom_ids() if c.startswith("cb:more:"))
    pressed = await fake.send_component(answer, more, forged_custom_id="cb:more:2:99")
    page = await pressed.wait_for_message(timeout=10)
    assert blocks(page) == 5, page.embeds[0].get("description")
    assert page.embeds[0]["footer"]["text"].startswith("Results 3–7 of ")


@shared
async def test_one_members_flood_of_unknown_ids_holds_up_no_one_else(
    big_bot: tuple[FakeDiscord, BotProcess],
) -> None:
    """30 /source with near-miss ids from one member ("closest ids" for each, about a second
    of CPU at 50,000 passages), and meanwhile 20 other members ask: the flooding member still
    gets every reply, and the others are not queued behind the flood.

    The bar is relative, so a busy machine slows both sides alike: queued behind the flood, the
    slowest other answer would take about as long as the flood itself; here it takes under a
    fifth of that."""
    fake = big_bot[0]
    flooder = fake.make_user("flooder")
    flood = await asyncio.gather(
        *(
            fake.send_command("source", {"id": f"records/record-{n:05d}x#1"}, user=flooder)
            for n in range(30)
        )
    )
    await asyncio.sleep(0.2)  # the flood is being worked on
    asks = await asyncio.gather(
        *(
            fake.send_command("ask", {"question": "harbor bridge"}, user=fake.make_user(f"m{n}"))
            for n in range(20)
        )
    )
    answers = await asyncio.gather(*(ix.wait_for_message(timeout=60) for ix in asks))
    replies = await asyncio.gather(*(ix.wait_for_message(timeout=60) for ix in flood))
    latencies = sorted(ix.message_latency or 0.0 for ix in asks)
    flood_time = max(ix.message_latency or 0.0 for ix in flood)
    print(f"others' answers: median {latencies[10]:.2f} s, slowest {latencies[-1]:.2f} s")
    print(f"the flooder's last reply: {flood_time:.2f} s")
    assert all(str(m.embeds[0]["description"]).startswith("> ") for m in answers)
    assert all(reply.ephemeral for reply in replies)
    assert latencies[-1] * 5 < flood_time


@shared
async def test_source_and_its_completion_share_one_cooldown(
    big_bot: tuple[FakeDiscord, BotProcess],
) -> None:
    """Every keystroke's completion spends from the /source allowance (30 in 30 s by
    default): past it /source says when to try again, and completion offers nothing."""
    fake = big_bot[0]
    typist = fake.make_user("typist")
    typed = "records/record-0001"
    for length in range(len(typed) - 29, len(typed) + 1):  # 30 keystrokes
        ix = await fake.send_autocomplete("source", {"id": typed[:length]}, user=typist)
        assert (await ix.wait_response(timeout=10)).choices
    limited = await fake.send_command("source", {"id": "records/record-000100#1"}, user=typist)
    message = await limited.wait_for_message(timeout=10)
    assert message.ephemeral and re.search(r"try again in \d+ s", message.embeds[0]["description"])
    again = await fake.send_autocomplete("source", {"id": typed}, user=typist)
    assert (await again.wait_response(timeout=10)).choices == []
    other = await fake.send_autocomplete("source", {"id": typed}, user=fake.make_user("calm"))
    assert (await other.wait_response(timeout=10)).choices  # the limit is per member
