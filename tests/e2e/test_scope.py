"""One bot in two servers and in direct messages: each server's /querylog is its own, end to end.

One bot process serves the module. Its log is seeded before start-up with questions (and a 👎 on
one answer) in server A, server B and direct messages, each marked with where it was asked; a
moderator of a server must see, export and purge only that server's rows, whatever the
buttons they press say. The purge runs last: it deletes server B's rows.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.querylog.connection import connect
from bot.querylog.records import QueryRecord
from tests.conftest import SEED_DIR
from tests.e2e.helpers import BOT_ARGV, bot_env
from tests.fakediscord import FakeDiscord, RecordedMessage
from tests.fakediscord import payloads as P
from tests.fakediscord.harness import fake_and_bot

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(90)
shared = pytest.mark.asyncio(loop_scope="module")

GUILD_A, GUILD_B = int(P.snowflake()), int(P.snowflake())
EXPIRED = "This listing is no longer in the log; run the command again."
MODERATOR = P.EVERYONE_PERMS | P.PERM_MANAGE_MESSAGES
ADMINISTRATOR = P.EVERYONE_PERMS | P.PERM_ADMINISTRATOR


@dataclass(frozen=True)
class Place:
    """Where seeded questions were asked: their marker, server and interaction ids."""

    name: str  # "alpha", "bravo" or "direct"; in each question and passage id
    guild_id: int | None
    asked: int  # answered questions, ids first_id …
    unanswered: int  # then unanswered ones, all the same question
    first_id: int

    @property
    def ids(self) -> list[int]:
        return list(range(self.first_id, self.first_id + self.asked + self.unanswered))

    @property
    def passage(self) -> str:
        return f"{self.name}-doc#1"


# Both servers have over a page (10) of rows, so both listings have page buttons.
ALPHA = Place("alpha", GUILD_A, asked=12, unanswered=2, first_id=1000)
BRAVO = Place("bravo", GUILD_B, asked=10, unanswered=1, first_id=2000)
DIRECT = Place("direct", None, asked=2, unanswered=1, first_id=3000)
PLACES = (ALPHA, BRAVO, DIRECT)


def records(place: Place) -> list[QueryRecord]:
    asked = datetime.now(UTC) - timedelta(minutes=5)
    found = []
    for n, interaction_id in enumerate(place.ids):
        answered = n < place.asked
        found.append(
            QueryRecord(
                interaction_id=interaction_id,
                user_id=interaction_id,  # one member a question
                user_name=f"{place.name} member",
                command="ask",
                query=f"{place.name} marker {n}" if answered else f"{place.name} quokkas",
                outcome="answered" if answered else "no_results",
                latency_ms=10.0,
                results=[(place.passage, 3.0)] if answered else [],
                total_matches=1 if answered else 0,
                guild_id=place.guild_id,
                created_at=asked.isoformat(timespec="milliseconds"),
            )
        )
    return found


async def seed(database: Path) -> None:
    """Every place's questions, and a 👎 on each place's first answer, before the bot starts."""
    db = await connect(database)
    try:
        for place in PLACES:
            for record in records(place):
                row = record.to_row()
                names, marks = ", ".join(row), ", ".join(f":{name}" for name in row)
                await db.execute(f"INSERT INTO queries ({names}) VALUES ({marks})", row)
            at = datetime.now(UTC).isoformat(timespec="milliseconds")
            await db.execute(
                "INSERT INTO votes VALUES (?, 7, -1, ?, ?, ?)",
                (place.first_id, json.dumps([place.passage]), at, at),
            )
    finally:
        await db.close()


@dataclass
class World:
    fake: FakeDiscord
    database: Path
    owner_b: dict[str, Any]  # server B's owner: its administrator, nobody in server A
    both: dict[str, Any]  # a moderator (and administrator) of both servers

    def who(self, name: str) -> dict[str, Any]:
        """send_command and send_component keyword arguments for one of the cast (a button is
        pressed in the server of the message it is on)."""
        if name == "owner_a":
            return {"user": self.fake.owner_user}
        if name == "owner_b":
            return {"user": self.owner_b}
        return {"user": self.both, "member_permissions": ADMINISTRATOR}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    folder = tmp_path_factory.mktemp("scope")
    database = folder / "log.db"
    await seed(database)
    owner_b = P.user(P.snowflake(), "owner b")

    def argv(fake: FakeDiscord) -> list[str]:
        fake.add_guild("Server B", owner=owner_b, guild_id=GUILD_B)
        return BOT_ARGV

    env = bot_env(SEED_DIR, database, query_log_flush_seconds=0.1, watch_corpus="false")
    async with fake_and_bot(argv, env, name="corpusbot", default_guild_id=GUILD_A) as (fake, _):
        yield World(fake, database, owner_b, fake.make_user("both"))


async def run(
    world: World, command: str, who: str, guild_id: int, **options: Any
) -> RecordedMessage:
    ix = await world.fake.send_command(command, options, guild_id=str(guild_id), **world.who(who))
    message = await ix.wait_for_message()
    assert message.ephemeral, f"{command} answered in public"
    return message


def read(database: Path, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        return [row[0] for row in connection.execute(sql, params)]
    finally:
        connection.close()


def only(text: str, place: Place) -> None:
    """``text`` names ``place``'s questions or passages and no other place's."""
    assert place.name in text, text
    for other in PLACES:
        if other is not place:
            assert other.name not in text, f"{other.name} rows shown in {place.name}: {text}"


# Named test ids: the guild ids are snowflakes of the run's clock, and test ids must be the same
# in every pytest-xdist worker.
SERVERS = [
    pytest.param("owner_a", GUILD_A, ALPHA, id="server-a"),
    pytest.param("owner_b", GUILD_B, BRAVO, id="server-b"),
]


# --- each view --------------------------------------------------------------------------------


@shared
@pytest.mark.parametrize(("who", "guild_id", "place"), SERVERS)
async def test_recent_lists_only_the_servers_questions(
    world: World, who: str, guild_id: int, place: Place
) -> None:
    message = await run(world, "querylog recent", who, guild_id)
    assert f"{len(place.ids)} in all" in message.text()
    only(message.text(), place)
    ix = await world.fake.send_component(message, message.custom_ids()[1], **world.who(who))
    second = await ix.wait_for_message()
    assert "Page 2 of 2" in second.text()
    only(second.text(), place)


@shared
@pytest.mark.parametrize(("who", "guild_id", "place"), SERVERS)
async def test_unanswered_feedback_and_stats_count_only_the_server(
    world: World, who: str, guild_id: int, place: Place
) -> None:
    unanswered = await run(world, "querylog unanswered", who, guild_id)
    assert f"{place.unanswered}× “{place.name} quokkas”" in unanswered.text()
    only(unanswered.text(), place)

    feedback = await run(world, "querylog feedback", who, guild_id)
    assert f"{place.passage} · 👎 1" in feedback.text().replace("\\", "")
    only(feedback.text(), place)

    stats = await run(world, "querylog stats", who, guild_id, days=2)
    questions = len(place.ids)
    assert f"Questions: {questions} from {questions} members" in stats.text()
    assert "Votes: 👍 0 👎 1" in stats.text()
    only(stats.text(), place)


@shared
@pytest.mark.parametrize(("who", "guild_id", "place"), SERVERS)
async def test_exports_hold_only_the_servers_rows(
    world: World, who: str, guild_id: int, place: Place
) -> None:
    jsonl = await run(world, "querylog export", who, guild_id, format="jsonl")
    [upload] = jsonl.files
    exported = [json.loads(line) for line in upload.data.decode().splitlines()]
    assert [row["interaction_id"] for row in exported] == place.ids
    assert {row["guild_id"] for row in exported} == {guild_id}
    assert sum(row["votes_down"] for row in exported) == 1

    spreadsheet = await run(world, "querylog export", who, guild_id, format="csv")
    [upload] = spreadsheet.files
    rows = list(csv.DictReader(io.StringIO(upload.data.decode(), newline="")))
    assert [int(row["interaction_id"]) for row in rows] == place.ids


# --- buttons with another server's ids ----------------------------------------------------------


@shared
async def test_a_page_button_forged_with_another_servers_listing_shows_nothing_of_it(
    world: World,
) -> None:
    """A moderator of both servers runs a listing in A, then presses a button in B whose
    custom_id names A's listing: B's channel must not show A's questions."""
    in_a = await run(world, "querylog recent", "both", GUILD_A)
    a_next = in_a.custom_ids()[1]  # ql:next:<A's listing>:<moderator>:1
    in_b = await run(world, "querylog recent", "both", GUILD_B)
    ix = await world.fake.send_component(
        in_b, in_b.custom_ids()[1], forged_custom_id=a_next, **world.who("both")
    )
    reply = await ix.wait_for_message()
    assert EXPIRED in reply.text() and ALPHA.name not in reply.text()
    assert ALPHA.name not in json.dumps(world.fake.messages[in_b.message_id])


