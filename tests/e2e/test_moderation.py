"""/querylog, votes, /forget-me and retention, end to end: the real bot against the fake Discord.

One bot process serves the whole module. It stores members as salted hashes
(QUERY_LOG_HASH_USERS), so every test here also shows that hashing keeps the user filter, votes and
/forget-me working. Its log is seeded before start-up with rows the tests look for by marker.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.querylog.connection import connect
from bot.querylog.identities import Identities
from bot.querylog.records import QueryRecord
from tests.conftest import SEED_DIR
from tests.e2e.helpers import BOT_ARGV, bot_env
from tests.fakediscord import FakeDiscord, RecordedMessage
from tests.fakediscord import payloads as P
from tests.fakediscord.harness import fake_and_bot

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(90)
shared = pytest.mark.asyncio(loop_scope="module")

SALT = "a-test-salt-of-enough-length"
IDENTITIES = Identities(SALT.encode())
SEED = "000_fe06235f8a2d5290"
QUESTION = "What does Russia plan to give North Korea?"
NOT_A_MODERATOR = "Only moderators can review the query log."
NOT_AN_ADMINISTRATOR = "Only administrators can purge the query log."
NOT_YOURS = "These buttons belong to the moderator who ran the command"
MANAGE_MESSAGES = 1 << 13
GUILD_ID = int(P.snowflake())  # the fake's guild, fixed so rows can be seeded before start-up

HOSTILE = [
    "%",
    "_",
    "100%",
    "a_b",
    "'",
    '"',
    "\\",
    "' OR '1'='1",
    "'; DROP TABLE queries; --",
    "x" * 200,
]


def now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def seeded(query: str, interaction_id: int, ago: timedelta, **fields: Any) -> QueryRecord:
    values: dict[str, Any] = {
        "interaction_id": interaction_id,
        "user_id": IDENTITIES.key(5),
        "user_name": IDENTITIES.name(5, "seeded"),
        "command": "ask",
        "query": query,
        "outcome": "answered",
        "latency_ms": 12.0,
        "results": [(f"{SEED}#1", 1.5)],
        "total_matches": 1,
        "guild_id": GUILD_ID,
        "created_at": stamp(now() - ago),
    }
    return QueryRecord(**{**values, **fields})


SEED_ROWS = [
    *(seeded(f"paging marker {n}", 100 + n, timedelta(minutes=30 - n)) for n in range(25)),
    *(
        seeded(f"hostile {text} end", 200 + n, timedelta(minutes=5))
        for n, text in enumerate(HOSTILE)
    ),
    *(
        seeded(f'export marker {n}, "quoted"\nline', 300 + n, timedelta(minutes=3))
        for n in range(7)
    ),
    *(seeded(f"purge marker {n}", 400 + n, timedelta(days=120)) for n in range(4)),
    *(seeded(f"ancient marker {n}", 500 + n, timedelta(days=400)) for n in range(3)),
]


async def seed(database: Path) -> None:
    """Write the seed rows, and an old vote, to a fresh log before the bot starts."""
    db = await connect(database)
    try:
        for record in SEED_ROWS:
            row = record.to_row()
            names = ", ".join(row)
            marks = ", ".join(f":{name}" for name in row)
            await db.execute(f"INSERT INTO queries ({names}) VALUES ({marks})", row)
        old = stamp(now() - timedelta(days=400))
        await db.execute("INSERT INTO votes VALUES (500, 9, -1, '[]', ?, ?)", (old, old))
    finally:
        await db.close()


@dataclass
class World:
    fake: FakeDiscord
    database: Path
    keeper_role: str
    member: dict[str, Any]
    moderator: dict[str, Any]  # has Manage Messages, no moderator role
    keeper: dict[str, Any]  # has the moderator role, not Manage Messages
    admin: dict[str, Any]

    def who(self, name: str) -> dict[str, Any]:
        """send_command keyword arguments for one of the cast."""
        if name == "member":
            return {"user": self.member}
        if name == "moderator":
            return {
                "user": self.moderator,
                "member_permissions": P.EVERYONE_PERMS | MANAGE_MESSAGES,
            }
        if name == "keeper":
            return {
                "user": self.keeper,
                "roles": [self.keeper_role],
                "member_permissions": P.EVERYONE_PERMS,
            }
        return {"user": self.admin}  # the guild owner: every permission


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    folder = tmp_path_factory.mktemp("moderation")
    database = folder / "log.db"
    await seed(database)
    keeper_role = P.snowflake()

    def argv(fake: FakeDiscord) -> list[str]:
        fake.guild["roles"].append(
            P.role(keeper_role, "Corpus keeper", P.EVERYONE_PERMS, position=2)
        )
        return BOT_ARGV

    env = bot_env(
        SEED_DIR,
        database,
        moderator_role_ids=keeper_role,
        query_log_retention_days=365,
        query_log_hash_users="true",
        query_log_user_salt=SALT,
        query_log_flush_seconds=0.1,
        watch_corpus="false",
    )
    async with fake_and_bot(argv, env, name="corpusbot", default_guild_id=GUILD_ID) as (fake, _):
        yield World(
            fake=fake,
            database=database,
            keeper_role=keeper_role,
            member=fake.make_user("member"),
            moderator=fake.make_user("moderator"),
            keeper=fake.make_user("keeper"),
            admin=fake.owner_user,
        )


def read(database: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


async def eventually(database: Path, sql: str, params: tuple[Any, ...], expected: Any) -> Any:
    deadline = time.monotonic() + 5
    found = read(database, sql, params)
    while found != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # another process writes it: nothing to wait on but time
        found = read(database, sql, params)
    assert found == expected
    return found


async def run(world: World, command: str, who: str, **options: Any) -> RecordedMessage:
    ix = await world.fake.send_command(command, options, **world.who(who))
    message = await ix.wait_for_message()
    assert message.ephemeral, f"{command} answered in public"
    return message


def total_of(message: RecordedMessage) -> int:
    footer = message.embeds[0]["footer"]["text"]
    return int(footer.split(" · ")[1].split()[0])


# --- who may ---------------------------------------------------------------------------------

COMMANDS = {
    "querylog recent": ({}, "Recent questions"),
    "querylog unanswered": ({}, "What the corpus is missing"),
    "querylog stats": ({"days": 3}, "Query log — last 3 days"),
    "querylog export": ({"since": "1h"}, "logged questions"),
    "querylog feedback": ({}, "Passages in answers marked unhelpful"),
    "querylog purge": ({"older_than_days": 3000}, "Purge the query log?"),
}
ALLOWED = {
    "member": set(),
    "moderator": set(COMMANDS) - {"querylog purge"},
    "keeper": set(COMMANDS) - {"querylog purge"},
    "admin": set(COMMANDS),
}


@shared
async def test_the_group_is_hidden_by_default_and_guild_only(world: World) -> None:
    group = world.fake.commands["querylog"]
    assert int(group["default_member_permissions"]) == MANAGE_MESSAGES
    assert group["contexts"] == [0]
    assert {o["name"] for o in group["options"]} == {c.split()[1] for c in COMMANDS}
    assert world.fake.commands["forget-me"]["default_member_permissions"] is None


@shared
@pytest.mark.parametrize("who", list(ALLOWED))
@pytest.mark.parametrize("command", list(COMMANDS))
async def test_who_may_use_each_command(world: World, who: str, command: str) -> None:
    options, allowed_text = COMMANDS[command]
    message = await run(world, command, who, **options)
    text = message.text()
    if command in ALLOWED[who]:
        assert allowed_text in text
    else:
        expected = NOT_AN_ADMINISTRATOR if command == "querylog purge" else NOT_A_MODERATOR
        assert text == expected and not message.attachments and not message.custom_ids()
        assert "marker" not in text


@shared
async def test_each_moderator_action_is_recorded(world: World) -> None:
    await run(world, "querylog recent", "keeper", contains="paging", outcome="answered")
    [action] = read(
        world.database,
        "SELECT * FROM moderation_actions WHERE action = 'recent' AND user_id = ? "
        "ORDER BY id DESC LIMIT 1",
        (IDENTITIES.key(int(world.keeper["id"])),),
    )
    assert action["source"] == "discord" and action["guild_id"] == int(world.fake.guild_id)
    assert action["user_name"].startswith("member-") and action["affected"] == 25
    filters = json.loads(action["arguments"])["filters"]
    assert filters["contains"] == "paging" and filters["outcome"] == "answered"


# --- listings --------------------------------------------------------------------------------


@shared
async def test_recent_pages_only_for_its_moderator(world: World) -> None:
    first = await run(world, "querylog recent", "moderator", contains="paging marker")
    assert total_of(first) == 25 and "Page 1 of 3" in first.embeds[0]["footer"]["text"]
    description = first.embeds[0]["description"]
    assert description.count("\n") == 9 and "paging marker 24" in description.splitlines()[0]
    _newer, older = first.custom_ids()
    assert [c["disabled"] for c in first.components[0]["components"]] == [True, False]

    for who in ("keeper", "member", "admin"):  # anyone else, moderator or not, is turned away
        ix = await world.fake.send_component(first, older, **world.who(who))
        refusal = await ix.wait_for_message()
        assert refusal.ephemeral and NOT_YOURS in refusal.text()
        assert world.fake.messages[first.message_id]["embeds"] == first.embeds

    ix = await world.fake.send_component(first, older, **world.who("moderator"))
    second = await ix.wait_for_message()
    assert second.kind == "update" and second.message_id == first.message_id
    assert "Page 2 of 3" in second.embeds[0]["footer"]["text"]
    assert "paging marker 14" in second.embeds[0]["description"].splitlines()[0]
    ix = await world.fake.send_component(second, second.custom_ids()[1], **world.who("moderator"))
    third = await ix.wait_for_message()
    assert third.embeds[0]["description"].count("\n") == 4  # the last 5 rows
    assert [c["disabled"] for c in third.components[0]["components"]] == [False, True]


@shared
async def test_new_rows_do_not_shift_a_listings_pages(world: World) -> None:
    first = await run(world, "querylog recent", "moderator", contains="paging marker")
    await world.fake.send_command("ask", {"question": "paging marker late"}, **world.who("member"))
    await asyncio.sleep(0.3)
    ix = await world.fake.send_component(first, first.custom_ids()[1], **world.who("moderator"))
    second = await ix.wait_for_message()
    assert total_of(second) == 25 and "paging marker 14" in second.embeds[0]["description"]


@shared
async def test_a_page_emptied_meanwhile_shows_the_last_page_there_is(world: World) -> None:
    """Rows deleted between two presses (/forget-me, a purge, retention): "Older" must not land
    on an empty "Page 2 of 1" that says nothing matches while rows do."""
    connection = sqlite3.connect(world.database, timeout=5)
    with connection:
        for n in range(15):
            row = seeded(f"shrinking marker {n}", 800 + n, timedelta(minutes=20 - n)).to_row()
            names, marks = ", ".join(row), ", ".join(f":{name}" for name in row)
            connection.execute(f"INSERT INTO queries ({names}) VALUES ({marks})", row)
    first = await run(world, "querylog recent", "moderator", contains="shrinking marker")
    assert "Page 1 of 2" in first.embeds[0]["footer"]["text"]
    with connection:
        connection.execute("DELETE FROM queries WHERE interaction_id BETWEEN 800 AND 809")
    connection.close()
    ix = await world.fake.send_component(first, first.custom_ids()[1], **world.who("moderator"))
    second = await ix.wait_for_message()
    assert "Page 1 of 1 · 5 in all" in second.embeds[0]["footer"]["text"]
    assert "shrinking marker 14" in second.embeds[0]["description"] and not second.components


@shared
@pytest.mark.parametrize("needle", [*HOSTILE, "y" * 5000])
async def test_hostile_filters_match_literally(world: World, needle: str) -> None:
    message = await run(world, "querylog recent", "moderator", contains=needle)
    everything = read(world.database, "SELECT query FROM queries")
    assert total_of(message) == sum(needle.lower() in row["query"].lower() for row in everything)
    assert read(
        world.database, "SELECT count(*) AS n FROM queries WHERE query LIKE 'hostile%'"
    ) == [{"n": len(HOSTILE)}]


@shared
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"contains": "paging", "since": "'; DROP TABLE queries; --"}, "`since` takes a span"),
        ({"since": "%"}, "`since` takes a span"),
        ({"outcome": "answered' OR 1=1 --"}, "outcome must be one of"),
    ],
)
async def test_bad_filters_are_explained_without_the_log(
    world: World, options: dict[str, str], expected: str
) -> None:
    message = await run(world, "querylog recent", "moderator", **options)
    assert expected in message.text() and "marker" not in message.text()


@shared
async def test_filters_combine(world: World) -> None:
    moderator = world.who("moderator")
    ask = await world.fake.send_command(
        "ask", {"question": "north korea filter probe"}, **moderator
    )
    await ask.wait_for_message()
    mine = await run(
        world,
        "querylog recent",
        "moderator",
        user=world.moderator,
        contains="FILTER probe",
        since="10m",
        outcome="answered",
    )
    assert total_of(mine) == 1 and "north korea filter probe" in mine.embeds[0]["description"]
    for options in (
        {"user": world.member, "contains": "filter probe"},
        {"contains": "filter probe", "outcome": "no_results"},
    ):
        assert total_of(await run(world, "querylog recent", "moderator", **options)) == 0


@shared
async def test_unanswered_groups_questions(world: World) -> None:
    for question in ("Where do quokkas live?", "where do  QUOKKAS live"):
        ix = await world.fake.send_command("ask", {"question": question}, **world.who("member"))
        await ix.wait_for_message()
    message = await run(world, "querylog unanswered", "keeper", since="1h")
    assert "2× “where do quokkas live”" in message.embeds[0]["description"]


@shared
async def test_stats_has_numbers_and_a_chart(world: World) -> None:
    message = await run(world, "querylog stats", "moderator", days=7)
    text = message.text()
    assert "Questions: " in text and "Answered: " in text and "median" in text and "p95" in text
    assert "Most cited passages" in text and f"{SEED}#1".replace("_", "\\_") in text
    [chart] = message.files
    assert chart.filename == "queries-per-day.png" and chart.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert message.embeds[0]["image"]["url"] == "attachment://queries-per-day.png"


# --- export ----------------------------------------------------------------------------------


def stored_rows(database: Path, marker: str) -> list[dict[str, Any]]:
    rows = read(
        database,
        "SELECT q.*, (SELECT count(*) FROM votes v WHERE v.answer_id = q.interaction_id"
        " AND v.vote = 1) AS votes_up, (SELECT count(*) FROM votes v"
        " WHERE v.answer_id = q.interaction_id AND v.vote = -1) AS votes_down"
        " FROM queries q WHERE q.query LIKE ? ORDER BY q.id",
        (f"%{marker}%",),
    )
    for row in rows:
        del row["query_key"]  # the grouping key is not exported
    return rows


@shared
async def test_jsonl_export_equals_the_rows(world: World) -> None:
    message = await run(
        world, "querylog export", "moderator", contains="export marker", format="jsonl"
    )
    assert "7 logged questions" in message.text()
    [upload] = message.files
    assert upload.filename.endswith(".jsonl")
    exported = [json.loads(line) for line in upload.data.decode().splitlines()]
    expected = stored_rows(world.database, "export marker")
    for row in expected:
        row["results"] = json.loads(row["results"])
    assert exported == expected


@shared
async def test_csv_export_equals_the_rows(world: World) -> None:
    message = await run(world, "querylog export", "keeper", contains="export marker")
    [upload] = message.files
    assert upload.filename.endswith(".csv")
    exported = list(csv.DictReader(io.StringIO(upload.data.decode(), newline="")))
    expected = stored_rows(world.database, "export marker")
    assert exported == [
        {k: "" if v is None else str(v) for k, v in row.items()} for row in expected
    ]


# --- purge and retention ---------------------------------------------------------------------


def count(database: Path, marker: str) -> int:
    return len(read(database, "SELECT id FROM queries WHERE query LIKE ?", (f"%{marker}%",)))


@shared
async def test_purge_cancel_then_confirm(world: World) -> None:
    prompt = await run(world, "querylog purge", "admin", older_than_days=90)
    assert "**4** questions" in prompt.text()
    confirm, cancel = prompt.custom_ids()
    ix = await world.fake.send_component(prompt, cancel, **world.who("admin"))
    cancelled = await ix.wait_for_message()
    assert cancelled.kind == "update" and "nothing was deleted" in cancelled.text()
    assert not cancelled.components and count(world.database, "purge marker") == 4

    prompt = await run(world, "querylog purge", "admin", older_than_days=90)
    confirm, cancel = prompt.custom_ids()
    ix = await world.fake.send_component(prompt, confirm, **world.who("moderator"))
    assert NOT_YOURS in (await ix.wait_for_message()).text()
    assert count(world.database, "purge marker") == 4
    ix = await world.fake.send_component(prompt, confirm, **world.who("admin"))
    done = await ix.wait_for_message()
    assert "Deleted 4 logged questions" in done.text()
    assert count(world.database, "purge marker") == 0 and count(world.database, "paging marker") > 0
    actions = read(
        world.database,
        "SELECT action, affected FROM moderation_actions"
        " WHERE action IN ('purge', 'purge_cancelled')",
    )
    assert actions == [
        {"action": "purge_cancelled", "affected": 0},
        {"action": "purge", "affected": 4},
    ]


@shared
async def test_retention_ran_at_start_up(world: World) -> None:
    assert count(world.database, "ancient marker") == 0
    assert read(world.database, "SELECT count(*) AS n FROM votes WHERE answer_id = 500") == [
        {"n": 0}
    ]
    [run_row] = read(world.database, "SELECT * FROM moderation_actions WHERE action = 'retention'")
    assert run_row["source"] == "system" and run_row["affected"] == 4  # 3 queries and a vote
    assert json.loads(run_row["arguments"])["days"] == 365


# --- members: votes and forget-me ------------------------------------------------------------


async def vote(world: World, answer: RecordedMessage, which: str, user: dict[str, Any]) -> str:
    ix = await world.fake.send_component(answer, f"cb:vote:{which}", user=user)
    reply = await ix.wait_for_message()
    assert reply.ephemeral
    return reply.text()


@shared
async def test_votes_one_per_member_and_changeable(world: World) -> None:
    voter, other = world.fake.make_user("voter"), world.fake.make_user("other")
    ix = await world.fake.send_command("ask", {"question": QUESTION}, user=voter)
    answer = await ix.wait_for_message()
    assert answer.custom_ids()[-2:] == ["cb:vote:up", "cb:vote:down"]
    assert len(answer.components) == 2 and all(len(r["components"]) <= 5 for r in answer.components)

    assert "helped" in await vote(world, answer, "up", voter)
    assert "Changed your vote" in await vote(world, answer, "down", voter)
    assert "already" in await vote(world, answer, "down", voter)
    assert "helped" in await vote(world, answer, "up", other)
    votes = await eventually(
        world.database,
        "SELECT user_id, vote, passages FROM votes WHERE answer_id = ? ORDER BY vote",
        (int(ix.id),),
        [
            {
                "user_id": IDENTITIES.key(int(voter["id"])),
                "vote": -1,
                "passages": json.dumps([f"{SEED}#1", f"{SEED}#2", f"{SEED}#3"]),
            },
            {
                "user_id": IDENTITIES.key(int(other["id"])),
                "vote": 1,
                "passages": json.dumps([f"{SEED}#1", f"{SEED}#2", f"{SEED}#3"]),
            },
        ],
    )
    assert votes
    listed = await run(world, "querylog recent", "moderator", user=voter)
    assert "👍 1 👎 1" in listed.embeds[0]["description"]
    feedback = await run(world, "querylog feedback", "moderator", since="1h")
    assert f"{SEED}#1".replace("_", "\\_") + " · 👎 1" in feedback.text()


def add_vote(database: Path, answer_id: int, user_key: int, vote: int) -> None:
    """A vote written straight to the log (the bot process keeps running meanwhile)."""
    at = stamp(now())
    connection = sqlite3.connect(database, timeout=5)
    with connection:
        connection.execute(
            "INSERT INTO votes VALUES (?, ?, ?, '[]', ?, ?)", (answer_id, user_key, vote, at, at)
        )
    connection.close()


@shared
async def test_forget_me_deletes_only_the_members_rows(world: World) -> None:
    leaver, stayer = world.fake.make_user("leaver"), world.fake.make_user("stayer")
    answers = []
    for user in (leaver, leaver, stayer):
        ix = await world.fake.send_command("ask", {"question": "north korea"}, user=user)
        answers.append(await ix.wait_for_message())
    leaver_key = IDENTITIES.key(int(leaver["id"]))
    stayer_key = IDENTITIES.key(int(stayer["id"]))
    answer_id = int(answers[2].interaction_id or 0)
    add_vote(world.database, answer_id, leaver_key, -1)
    add_vote(world.database, answer_id, stayer_key, 1)
    await eventually(
        world.database,
        "SELECT count(*) AS n FROM queries WHERE user_id = ?",
        (leaver_key,),
        [{"n": 2}],
    )
    stored = read(
        world.database, "SELECT user_id, user_name FROM queries WHERE user_id = ?", (leaver_key,)
    )
    assert all(r["user_name"] != "leaver" and r["user_name"].startswith("member-") for r in stored)
    assert not read(world.database, "SELECT 1 FROM queries WHERE user_id = ?", (int(leaver["id"]),))

    ix = await world.fake.send_command("forget-me", {}, user=leaver)
    reply = await ix.wait_for_message()
    assert reply.ephemeral and "Deleted 2 logged questions and 1 votes" in reply.text()
    assert not read(world.database, "SELECT 1 FROM queries WHERE user_id = ?", (leaver_key,))
    assert not read(world.database, "SELECT 1 FROM votes WHERE user_id = ?", (leaver_key,))
    assert read(
        world.database, "SELECT count(*) AS n FROM queries WHERE user_id = ?", (stayer_key,)
    ) == [{"n": 1}]
    assert read(
        world.database, "SELECT count(*) AS n FROM votes WHERE user_id = ?", (stayer_key,)
    ) == [{"n": 1}]


@shared
async def test_a_member_filter_keeps_no_raw_id_in_the_log(world: World) -> None:
    """With QUERY_LOG_HASH_USERS, a listing or export by member records its filters; they must
    not hold the member's Discord id (it would tie every hashed row to them), yet still find
    the rows the member asked before hashing was turned on."""
    someone = world.fake.make_user("someone")
    raw, key = int(someone["id"]), IDENTITIES.key(int(someone["id"]))
    before_hashing = seeded("raw id marker before", 700, timedelta(days=2), user_id=raw)
    hashed = seeded("raw id marker after", 701, timedelta(days=1), user_id=key)
    connection = sqlite3.connect(world.database, timeout=5)
    with connection:
        for record in (before_hashing, hashed):
            row = record.to_row()
            names, marks = ", ".join(row), ", ".join(f":{name}" for name in row)
            connection.execute(f"INSERT INTO queries ({names}) VALUES ({marks})", row)
    connection.close()
    listed = await run(world, "querylog recent", "moderator", user=someone, contains="raw id")
    assert total_of(listed) == 2
    exported = await run(world, "querylog export", "moderator", user=someone, format="jsonl")
    assert "2 logged questions" in exported.text()
    actions = read(
        world.database,
        "SELECT action, arguments FROM moderation_actions WHERE action IN ('recent', 'export')"
        " AND arguments LIKE ?",
        (f"%{key}%",),
    )
    assert [a["action"] for a in actions] == ["recent", "export"]
    assert not read(
        world.database, "SELECT 1 FROM moderation_actions WHERE arguments LIKE ?", (f"%{raw}%",)
    )


@shared
async def test_forget_me_on_a_locked_log_does_what_it_says(world: World) -> None:
    """Another writer (a backup, the CLI) holds the log while the member's latest question waits
    in the buffer: /forget-me's flush of it gives up after a second. Whatever it then replies
    must be true of the log: "nothing was deleted" with the member's rows all there, or the
    count deleted with none left."""
    member = world.fake.make_user("locked out")
    key = IDENTITIES.key(int(member["id"]))
    ask = await world.fake.send_command("ask", {"question": "north korea"}, user=member)
    await ask.wait_for_message()
    count = "SELECT count(*) AS n FROM queries WHERE user_id = ?"
    await eventually(world.database, count, (key,), [{"n": 1}])
    holder = sqlite3.connect(world.database, isolation_level=None, timeout=5)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        again = await world.fake.send_command("ask", {"question": "seoul"}, user=member)
        await again.wait_for_message()  # its row is buffered: the log is held
        forget = await world.fake.send_command("forget-me", {}, user=member)
        await asyncio.sleep(2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    reply = (await forget.wait_for_message(timeout=10)).text()
    if "nothing was deleted" in reply:
        await eventually(world.database, count, (key,), [{"n": 2}])
    else:
        assert "Deleted 2 logged questions" in reply, reply
        await asyncio.sleep(1)  # the buffered row must not be written after the delete
        assert read(world.database, count, (key,)) == [{"n": 0}]


@shared
async def test_forget_me_survives_a_discord_error_on_an_acknowledgement_that_went_through(
    world: World,
) -> None:
    """Discord answers 500 to a "thinking…" it did record: the retry is refused as already
    acknowledged. The rows are still deleted and the member told, in that same message."""
    leaver = world.fake.make_user("hiccup leaver")
    await (
        await world.fake.send_command("ask", {"question": "seoul"}, user=leaver)
    ).wait_for_message()
    callback = r"^/interactions/\d+/[^/]+/callback"
    world.fake.inject_error("POST", callback, status=500, count=1, after=True)
    ix = await world.fake.send_command("forget-me", {}, user=leaver)
    reply = await ix.wait_for_message(timeout=10)
    assert ix.late_callbacks  # the retry, refused: already acknowledged
    assert reply.ephemeral and "Deleted 1 logged questions and 0 votes" in reply.text()
    leaver_key = IDENTITIES.key(int(leaver["id"]))
    assert not read(world.database, "SELECT 1 FROM queries WHERE user_id = ?", (leaver_key,))


@shared
async def test_a_failed_moderator_command_is_not_logged_as_a_question(world: World) -> None:
    """The query log holds members' questions, under hashed ids here: a /querylog command that
    fails (Discord refuses its "thinking…") is reported with an error id, not stored as a row
    whose text names the member it was about."""
    target = world.fake.make_user("plainname-target")
    world.fake.inject_error("POST", r"^/interactions/\d+/[^/]+/callback", status=400, count=1)
    ix = await world.fake.send_command(
        "querylog recent", {"user": target, "contains": "x"}, **world.who("moderator")
    )
    reply = await ix.wait_for_message()
    assert reply.ephemeral and "error id" in reply.text()
    await asyncio.sleep(0.5)  # past a flush
    assert not read(world.database, "SELECT * FROM queries WHERE interaction_id = ?", (int(ix.id),))
    assert not read(world.database, "SELECT 1 FROM queries WHERE query LIKE '%plainname%'")


@shared
async def test_a_locked_log_defers_votes_and_purge_steps_then_answers(world: World) -> None:
    """Another writer (the CLI, a backup) holds the log for seconds: each press and command is
    acknowledged within Discord's deadline (deferred) and answered once the lock is gone."""
    voter = world.fake.make_user("patient voter")
    answer = await (
        await world.fake.send_command("ask", {"question": QUESTION}, user=voter)
    ).wait_for_message()
    prompt = await run(world, "querylog purge", "admin", older_than_days=36500)
    _, cancel = prompt.custom_ids()
    holder = sqlite3.connect(world.database, isolation_level=None, timeout=5)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        pressed = await world.fake.send_component(answer, "cb:vote:up", user=voter)
        asked = await world.fake.send_command(
            "querylog purge", {"older_than_days": 36500}, **world.who("admin")
        )
        cancelled = await world.fake.send_component(prompt, cancel, **world.who("admin"))
        callbacks = [await ix.wait_response(timeout=3) for ix in (pressed, asked, cancelled)]
        # 5: "thinking…" (a private reply follows), 6: the pressed message will be edited.
        assert [callback.type for callback in callbacks] == [5, 5, 6]
        await asyncio.sleep(0.5)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "helped" in (await pressed.wait_for_message(timeout=10)).text()
    second_prompt = await asked.wait_for_message(timeout=10)
    assert "Purge the query log?" in second_prompt.text() and second_prompt.ephemeral
    assert len(second_prompt.custom_ids()) == 2  # confirm, cancel
    settled = await cancelled.wait_for_message(timeout=10)
    assert settled.kind == "edit" and "nothing was deleted" in settled.text()
    assert not settled.components


