"""Help forums end to end: administrators choose forums, a new post there gets one answer when
the corpus has a confident one, never twice, and a missing permission is told once; the real
bot against the fake Discord's forum channels and THREAD_CREATE events."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.e2e.helpers import BOT_ARGV, bot_env, make_corpus, rows, wait_for_rows
from tests.e2e.test_bot import SLOW_SEARCH_BOT_ARGV
from tests.e2e.test_metrics import SERVING, scrape
from tests.fakediscord import BotProcess, FakeDiscord, RecordedMessage
from tests.fakediscord import payloads as P
from tests.fakediscord.harness import wait_ready_or_exit

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(120)
shared = pytest.mark.asyncio(loop_scope="module")

TITLE = "What does Russia plan to give North Korea?"
BODY = "Hi all, I read the news today and I am confused. Thanks for any pointers!"
OFF_TOPIC = "How do I bake sourdough bread at home?"
MIN_SCORE = 1.0  # the seed corpus is four passages: its scores are small (docs/quality.md)
PER_HOUR = 2


@dataclass
class World:
    fake: FakeDiscord
    database: Path
    env: dict[str, str]
    forums: dict[str, dict[str, Any]]
    system_channel: dict[str, Any]
    bots: list[BotProcess] = field(default_factory=list)

    @property
    def bot(self) -> BotProcess:
        return self.bots[-1]

    async def start_bot(self) -> BotProcess:
        bot = BotProcess(BOT_ARGV, {**self.fake.env(), **self.env}, name="corpusbot")
        self.bots.append(bot)
        await bot.start()
        await wait_ready_or_exit(self.fake, bot, 30)
        return bot


async def admin_command(world: World, name: str, options: dict[str, Any]) -> RecordedMessage:
    ix = await world.fake.send_command(name, options, user=world.fake.owner_user)
    return await ix.wait_for_message()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    workdir = tmp_path_factory.mktemp("forums")
    database = workdir / "log.db"
    fake = FakeDiscord(heartbeat_interval_ms=2000)
    forums = {
        "help": fake.add_forum("help"),
        "chat": fake.add_forum("chat"),  # never enabled
        "busy": fake.add_forum("busy"),
        "locked": fake.add_forum("locked", denied_to_bot=P.PERM_SEND_MESSAGES_IN_THREADS),
        "unread": fake.add_forum("unread", denied_to_bot=P.PERM_READ_HISTORY),
    }
    # A second server with no system channel: notices go to the administrator privately.
    second = fake.add_guild("Second Guild", owner=fake.owner_user)
    forums["quiet"] = fake.add_forum(
        "quiet", second["id"], denied_to_bot=P.PERM_SEND_MESSAGES_IN_THREADS
    )
    system_channel = next(c for c in fake.guild["channels"] if c["name"] == "bot-log")
    fake.guild["system_channel_id"] = system_channel["id"]
    env = bot_env(
        make_corpus(workdir),
        database,
        forum_min_score=MIN_SCORE,
        forum_answers_per_hour=PER_HOUR,
        metrics_port=0,
    )
    await fake.start()
    world = World(fake, database, env, forums, system_channel)
    try:
        await world.start_bot()
        for name in ("help", "busy", "locked", "unread"):
            added = await admin_command(
                world, "corpus-help forum add", {"channel": forums[name]["id"]}
            )
            assert "I will answer new posts" in added.text()
        quiet = forums["quiet"]
        ix = await fake.send_command(
            "corpus-help forum add",
            {"channel": quiet["id"]},
            user=fake.owner_user,
            guild_id=quiet["guild_id"],
        )
        assert "I will answer new posts" in (await ix.wait_for_message()).text()
        yield world
    finally:
        for bot in world.bots:
            await bot.kill()
            print(f"----- corpusbot (exit {bot.returncode}) output -----\n{bot.tail(200)}")
        await fake.stop()


def posted_in(fake: FakeDiscord, channel_id: str) -> list[RecordedMessage]:
    """What the bot posted in a channel or forum post, outside interactions."""
    return [m for m in fake.channel_messages if m.message["channel_id"] == channel_id]


async def answer_in(fake: FakeDiscord, post: dict[str, Any]) -> RecordedMessage:
    found: list[RecordedMessage] = await fake.wait_until(lambda: posted_in(fake, post["id"]), 15)
    return found[0]


def forum_rows(database: Path, post: dict[str, Any]) -> list[dict[str, Any]]:
    return rows(database, "command = 'forum' AND channel_id = ?", (int(post["id"]),))


async def wait_forum_rows(database: Path, post: dict[str, Any], count: int = 1) -> list[dict]:
    where, params = "command = 'forum' AND channel_id = ?", (int(post["id"]),)
    return await wait_for_rows(database, count, where, params, timeout=15)


@shared
async def test_only_administrators_choose_help_forums(world: World) -> None:
    fake, help_forum = world.fake, world.forums["help"]
    group = fake.commands["corpus-help"]
    assert int(group["default_member_permissions"]) == P.PERM_ADMINISTRATOR
    [forum_group] = group["options"]
    add = next(o for o in forum_group["options"] if o["name"] == "add")
    assert add["options"][0]["type"] == 7 and add["options"][0]["channel_types"] == [15]
    ix = await fake.send_command("corpus-help forum add", {"channel": world.forums["chat"]["id"]})
    refused = await ix.wait_for_message()
    assert refused.ephemeral and "Only server administrators" in refused.text()
    again = await admin_command(world, "corpus-help forum add", {"channel": help_forum["id"]})
    assert "already a help forum" in again.text()
    listed = await admin_command(world, "corpus-help forum list", {})
    assert listed.ephemeral and f"<#{help_forum['id']}>" in listed.text()
    assert f"<#{world.forums['chat']['id']}>" not in listed.text()
    not_one = await admin_command(
        world, "corpus-help forum remove", {"channel": world.forums["chat"]["id"]}
    )
    assert "is not a help forum" in not_one.text()


@shared
async def test_a_post_in_a_help_forum_gets_one_answer_that_takes_votes(world: World) -> None:
    fake, database = world.fake, world.database
    post = await fake.create_forum_post(world.forums["help"], TITLE, BODY)
    answer = await answer_in(fake, post)
    assert answer.body["allowed_mentions"] == {"parse": []}
    [embed] = answer.embeds
    assert embed["author"]["name"].startswith(f"Q: {TITLE}")
    assert "**Russia plans**" in embed["description"]
    assert "Ask again with /ask" in embed["footer"]["text"]
    assert "cb:vote:up" in answer.custom_ids()
    [row] = await wait_forum_rows(database, post)
    assert row["outcome"] == "answered" and row["interaction_id"] == int(answer.message_id)
    assert row["guild_id"] == int(fake.guild_id) and row["top_score"] >= MIN_SCORE
    assert row["user_id"] == int(fake.default_user["id"])

    await fake.dispatch_thread_create(post)  # the same event again
    await fake.dispatch_thread_create(post, newly_created=False)
    barrier = await fake.create_forum_post(world.forums["help"], OFF_TOPIC)
    await wait_forum_rows(database, barrier)
    assert len(posted_in(fake, post["id"])) == 1 and len(forum_rows(database, post)) == 1

    vote = await fake.send_component(answer.message_id, "cb:vote:up")
    assert "helped" in (await vote.wait_for_message()).text()
    with sqlite3.connect(database) as conn:
        voted = conn.execute(
            "SELECT vote FROM votes WHERE answer_id = ?", [int(answer.message_id)]
        ).fetchall()
    assert voted == [(1,)]


@shared
async def test_a_post_in_a_forum_not_enabled_gets_none(world: World) -> None:
    fake = world.fake
    post = await fake.create_forum_post(world.forums["chat"], TITLE, BODY)
    await world.bot.wait_for_output(rf"forum post {post['id']}: not taken up")
    assert posted_in(fake, post["id"]) == [] and forum_rows(world.database, post) == []


@shared
async def test_a_post_with_nothing_confident_gets_no_answer(world: World) -> None:
    fake = world.fake
    post = await fake.create_forum_post(world.forums["help"], OFF_TOPIC, "Any recipe welcome.")
    [row] = await wait_forum_rows(world.database, post)
    assert row["outcome"] == "no_results" and row["result_count"] == 0
    assert row["query"].startswith(OFF_TOPIC)
    assert posted_in(fake, post["id"]) == []


@shared
async def test_an_old_post_is_left_alone(world: World) -> None:
    fake = world.fake
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    post = await fake.create_forum_post(world.forums["help"], TITLE, BODY, created_at=long_ago)
    await world.bot.wait_for_output(rf"forum post {post['id']}: older than 10 minutes")
    assert posted_in(fake, post["id"]) == [] and forum_rows(world.database, post) == []


@shared
async def test_each_forum_answers_at_most_so_many_posts_an_hour(world: World) -> None:
    fake = world.fake
    posts = [await fake.create_forum_post(world.forums["busy"], TITLE) for _ in range(PER_HOUR + 1)]
    outcomes = [(await wait_forum_rows(world.database, post))[0]["outcome"] for post in posts]
    assert sorted(outcomes) == ["answered"] * PER_HOUR + ["rate_limited"]
    answered = [post for post in posts if posted_in(fake, post["id"])]
    assert len(answered) == PER_HOUR


@shared
async def test_a_forum_the_bot_cannot_post_in_gets_one_notice(world: World) -> None:
    fake, locked = world.fake, world.forums["locked"]
    posts = [await fake.create_forum_post(locked, TITLE, BODY) for _ in range(2)]
    for post in posts:
        [row] = await wait_forum_rows(world.database, post)
        assert row["outcome"] == "error" and row["error_id"] == "forbidden"
        assert posted_in(fake, post["id"]) == []
    refused = [r for r in fake.requests if r.status == 403 and r.method == "POST"]
    assert {r.path for r in refused} == {f"/channels/{post['id']}/messages" for post in posts}
    notices = [m for m in posted_in(fake, world.system_channel["id"]) if "<#" in m.text()]
    [notice] = [m for m in notices if f"<#{locked['id']}>" in m.text()]
    assert "cannot send messages" in notice.text() and "Send Messages in Threads" in notice.text()
    assert notice.body["allowed_mentions"] == {"parse": []}


@shared
async def test_a_forum_the_bot_cannot_read_is_answered_from_titles(world: World) -> None:
    fake, unread = world.fake, world.forums["unread"]
    posts = [await fake.create_forum_post(unread, TITLE, OFF_TOPIC) for _ in range(2)]
    for post in posts:
        answer = await answer_in(fake, post)
        assert answer.embeds[0]["author"]["name"] == f"Q: {TITLE}"  # the title alone
    read = {f"/channels/{post['id']}/messages/{post['id']}" for post in posts}
    assert not any(r.method == "GET" and r.path in read for r in fake.requests)
    notices = posted_in(fake, world.system_channel["id"])
    [notice] = [m for m in notices if f"<#{unread['id']}>" in m.text()]
    assert "cannot read message history" in notice.text()


@shared
async def test_querylog_stats_count_forum_questions(world: World) -> None:
    ix = await world.fake.send_command("querylog stats", {}, user=world.fake.owner_user)
    stats = await ix.wait_for_message(timeout=15)
    assert "help forums" in stats.text()


@shared
async def test_metrics_count_forum_posts_as_the_log_holds_them(world: World) -> None:
    """Every post taken up so far was this bot's: its counts by outcome are the log's rows."""
    base = (await world.bot.wait_for_output(SERVING)).group(1)
    counted = {
        dict(labels)["outcome"]: int(value)
        for (name, labels), value in (await scrape(base)).items()
        if name == "corpusbot_questions_total" and dict(labels).get("command") == "forum"
    }
    logged = await wait_for_rows(world.database, sum(counted.values()), "command = 'forum'")
    assert counted == Counter(row["outcome"] for row in logged)
    assert {"answered", "no_results", "rate_limited"} <= set(counted)


@shared
async def test_a_restarted_bot_does_not_answer_a_post_again(world: World) -> None:
    fake, database = world.fake, world.database
    post = await fake.create_forum_post(world.forums["help"], TITLE, BODY)
    await answer_in(fake, post)
    await wait_forum_rows(database, post)
    await world.bot.kill()
    await world.start_bot()
    # The new process has not seen the post (the fake's GUILD_CREATE lists no threads), as
    # when an event is delivered again to another session: the log says it was taken up.
    await fake.dispatch_thread_create(post)
    await world.bot.wait_for_output(rf"forum post {post['id']}: not taken up")
    assert len(posted_in(fake, post["id"])) == 1 and len(forum_rows(database, post)) == 1


@shared
async def test_without_a_system_channel_the_administrator_is_told_privately(world: World) -> None:
    fake, quiet = world.fake, world.forums["quiet"]
    posts = [await fake.create_forum_post(quiet, TITLE, BODY) for _ in range(2)]
    for post in posts:
        [row] = await wait_forum_rows(world.database, post)
        assert row["outcome"] == "error" and row["guild_id"] == int(quiet["guild_id"])
    [dm] = [c for c in fake.dm_channels.values() if c["recipients"][0] == fake.owner_user]
    [notice] = posted_in(fake, dm["id"])
    assert f"<#{quiet['id']}>" in notice.text() and "cannot send messages" in notice.text()


async def test_sigterm_lets_a_forum_answer_in_progress_finish_and_logs_it(
    fake_discord: FakeDiscord, launch_bot: Any, tmp_path: Path
) -> None:
    """A post taken up just before a restart is answered and logged, as an /ask would be:
    taken up means no other process answers it, so cutting it off would leave it unanswered."""
    fake = fake_discord
    forum = fake.add_forum("help")
    database = tmp_path / "log.db"
    env = bot_env(make_corpus(tmp_path), database, forum_min_score=MIN_SCORE, slow_search_seconds=2)
    bot = await launch_bot(SLOW_SEARCH_BOT_ARGV, env)
    added = await fake.send_command(
        "corpus-help forum add", {"channel": forum["id"]}, user=fake.owner_user
    )
    assert "I will answer new posts" in (await added.wait_for_message()).text()
    post = await fake.create_forum_post(forum, TITLE, BODY)
    # The bot reads the post's first message, then searches (slowly): stop it then.
    starter = f"/channels/{post['id']}/messages/{post['id']}"
    await fake.wait_until(lambda: any(r.path == starter for r in fake.requests), 15)
    bot.send_signal(signal.SIGTERM)
    assert await bot.wait(20) == 0
    assert "letting 1 interactions finish" in bot.output
    [answer] = posted_in(fake, post["id"])
    assert "**Russia plans**" in answer.embeds[0]["description"]
    [row] = forum_rows(database, post)
    assert row["outcome"] == "answered" and row["interaction_id"] == int(answer.message_id)