@shared
async def test_a_purge_confirm_forged_with_another_servers_request_deletes_nothing(
    world: World,
) -> None:
    in_a = await run(world, "querylog purge", "both", GUILD_A, older_than_days=0)
    a_confirm = in_a.custom_ids()[0]  # ql:purge:<A's request>:<administrator>:confirm
    in_b = await run(world, "querylog purge", "both", GUILD_B, older_than_days=0)
    ix = await world.fake.send_component(
        in_b, in_b.custom_ids()[1], forged_custom_id=a_confirm, **world.who("both")
    )
    reply = await ix.wait_for_message()
    assert "no longer in the log" in reply.text()
    for place in PLACES:
        held = read(
            world.database, "SELECT count(*) FROM queries WHERE query LIKE ?", (f"{place.name}%",)
        )
        assert held == [len(place.ids)]


# --- a user-installed app in a server -----------------------------------------------------------


async def as_user_install(world: World, command: str, guild_id: int) -> RecordedMessage:
    """``command`` run by server B's owner, as an administrator of ``guild_id``, through the app
    installed to their account rather than to the server: Discord sends the server and the
    member's permissions there, but only the user as the installation's owner."""
    fake = world.fake
    context = fake._context(world.owner_b, str(guild_id), None, None, ADMINISTRATOR)
    context["context"] = 0
    context["authorizing_integration_owners"] = {"1": world.owner_b["id"]}
    data = fake._command_data(command, {}, str(guild_id), None)
    ix = await fake._inject(2, data, context)  # 2: an application command
    return await ix.wait_for_message()


