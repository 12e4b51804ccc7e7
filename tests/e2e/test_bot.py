"""/ask and /source end to end: the real ``corpusbot run`` process against the fake Discord.

One bot process is shared by the request/response tests (a module-scoped fixture); tests that
need their own settings, a restart or a signal start their own process.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.helpers import (
    BOT_ARGV,
    SHORT_PASSAGES,
    bot_env,
    make_corpus,
    results_of,
    row_for,
    rows,
    set_immutable,
    wait_for_rows,
)
from tests.fakediscord import BotProcess, FakeDiscord
from tests.fakediscord.harness import fake_and_bot

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(90)
shared = pytest.mark.asyncio(loop_scope="module")

SEED = "000_fe06235f8a2d5290"
QUESTION = "What does Russia plan to give North Korea?"
# A mention not escaped by a backslash, or a mass mention not broken by a zero-width space.
LIVE_MENTION = re.compile(r"(?<!\\)<[@#]|@(everyone|here)")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_bot(workdir: Path) -> AsyncIterator[tuple[FakeDiscord, BotProcess, Path]]:
    corpus = make_corpus(workdir)
    database = workdir / "log.db"
    async with fake_and_bot(BOT_ARGV, bot_env(corpus, database), name="corpusbot") as (fake, bot):
        yield fake, bot, database


@pytest.fixture
def fake(shared_bot: tuple[FakeDiscord, BotProcess, Path]) -> FakeDiscord:
    return shared_bot[0]


@pytest.fixture
def database(shared_bot: tuple[FakeDiscord, BotProcess, Path]) -> Path:
    return shared_bot[2]


def description(message) -> str:  # type: ignore[no-untyped-def]
    return str(message.embeds[0].get("description", ""))


@shared
async def test_start_up_syncs_commands_and_logs_the_invite(shared_bot) -> None:  # type: ignore[no-untyped-def]
    fake, bot, _ = shared_bot
    assert fake.commands.names() >= {"ask", "source"}
    ask = fake.commands["ask"]
    assert [o["name"] for o in ask["options"]] == ["question", "results", "private"]
    assert fake.identify_count == 1
    await bot.wait_for_output(r"corpus: 2 documents, 5 passages")
    await bot.wait_for_output(
        r"invite: https://discord\.com/oauth2/authorize\?client_id=\d+"
        r"&scope=bot\+applications\.commands&permissions=\d+"
    )
    assert fake.token not in bot.output  # the token never reaches the log


@shared
async def test_ask_quotes_snippets_with_citations_and_buttons(
    fake: FakeDiscord, database: Path
) -> None:
    ix = await fake.send_command("ask", {"question": QUESTION})
    message = await ix.wait_for_message()
    assert not message.ephemeral
    assert message.allowed_mentions == {"parse": []}
    [embed] = message.embeds
    assert embed["author"]["name"] == f"Q: {QUESTION}"
    text = description(message)
    blocks = text.split("\n\n")
    assert len(blocks) == 3
    first_quote, first_citation = blocks[0].splitlines()
    assert first_quote.startswith("> ") and "satellite technology" in first_quote
    assert "**Russia plans**" in first_quote and "**North Korea**" in first_quote
    assert first_citation.startswith("— Secretary of State Antony Blinken")
    assert f"`{SEED}#1`" in first_citation
    assert embed["footer"]["text"].startswith("Results 1–3 of 4.")
    assert message.custom_ids() == [
        f"cb:open:{SEED}#1",
        f"cb:open:{SEED}#2",
        f"cb:open:{SEED}#3",
        "cb:more:3:3",
        "cb:vote:up",
        "cb:vote:down",
    ]
    row = (await wait_for_rows(database, 1, "interaction_id = ?", (int(ix.id),)))[0]
    assert row["command"] == "ask" and row["query"] == QUESTION
    assert row["outcome"] == "answered" and row["result_count"] == 3 and row["total_matches"] == 4
    assert row["top_passage_id"] == f"{SEED}#1"
    assert [r["id"] for r in results_of(row)] == [f"{SEED}#1", f"{SEED}#2", f"{SEED}#3"]
    assert row["guild_id"] == int(fake.guild_id) and row["user_id"] and row["user_name"]
    assert row["latency_ms"] > 0 and row["created_at"].endswith("+00:00")


@shared
async def test_the_bot_shows_what_the_cli_prints(fake: FakeDiscord, workdir: Path) -> None:
    from bot.config import Settings
    from bot.present.answers import render_response
    from bot.search.loading import load_service

    service = load_service(Settings(corpus_dir=workdir / "corpus", **SHORT_PASSAGES))
    expected = render_response(service.search(QUESTION, 3))
    message = await (await fake.send_command("ask", {"question": QUESTION})).wait_for_message()
    assert description(message) == expected


@shared
@pytest.mark.parametrize("count", [1, 5])
async def test_results_option_limits_the_answer(fake: FakeDiscord, count: int) -> None:
    message = await (
        await fake.send_command("ask", {"question": "North Korea", "results": count})
    ).wait_for_message()
    assert description(message).count("\n> ") + 1 == min(count, 4)
    more = [c for c in message.custom_ids() if c.startswith("cb:more")]
    assert more == (["cb:more:1:1"] if count == 1 else [])


@shared
async def test_private_answer_is_ephemeral(fake: FakeDiscord) -> None:
    ix = await fake.send_command("ask", {"question": QUESTION, "private": True})
    message = await ix.wait_for_message()
    assert message.ephemeral and "satellite technology" in description(message)


@shared
async def test_no_results_names_missing_words_and_is_logged(
    fake: FakeDiscord, database: Path
) -> None:
    ix = await fake.send_command("ask", {"question": "Where do quokkas live?"})
    message = await ix.wait_for_message()
    text = description(message)
    assert "No matching passages" in text and "“quokkas”" in text and "rephras" in text
    assert message.custom_ids() == []
    row = (await wait_for_rows(database, 1, "interaction_id = ?", (int(ix.id),)))[0]
    assert row["outcome"] == "no_results" and row["result_count"] == 0


@shared
async def test_question_of_only_stop_words_gets_a_helpful_reply(fake: FakeDiscord) -> None:
    message = await (await fake.send_command("ask", {"question": "what is it?"})).wait_for_message()
    assert "no searchable words" in description(message)


@shared
async def test_more_results_pages_privately_from_a_public_answer(
    fake: FakeDiscord, database: Path
) -> None:
    answer = await (
        await fake.send_command("ask", {"question": "North Korea", "results": 2})
    ).wait_for_message()
    press = await fake.send_component(answer, "cb:more:2:2")
    page = await press.wait_for_message()
    assert page.ephemeral and page.message_id != answer.message_id
    assert f"`{SEED}#" in description(page)
    assert page.embeds[0]["footer"]["text"].startswith("Results 3–4 of 4.")
    assert not any(c.startswith("cb:more") for c in page.custom_ids())
    row = (await wait_for_rows(database, 1, "interaction_id = ?", (int(press.id),)))[0]
    assert row["command"] == "more" and row["query"] == "North Korea" and row["result_count"] == 2


@shared
async def test_more_results_on_a_private_answer_edits_it_in_place(fake: FakeDiscord) -> None:
    answer = await (
        await fake.send_command("ask", {"question": "North Korea", "results": 1, "private": True})
    ).wait_for_message()
    press = await fake.send_component(answer, "cb:more:1:1")
    reply = await press.wait_response()
    assert reply.type == 7  # UPDATE_MESSAGE
    assert reply.data["embeds"][0]["footer"]["text"].startswith("Result 2 of 4.")


@shared
async def test_open_button_shows_the_cited_passage(fake: FakeDiscord, database: Path) -> None:
    answer = await (await fake.send_command("ask", {"question": QUESTION})).wait_for_message()
    press = await fake.send_component(answer, f"cb:open:{SEED}#2")
    source = await press.wait_for_message()
    assert source.ephemeral
    [embed] = source.embeds
    assert embed["description"].startswith("> Blinken's visit to Seoul")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Passage"] == "2 of 4" and fields["Id"] == f"`{SEED}#2`"
    assert fields["Source"] == f"`{SEED}.txt`"
    assert source.custom_ids() == [f"cb:nav:{SEED}#1", f"cb:nav:{SEED}#3"]
    row = (await wait_for_rows(database, 1, "interaction_id = ?", (int(press.id),)))[0]
    assert row["command"] == "open" and row["top_passage_id"] == f"{SEED}#2"


@shared
async def test_source_command_with_neighbours_and_navigation(fake: FakeDiscord) -> None:
    message = await (await fake.send_command("source", {"id": f"{SEED}#1"})).wait_for_message()
    assert not message.ephemeral
    assert message.custom_ids() == [f"cb:nav:{SEED}#2"]  # the first passage has no previous
    press = await fake.send_component(message, f"cb:nav:{SEED}#2")
    moved = await press.wait_for_message()
    assert moved.ephemeral  # a public view is not changed under everyone's eyes
    assert {f["name"]: f["value"] for f in moved.embeds[0]["fields"]}["Passage"] == "2 of 4"
    # On a private view, navigation edits in place.
    private = await (
        await fake.send_command("source", {"id": f"{SEED}#4", "private": True})
    ).wait_for_message()
    assert private.custom_ids() == [f"cb:nav:{SEED}#3"]
    back = await fake.send_component(private, f"cb:nav:{SEED}#3")
    assert (await back.wait_response()).type == 7


@shared
async def test_source_opens_a_document_by_its_id(fake: FakeDiscord) -> None:
    message = await (await fake.send_command("source", {"id": "giveaway"})).wait_for_message()
    fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
    assert fields["Id"] == "`giveaway#1`" and fields["Passage"] == "1 of 1"


@shared
async def test_unknown_source_id_is_a_private_error_with_the_closest_ids(
    fake: FakeDiscord, database: Path
) -> None:
    ix = await fake.send_command("source", {"id": f"{SEED}#9"})
    message = await ix.wait_for_message()
    assert message.ephemeral
    text = description(message)
    assert "No passage or document has the id" in text and f"`{SEED}#" in text
    row = (await wait_for_rows(database, 1, "interaction_id = ?", (int(ix.id),)))[0]
    assert row["command"] == "source" and row["outcome"] == "no_results"


@shared
async def test_source_autocomplete_offers_ids_and_titles(fake: FakeDiscord) -> None:
    choices = (await (await fake.send_autocomplete("source", {"id": "#3"})).wait_response()).choices
    assert [c["value"] for c in choices] == [f"{SEED}#3"]
    by_title = (
        await (await fake.send_autocomplete("source", {"id": "giveaway"})).wait_response()
    ).choices
    assert [c["value"] for c in by_title] == ["giveaway#1"]
    everything = (
        await (await fake.send_autocomplete("source", {"id": ""})).wait_response()
    ).choices
    assert 1 <= len(everything) <= 25 and all(len(c["name"]) <= 100 for c in everything)


@shared
async def test_hostile_corpus_text_arrives_inert(fake: FakeDiscord) -> None:
    message = await (
        await fake.send_command("ask", {"question": "nitro giveaway ping"})
    ).wait_for_message()
    assert message.allowed_mentions == {"parse": []}
    text = description(message)
    assert "giveaway#1" in text
    assert not LIVE_MENTION.search(text), text
    assert "\\<@123456789012345678>" in text and "\\<@&456>" in text and "\\<#789>" in text
    assert "@\u200beveryone" in text and "@\u200bhere" in text
    source = await (await fake.send_command("source", {"id": "giveaway#1"})).wait_for_message()
    body = source.embeds[0]["description"]
    assert not LIVE_MENTION.search(body) and "\\[free nitro\\]" in body
    assert "\\`right now\\`" in body and "\\|\\|secret\\|\\|" in body
    assert source.allowed_mentions == {"parse": []}


@shared
async def test_a_replayed_interaction_is_answered_and_logged_once(
    fake: FakeDiscord, database: Path
) -> None:
    ix = await fake.send_command("ask", {"question": "Iranian satellites"})
    await ix.wait_for_message()
    await fake.dispatch("INTERACTION_CREATE", ix.payload)  # Discord re-sends the same event
    await ix.wait_until(lambda i: i.late_callbacks, timeout=5)  # refused: already acknowledged
    await asyncio.sleep(1.0)  # past a flush
    assert len(rows(database, "interaction_id = ?", (int(ix.id),))) == 1
    assert len(ix.messages) == 1  # the member sees the answer once, not a copy as a follow-up


@shared
async def test_an_answer_that_went_through_behind_a_5xx_is_not_posted_twice(
    fake: FakeDiscord, database: Path
) -> None:
    """Discord records the answer but replies 500; discord.py retries, and the retry is refused
    as already acknowledged. The channel shows the answer once, not a copy as a follow-up."""
    fake.inject_error("POST", r"^/interactions/\d+/[^/]+/callback", status=500, after=True)
    ix = await fake.send_command("ask", {"question": "Iranian satellites"})
    await ix.wait_until(lambda i: i.late_callbacks, timeout=10)  # the retry, refused
    await wait_for_rows(database, 1, "interaction_id = ?", (int(ix.id),))
    await asyncio.sleep(0.3)
    assert [m.kind for m in ix.messages] == ["callback"]
    assert "Iran" in description(ix.messages[0])


@shared
async def test_a_failed_reply_gets_an_error_id_in_the_log_and_to_the_member(
    shared_bot,
    database: Path,  # type: ignore[no-untyped-def]
) -> None:
    fake, bot, _ = shared_bot
    # A 400 is not retried by discord.py (a 5xx would be), so the reply itself fails.
    fake.inject_error("POST", r"^/interactions/\d+/[^/]+/callback", status=400, count=1)
    ix = await fake.send_command("ask", {"question": QUESTION})
    message = await ix.wait_for_message()
    assert message.ephemeral
    match = re.search(r"error id `([0-9a-f]{8})`", description(message))
    assert match, description(message)
    error_id = match.group(1)
    await bot.wait_for_output(rf"error {error_id} handling interaction {ix.id}")
    await bot.wait_for_output(r"Traceback \(most recent call last\)")
    row = (await wait_for_rows(database, 1, "interaction_id = ?", (int(ix.id),)))[0]
    assert row["outcome"] == "error" and row["error_id"] == error_id


@shared
async def test_100_concurrent_asks_are_all_answered_and_logged_once(
    fake: FakeDiscord, database: Path
) -> None:
    questions = [
        "North Korea satellite",
        "Blinken Seoul",
        "Iranian satellites",
        "Trump",
        "sanctions",
    ]
    interactions = await asyncio.gather(
        *(
            fake.send_command(
                "ask", {"question": questions[i % 5]}, user=fake.make_user(f"member{i}")
            )
            for i in range(100)
        )
    )
    messages = await asyncio.gather(*(ix.wait_for_message(timeout=30) for ix in interactions))
    assert all(description(m).startswith("> ") for m in messages)
    ids = [int(ix.id) for ix in interactions]
    marks = ",".join("?" * len(ids))
    logged = await wait_for_rows(
        database, 100, f"interaction_id IN ({marks})", tuple(ids), timeout=20
    )
    assert sorted(r["interaction_id"] for r in logged) == sorted(ids)
    assert {r["outcome"] for r in logged} == {"answered"}


@shared
async def test_gateway_drop_then_resume_and_answer_again(shared_bot) -> None:  # type: ignore[no-untyped-def]
    fake = shared_bot[0]
    commands = fake.commands.names()
    resumes = fake.resume_count
    await fake.drop_gateway()
    await fake.wait_for_ready(timeout=20)
    assert fake.resume_count == resumes + 1
    message = await (await fake.send_command("ask", {"question": QUESTION})).wait_for_message(
        timeout=10
    )
    assert "satellite technology" in description(message)
    assert fake.commands.names() == commands
    syncs = [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert len(syncs) == 1  # a reconnect does not sync again


# --- tests with their own bot process ----------------------------------------------------------


async def test_cooldown_answers_with_try_again(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    await launch_bot(
        BOT_ARGV, bot_env(corpus, database, ask_cooldown_rate=2, ask_cooldown_seconds=60)
    )
    member = fake_discord.make_user("eager")
    for _ in range(2):
        await (
            await fake_discord.send_command("ask", {"question": "Seoul"}, user=member)
        ).wait_for_message()
    limited = await fake_discord.send_command("ask", {"question": "Seoul"}, user=member)
    message = await limited.wait_for_message()
    assert message.ephemeral
    assert re.search(r"try again in (59|60) s", description(message))
    other = await fake_discord.send_command(
        "ask", {"question": "Seoul"}, user=fake_discord.make_user("calm")
    )
    assert not (await other.wait_for_message()).ephemeral  # the limit is per member
    row = (await wait_for_rows(database, 1, "interaction_id = ?", (int(limited.id),)))[0]
    assert row["outcome"] == "rate_limited"


async def test_slow_answer_is_deferred_then_edited(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    # Every search takes half a second (a big corpus on a busy machine), past the 0.1 s after
    # which the bot defers. (The real search takes milliseconds here: its timing can't decide.)
    env = bot_env(corpus, database, defer_after_seconds=0.1, slow_search_seconds=0.5)
    await launch_bot(SLOW_SEARCH_BOT_ARGV, env)
    ix = await fake_discord.send_command("ask", {"question": QUESTION, "private": True})
    callback = await ix.wait_response()
    assert callback.type == 5 and callback.ephemeral  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    message = await ix.wait_for_message()
    assert "satellite technology" in description(message)
    assert ix.edits or ix.followups


async def test_buttons_keep_working_after_a_restart(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    env = bot_env(corpus, database)
    first = await launch_bot(BOT_ARGV, env, name="first")
    answer = await (
        await fake_discord.send_command("ask", {"question": "North Korea", "results": 2})
    ).wait_for_message()
    first.send_signal(signal.SIGTERM)
    assert await first.wait(15) == 0
    await launch_bot(BOT_ARGV, env, name="second")
    more = await (await fake_discord.send_component(answer, "cb:more:2:2")).wait_for_message()
    assert more.embeds[0]["footer"]["text"].startswith("Results 3–4 of 4.")
    opened = await (
        await fake_discord.send_component(answer, f"cb:open:{SEED}#1")
    ).wait_for_message()
    assert opened.embeds[0]["description"].startswith("> Secretary of State")
    # The second start found the same command definitions in the database: no second sync.
    syncs = [r for r in fake_discord.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert len(syncs) == 1


async def test_query_log_pages_keep_turning_after_a_restart(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    env = bot_env(corpus, database, query_log_flush_seconds=0.1)
    first = await launch_bot(BOT_ARGV, env, name="first")
    for n in range(12):
        await (
            await fake_discord.send_command("ask", {"question": f"Seoul {n}"})
        ).wait_for_message()
    await wait_for_rows(database, 12)
    listing = await (
        await fake_discord.send_command(
            "querylog recent", {"contains": "Seoul"}, user=fake_discord.owner_user
        )
    ).wait_for_message()
    assert "Page 1 of 2" in listing.embeds[0]["footer"]["text"]
    first.send_signal(signal.SIGTERM)
    assert await first.wait(15) == 0

    await launch_bot(BOT_ARGV, env, name="second")
    older = listing.custom_ids()[1]
    ix = await fake_discord.send_component(listing, older, user=fake_discord.owner_user)
    page = await ix.wait_for_message()
    # The page's filters were frozen in the log when the listing was made: the new process reads
    # them back from the button's action id and shows the two oldest of the same twelve rows.
    assert page.kind == "update" and "Page 2 of 2" in page.embeds[0]["footer"]["text"]
    lines = page.embeds[0]["description"].splitlines()
    assert ["“Seoul 1”" in lines[0], "“Seoul 0”" in lines[1], len(lines)] == [True, True, 2]


async def test_sigterm_flushes_the_buffered_log(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    bot = await launch_bot(BOT_ARGV, bot_env(corpus, database, query_log_flush_seconds=60))
    interactions = [
        await fake_discord.send_command("ask", {"question": f"Seoul {i}"}) for i in range(5)
    ]
    await asyncio.gather(*(ix.wait_for_message() for ix in interactions))
    await asyncio.sleep(0.3)
    assert rows(database) == []  # still buffered: the next flush is a minute away
    bot.send_signal(signal.SIGTERM)
    assert await bot.wait(15) == 0
    assert len(rows(database)) == 5
    assert "5 rows written this run, 0 left over" in bot.output


async def test_kill_9_loses_no_answered_row_and_the_next_start_says_it_was_killed(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Rows are written as soon as they are recorded, so a process killed outright a moment
    (0.2 s) after its last answer has logged every answered question."""
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    env = bot_env(corpus, database)  # the default write timing
    bot = await launch_bot(BOT_ARGV, env, name="killed")
    await (await fake_discord.send_command("ask", {"question": "warm up"})).wait_for_message()
    await wait_for_rows(database, 1)  # a write just happened: a timed writer is far from its next
    burst = await asyncio.gather(
        *(
            fake_discord.send_command(
                "ask", {"question": f"Seoul {i}"}, user=fake_discord.make_user(f"m{i}")
            )
            for i in range(10)
        )
    )
    await asyncio.gather(*(ix.wait_for_message() for ix in burst))
    await asyncio.sleep(0.2)
    await bot.kill()  # SIGKILL: no shutdown code runs
    assert bot.returncode == -signal.SIGKILL
    assert len(rows(database)) == 11
    # The process ran with the test's umask (022); its log is private all the same.
    names = ("log.db", "log.db-wal", "log.db-shm", f"log.db.running.{bot.pid}")
    assert [os.stat(tmp_path / name).st_mode & 0o777 for name in names] == [0o600] * 4
    again = await launch_bot(BOT_ARGV, env, name="after")
    await again.wait_for_output(r"the previous run did not stop cleanly")


