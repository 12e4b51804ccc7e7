""" "Find in the docs" end to end: the message command's private answer, then "Post publicly"
as a reply to the message, logged and voted on like /ask; the real bot against the fake."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.helpers import BOT_ARGV, bot_env, make_corpus, wait_for_rows
from tests.fakediscord import BotProcess, FakeDiscord, RecordedMessage
from tests.fakediscord import payloads as P
from tests.fakediscord.harness import fake_and_bot

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(90)
shared = pytest.mark.asyncio(loop_scope="module")

MENU = "Find in the docs"
QUESTION = "What does Russia plan to give North Korea?"
POST = f"Hi all! I read the news this morning. {QUESTION} Thanks in advance <@&1> @everyone"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_bot(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[FakeDiscord, BotProcess, Path]]:
    workdir = tmp_path_factory.mktemp("menu")
    database = workdir / "log.db"
    env = bot_env(make_corpus(workdir), database)
    async with fake_and_bot(BOT_ARGV, env, name="corpusbot") as (fake, bot):
        yield fake, bot, database


@pytest.fixture
def fake(shared_bot: tuple[FakeDiscord, BotProcess, Path]) -> FakeDiscord:
    return shared_bot[0]


@pytest.fixture
def database(shared_bot: tuple[FakeDiscord, BotProcess, Path]) -> Path:
    return shared_bot[2]


async def channel_message(fake: FakeDiscord, count: int) -> RecordedMessage:
    """The ``count``-th message the bot posted in a channel (not as an interaction reply)."""
    found: list[RecordedMessage] = await fake.wait_until(
        lambda: fake.channel_messages if len(fake.channel_messages) >= count else None
    )
    return found[count - 1]


@shared
async def test_the_menu_is_a_message_command(fake: FakeDiscord) -> None:
    command = fake.commands[MENU]
    assert command["type"] == 3 and not command.get("options")


@shared
async def test_find_in_docs_answers_privately_then_posts_a_reply(
    fake: FakeDiscord, database: Path
) -> None:
    posted_before = len(fake.channel_messages)
    message = fake.member_message(fake.channel["id"], POST)
    ix = await fake.send_message_command(MENU, message)
    private = await ix.wait_for_message()
    assert private.ephemeral and private.allowed_mentions == {"parse": []}
    assert private.embeds[0]["author"]["name"] == f"Q: {QUESTION}"  # the question, not the rest
    assert "**Russia plans**" in private.embeds[0]["description"]
    post_id = f"cb:post:{message['id']}"
    assert private.custom_ids()[-3:] == ["cb:vote:up", "cb:vote:down", post_id]
    [row] = await wait_for_rows(database, 1, "interaction_id = ?", (int(ix.id),))
    assert row["command"] == "find_in_docs" and row["query"] == QUESTION
    assert row["outcome"] == "answered"

    press = await fake.send_component(private, post_id)
    confirmation = await press.wait_for_message()
    assert confirmation.ephemeral and "Posted" in confirmation.text()
    reply = await channel_message(fake, posted_before + 1)
    assert reply.message["channel_id"] == message["channel_id"]
    assert reply.message["message_reference"]["message_id"] == message["id"]
    assert reply.message["referenced_message"]["content"] == POST
    assert reply.body["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert not reply.ephemeral
    assert reply.embeds[0]["author"]["name"] == f"Q: {QUESTION}"
    assert post_id not in reply.custom_ids() and "cb:vote:up" in reply.custom_ids()
    [public] = await wait_for_rows(
        database, 1, "command = 'post_publicly' AND interaction_id = ?", (int(reply.message_id),)
    )
    assert public["outcome"] == "answered" and public["query"] == QUESTION

    vote = await fake.send_component(reply.message_id, "cb:vote:up")
    assert "helped" in (await vote.wait_for_message()).text()
    with sqlite3.connect(database) as conn:
        votes = conn.execute("SELECT answer_id, vote FROM votes").fetchall()
    assert votes == [(int(reply.message_id), 1)]


@shared
async def test_a_message_without_text_is_told_so(fake: FakeDiscord, database: Path) -> None:
    message = fake.member_message(fake.channel["id"], "")
    ix = await fake.send_message_command(MENU, message)
    answer = await ix.wait_for_message()
    assert answer.ephemeral and "no text" in answer.text()
    assert answer.custom_ids() == []
    [row] = await wait_for_rows(database, 1, "interaction_id = ?", (int(ix.id),))
    assert row["outcome"] == "no_results"


@shared
async def test_a_channel_the_bot_cannot_post_in_keeps_the_answer_private(
    fake: FakeDiscord, database: Path
) -> None:
    channel = fake.channel
    message = fake.member_message(channel["id"], QUESTION)
    ix = await fake.send_message_command(MENU, message)
    private = await ix.wait_for_message()
    posted_before = len(fake.channel_messages)
    deny = {"id": fake.bot_user["id"], "type": 1, "allow": "0", "deny": str(P.PERM_SEND_MESSAGES)}
    channel["permission_overwrites"] = [deny]
    try:
        press = await fake.send_component(private, f"cb:post:{message['id']}")
        told = await press.wait_for_message()
    finally:
        channel["permission_overwrites"] = []
    assert told.ephemeral and "cannot post" in told.text()
    refused = [r for r in fake.requests if r.method == "POST" and r.status == 403]
    assert refused and refused[-1].path == f"/channels/{channel['id']}/messages"
    assert len(fake.channel_messages) == posted_before
    [row] = await wait_for_rows(database, 1, "interaction_id = ?", (int(press.id),))
    assert row["command"] == "post_publicly" and row["outcome"] == "no_results"


@shared
async def test_in_a_thread_the_public_reply_stays_in_the_thread(
    fake: FakeDiscord, database: Path
) -> None:
    forum = fake.add_forum("questions")  # a forum the bot has not been told of: not a help forum
    post = fake.new_forum_post(forum, "Satellites?", POST)
    starter = fake.messages[post["id"]]
    ix = await fake.send_message_command(MENU, starter)
    private = await ix.wait_for_message()
    assert private.ephemeral and private.message["channel_id"] == post["id"]
    posted_before = len(fake.channel_messages)
    press = await fake.send_component(private, f"cb:post:{starter['id']}")
    await press.wait_for_message()
    reply = await channel_message(fake, posted_before + 1)
    assert reply.message["channel_id"] == post["id"]
    assert reply.message["message_reference"]["message_id"] == starter["id"]
    [row] = await wait_for_rows(database, 1, "interaction_id = ?", (int(reply.message_id),))
    assert row["channel_id"] == int(post["id"])