@shared
@pytest.mark.parametrize("command", ["querylog recent", "reload"])
async def test_a_user_installed_app_gives_no_server_powers(world: World, command: str) -> None:
    """Being an administrator of a server, through an install to one's own account, gives
    nothing (server A's rows stand for what a server's members asked through theirs): neither
    the server's questions nor a reload of everyone's corpus."""
    reply = await as_user_install(world, command, GUILD_A)
    assert reply.ephemeral
    assert "Only" in reply.text() and ALPHA.name not in reply.text()


# --- purge (last: it deletes server B's rows) ---------------------------------------------------


@shared
async def test_purging_server_b_leaves_server_a_and_direct_messages(world: World) -> None:
    prompt = await run(world, "querylog purge", "owner_b", GUILD_B, older_than_days=0)
    assert f"**{len(BRAVO.ids)}** questions" in prompt.text()
    confirm, _ = prompt.custom_ids()
    ix = await world.fake.send_component(prompt, confirm, **world.who("owner_b"))
    done = await ix.wait_for_message()
    assert f"Deleted {len(BRAVO.ids)} logged questions and 1 votes." in done.text()

    assert read(world.database, "SELECT interaction_id FROM queries ORDER BY id") == [
        *ALPHA.ids,
        *DIRECT.ids,
    ]
    assert read(world.database, "SELECT answer_id FROM votes ORDER BY answer_id") == [
        ALPHA.first_id,
        DIRECT.first_id,
    ]
    after = await run(world, "querylog recent", "owner_a", GUILD_A)
    assert f"{len(ALPHA.ids)} in all" in after.text()