SLOW_SEARCH_BOT_ARGV = [sys.executable, "-m", "tests.e2e.slow_search_bot"]


async def test_a_slow_id_completion_does_not_hold_up_other_members(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Completing a typed /source id scans the documents (seconds at 100,000 when nothing
    matches), once per keystroke: meanwhile the bot keeps answering everyone else in time."""
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    env = bot_env(corpus, database, slow_search_seconds=0, slow_complete_seconds=4)
    await launch_bot(SLOW_SEARCH_BOT_ARGV, env)
    typing = await fake_discord.send_autocomplete("source", {"id": "no such id"})
    await asyncio.sleep(0.2)
    ix = await fake_discord.send_command("ask", {"question": QUESTION})
    message = await ix.wait_for_message(timeout=10)
    assert "satellite technology" in description(message)
    assert ix.response_latency is not None and ix.response_latency < 2.5
    assert typing.callback is None  # the completion is still being worked out


async def test_a_slow_unknown_id_is_answered_in_time_and_holds_up_no_one(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """An unknown /source id is compared with every id for "closest ids" (seconds at 50,000
    passages): the member still gets the reply, and others their answers, in time."""
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    env = bot_env(corpus, database, slow_search_seconds=0, slow_closest_seconds=4)
    await launch_bot(SLOW_SEARCH_BOT_ARGV, env)
    lookup = await fake_discord.send_command("source", {"id": f"{SEED}#9"})
    await asyncio.sleep(0.2)
    ix = await fake_discord.send_command("ask", {"question": QUESTION})
    assert "satellite technology" in description(await ix.wait_for_message(timeout=10))
    assert ix.response_latency is not None and ix.response_latency < 2.5
    reply = await lookup.wait_for_message(timeout=10)
    assert reply.ephemeral and "No passage or document has the id" in description(reply)
    assert f"`{SEED}#4`" in description(reply) and not lookup.late_callbacks
    [row] = await wait_for_rows(database, 1, "interaction_id = ?", (int(lookup.id),))
    assert row["outcome"] == "no_results"


async def test_sigterm_lets_an_answer_in_progress_finish_and_logs_it(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    env = bot_env(corpus, database, slow_search_seconds=2)
    bot = await launch_bot(SLOW_SEARCH_BOT_ARGV, env)
    ix = await fake_discord.send_command("ask", {"question": QUESTION})
    assert (await ix.wait_response(timeout=10)).type == 5  # deferred: still searching
    bot.send_signal(signal.SIGTERM)
    assert await bot.wait(20) == 0
    assert "satellite technology" in description(ix.visible_messages[0])
    [row] = rows(database, "interaction_id = ?", (int(ix.id),))
    assert row["outcome"] == "answered"
    assert "letting 1 interactions finish" in bot.output


async def test_sigterm_also_lets_an_answer_begun_while_stopping_finish(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The Gateway stays open while answers finish, so questions keep arriving: one that came
    in after the signal is answered too when there is time, not cut off half-way."""
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    env = bot_env(corpus, database, slow_search_seconds=2)
    bot = await launch_bot(SLOW_SEARCH_BOT_ARGV, env)
    first = await fake_discord.send_command("ask", {"question": QUESTION})
    assert (await first.wait_response(timeout=10)).type == 5
    bot.send_signal(signal.SIGTERM)
    await bot.wait_for_output("letting 1 interactions finish")
    await asyncio.sleep(0.5)
    late = await fake_discord.send_command("ask", {"question": "Blinken Seoul"})
    assert await bot.wait(20) == 0
    assert "satellite technology" in description(first.visible_messages[0])
    assert "Seoul" in description(late.visible_messages[0])
    [row] = rows(database, "interaction_id = ?", (int(late.id),))
    assert row["outcome"] == "answered"


async def test_an_answer_cut_off_by_shutdown_is_still_logged(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A search still running after the bot's grace period: no reply is possible any more, but
    the interaction is logged (as an error), through the side file the next start imports."""
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    env = bot_env(corpus, database, slow_search_seconds=7)
    bot = await launch_bot(SLOW_SEARCH_BOT_ARGV, env)
    ix = await fake_discord.send_command("ask", {"question": QUESTION})
    await ix.wait_response(timeout=10)
    bot.send_signal(signal.SIGTERM)
    assert await bot.wait(30) == 0
    spill = database.with_name(database.name + ".unsaved.jsonl")
    [saved] = [json.loads(line) for line in spill.read_text().splitlines()]
    assert (saved["interaction_id"], saved["outcome"]) == (int(ix.id), "error")
    await launch_bot(BOT_ARGV, bot_env(corpus, database, query_log_flush_seconds=0.1))
    [row] = await wait_for_rows(database, 1, "interaction_id = ?", (int(ix.id),))
    assert row["outcome"] == "error" and row["query"] == QUESTION


async def test_locked_then_read_only_database_loses_no_row(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    bot = await launch_bot(BOT_ARGV, bot_env(corpus, database, query_log_flush_seconds=0.2))
    await (await fake_discord.send_command("ask", {"question": "warm up"})).wait_for_message()
    await wait_for_rows(database, 1)

    # 1. Another process holds the write lock: answers still arrive, rows wait.
    holder = sqlite3.connect(database, isolation_level=None, timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    locked = [await fake_discord.send_command("ask", {"question": "Seoul"}) for _ in range(3)]
    for ix in locked:
        assert "Seoul" in description(await ix.wait_for_message(timeout=5))
    await bot.wait_for_output(r"query log .* not writable \(database is locked\)", timeout=10)
    assert len(rows(database)) == 1
    holder.execute("ROLLBACK")
    holder.close()
    await wait_for_rows(database, 4, timeout=15)

    # 2. The files become read-only (immutable even to root): same again.
    files = [p for p in (database, database.with_name("log.db-wal")) if p.exists()]
    set_immutable(files, True)
    try:
        read_only = [
            await fake_discord.send_command("ask", {"question": "Trump"}) for _ in range(3)
        ]
        for ix in read_only:
            assert "Trump" in description(await ix.wait_for_message(timeout=5))
        await bot.wait_for_output(
            r"query log .* not writable \((attempt to write a readonly database|disk I/O error)",
            timeout=10,
        )
        assert len(rows(database)) == 4
    finally:
        set_immutable(files, False)
    await wait_for_rows(database, 7, timeout=15)
    await bot.wait_for_output(r"query log writable again")
    ids = [int(ix.id) for ix in locked + read_only]
    assert all(row_for(database, str(i)) for i in ids)


async def test_no_token_exits_with_help(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        *BOT_ARGV,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "CORPUS_DIR": str(tmp_path)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    text = output.decode()
    assert "DISCORD_TOKEN is not set" in text and "discord.com/developers/applications" in text
    assert ".env" in text


async def test_sync_command_pushes_guild_commands(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    corpus, database = make_corpus(tmp_path), tmp_path / "log.db"
    env = {**fake_discord.env(), **bot_env(corpus, database)}
    process = await asyncio.create_subprocess_exec(
        *BOT_ARGV[:-1],
        "sync",
        "--guild",
        fake_discord.guild_id,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, output.decode()
    assert re.search(rf"synced \d+ commands to guild {fake_discord.guild_id}", output.decode())
    assert fake_discord.commands.names(fake_discord.guild_id) >= {"ask", "source"}
    assert fake_discord.identify_count == 0  # HTTP only: no Gateway session was opened


# --- the member's language ------------------------------------------------------------------

GERMAN_NOTHING_FOUND = (
    "Keine passenden Passagen zu dieser Frage.\n"
    "In den Dokumenten kommt nie vor: „quokkas“, „wombats“.\n"
    "Formuliere die Frage mit anderen Wörtern, oder nimm weniger und genauere Stichwörter."
)


def labels(message) -> list[str]:  # type: ignore[no-untyped-def]
    """The buttons' labels (an emoji for one that has none), in order."""
    from tests.fakediscord.payloads import iter_components

    buttons = [c for c in iter_components(message.components) if c["type"] == 2]
    return [button.get("label") or button["emoji"]["name"] for button in buttons]


def localized_siblings(commands: list[dict]) -> list[list[dict]]:  # type: ignore[type-arg]
    """Every list of commands or options whose names Discord wants unique, at any depth."""
    found = [commands]
    for command in commands:
        if command.get("options"):
            found += localized_siblings(command["options"])
    return found


@shared
async def test_synced_commands_carry_every_shipped_language(fake: FakeDiscord) -> None:
    """Discord shows each member the command in their language; the fake checked each body
    against Discord's OpenAPI spec (lengths, counts) when the bot synced."""
    from bot.i18n.catalog import SHIPPED

    ask = fake.commands["ask"]
    assert set(ask["name_localizations"]) == {*SHIPPED, "es-419"}  # Latin America reads Spain's
    assert ask["name_localizations"]["de"] == "frage"
    assert ask["name_localizations"]["ja"] == "質問"
    assert ask["description_localizations"]["ru"] == "Ответ на вопрос цитатами из документов"
    question = ask["options"][0]
    assert question["name"] == "question" and question["name_localizations"]["es-ES"] == "pregunta"
    querylog = fake.commands["querylog"]
    assert querylog["name_localizations"]["zh-CN"] == "查询日志"
    recent = next(option for option in querylog["options"] if option["name"] == "recent")
    assert recent["name_localizations"]["fr"] == "récentes"
    outcome = next(option for option in recent["options"] if option["name"] == "outcome")
    choices = {choice["value"]: choice for choice in outcome["choices"]}
    assert choices["no_results"]["name_localizations"]["pt-BR"] == "sem resultados"
    # Each localized name is unique among its siblings, as Discord requires.
    for siblings in localized_siblings(list(fake.commands.global_commands.values())):
        for locale in SHIPPED:
            names = [
                item.get("name_localizations", {}).get(locale, item["name"]) for item in siblings
            ]
            assert len(names) == len(set(names)), (locale, names)


@shared
async def test_ask_in_german_words_the_bot_in_german_and_quotes_the_corpus_as_is(
    fake: FakeDiscord,
) -> None:
    english = await (await fake.send_command("ask", {"question": QUESTION})).wait_for_message()
    german = await (
        await fake.send_command("ask", {"question": QUESTION}, locale="de")
    ).wait_for_message()
    assert description(german) == description(english)  # the quotes and citations
    [embed] = german.embeds
    assert embed["author"]["name"] == f"F: {QUESTION}"
    assert embed["footer"]["text"] == (
        "Ergebnisse 1–3 von 4. Aus den Dokumenten zitiert; nichts hiervon ist generiert."
    )
    assert labels(german) == ["Öffnen 1", "Öffnen 2", "Öffnen 3", "Mehr Ergebnisse", "👍", "👎"]
    assert german.custom_ids() == english.custom_ids()


@shared
async def test_nothing_found_is_said_in_german(fake: FakeDiscord) -> None:
    ix = await fake.send_command("ask", {"question": "quokkas wombats"}, locale="de")
    message = await ix.wait_for_message()
    assert description(message) == GERMAN_NOTHING_FOUND
    assert message.embeds[0]["footer"]["text"] == (
        "Aus den Dokumenten zitiert; nichts hiervon ist generiert."
    )


@shared
@pytest.mark.parametrize("locale", ["en-GB", "it", "zh-TW"])
async def test_a_language_not_shipped_gets_english(fake: FakeDiscord, locale: str) -> None:
    ix = await fake.send_command("ask", {"question": "quokkas wombats"}, locale=locale)
    text = description(await ix.wait_for_message())
    assert text.startswith("No matching passages for that question.\n")
    assert "“quokkas”, “wombats”" in text


@shared
async def test_a_german_member_pages_an_english_answer_in_german(fake: FakeDiscord) -> None:
    """The question is read back from an English answer; the page is the presser's."""
    answer = await (
        await fake.send_command("ask", {"question": "North Korea", "results": 2})
    ).wait_for_message()
    page = await (await fake.send_component(answer, "cb:more:2:2", locale="de")).wait_for_message()
    assert page.ephemeral and f"`{SEED}#" in description(page)
    assert page.embeds[0]["author"]["name"] == "F: North Korea"
    assert page.embeds[0]["footer"]["text"].startswith("Ergebnisse 3–4 von 4.")
    vote = await (await fake.send_component(answer, "cb:vote:up", locale="ja")).wait_for_message()
    assert description(vote) == "👍 ありがとうございます。この回答が役に立ったと記録しました。"


@shared
async def test_a_source_opened_in_japanese(fake: FakeDiscord) -> None:
    answer = await (await fake.send_command("ask", {"question": QUESTION})).wait_for_message()
    press = await fake.send_component(answer, f"cb:open:{SEED}#2", locale="ja")
    [embed] = (source := await press.wait_for_message()).embeds
    assert embed["description"].startswith("> Blinken's visit to Seoul")  # as in English
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields == {"箇所": "2 / 4", "ID": f"`{SEED}#2`", "出典": f"`{SEED}.txt`"}
    assert labels(source) == ["◀ 前へ", "次へ ▶"]