@shared
async def test_out_of_range_dates_are_explained_and_typed_filters_shown_inert(world: World) -> None:
    reply = await run(world, "querylog recent", "moderator", since="9999-12-31T23:00-05:00")
    assert "`since` is too far in the past or the future" in reply.text()
    exported = await run(world, "querylog export", "moderator", contains="<@&123> **x** `y")
    assert "containing “\\<@&123> \\*\\*x\\*\\* \\`y”" in exported.text()  # "<" defuses it


# --- the moderator's language ---------------------------------------------------------------

GERMAN = {
    "querylog recent": "Neueste Fragen",
    "querylog unanswered": "Was in den Dokumenten fehlt",
    "querylog stats": "Abfrageprotokoll – die letzten 3 Tage",
    "querylog export": "Protokollierte Fragen: ",
    "querylog feedback": "Passagen in Antworten, die als nicht hilfreich markiert wurden",
    "querylog purge": "Abfrageprotokoll bereinigen?",
}


@shared
@pytest.mark.parametrize("command", list(COMMANDS))
async def test_a_german_administrator_reads_every_command_in_german(
    world: World, command: str
) -> None:
    options, english = COMMANDS[command]
    ix = await world.fake.send_command(command, options, locale="de", **world.who("admin"))
    message = await ix.wait_for_message()
    assert GERMAN[command] in message.text() and english not in message.text()
    if command == "querylog purge":
        buttons = [c.get("label") for c in P.iter_components(message.components) if c["type"] == 2]
        assert buttons == ["Löschen", "Abbrechen"]


@shared
async def test_a_refusal_is_in_the_members_language(world: World) -> None:
    ix = await world.fake.send_command("querylog recent", {}, locale="fr", **world.who("member"))
    message = await ix.wait_for_message()
    assert message.text() == "Seuls les modérateurs peuvent consulter le journal des requêtes."
