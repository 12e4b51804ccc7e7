"""/querylog export of 100k logged questions, end to end, with an upload limit it must respect.

The fake Discord reports a small attachment limit and, like Discord, refuses any bigger file,
so the export has to arrive gzipped and split into parts that together hold every row.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.querylog.connection import connect
from bot.querylog.records import QueryRecord
from tests.conftest import SEED_DIR
from tests.e2e.helpers import BOT_ARGV, bot_env
from tests.fakediscord import FakeDiscord

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(120)

ROWS = 100_000
LIMIT = 512 * 1024
WORDS = [
    "north",
    "korea",
    "russia",
    "satellite",
    "treaty",
    "trump",
    "biden",
    "seoul",
    "launch",
    "missile",
    "troops",
]


async def seed(database: Path, guild_id: int) -> None:
    """100k varied rows in one guild, written before the bot starts (the schema is the bot's
    own)."""
    rng = random.Random(11)
    start = datetime.now(UTC) - timedelta(days=20)
    db = await connect(database)
    try:
        rows = []
        for n in range(ROWS):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9)))
            record = QueryRecord(
                interaction_id=10_000_000 + n,
                user_id=rng.randint(1, 5_000),
                user_name=f"member{rng.randint(1, 5_000)}",
                command="ask",
                query=f'{words} #{n} "quoted", comma',
                outcome=rng.choice(["answered", "answered", "no_results"]),
                latency_ms=rng.uniform(1, 40),
                results=[(f"doc{rng.randint(1, 900)}#{rng.randint(1, 9)}", rng.uniform(0, 9))],
                total_matches=rng.randint(0, 50),
                guild_id=guild_id,
                created_at=(start + timedelta(seconds=15 * n)).isoformat(timespec="milliseconds"),
            )
            rows.append(record.to_row())
        names = ", ".join(rows[0])
        marks = ", ".join(f":{name}" for name in rows[0])
        await db.execute("BEGIN")  # one transaction: the log's connection is in autocommit
        await db.executemany(f"INSERT INTO queries ({names}) VALUES ({marks})", rows)
        await db.execute("COMMIT")
    finally:
        await db.close()


def stored(database: Path) -> list[tuple[str, str]]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        found = connection.execute("SELECT interaction_id, query FROM queries ORDER BY id")
        return [(str(i), q) for i, q in found]
    finally:
        connection.close()


async def test_a_100k_row_export_arrives_in_gzipped_parts_under_the_limit(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:
    database = tmp_path / "log.db"
    await seed(database, int(fake_discord.guild_id))
    fake_discord.attachment_size_limit = LIMIT
    await launch_bot(BOT_ARGV, bot_env(SEED_DIR, database, watch_corpus="false"))

    ix = await fake_discord.send_command(
        "querylog export", {"since": "30d"}, user=fake_discord.owner_user
    )
    first = await ix.wait_for_message(timeout=60)
    assert first.ephemeral
    parts = re.search(r"(\d+) logged questions .*, in (\d+) gzipped parts", first.text())
    assert parts, first.text()
    assert int(parts[1]) == ROWS
    messages = await ix.wait_for_messages(int(parts[2]), timeout=30)
    uploads = [file for message in messages for file in message.files]
    assert len(uploads) == int(parts[2]) > 1
    assert all(message.ephemeral for message in messages)
    assert all(len(upload.data) <= LIMIT for upload in uploads)
    assert [u.filename for u in uploads] == sorted(
        (u.filename for u in uploads), key=lambda name: int(re.findall(r"part(\d+)", name)[0])
    )

    exported: list[tuple[str, str]] = []
    for upload in uploads:
        assert upload.filename.endswith(".csv.gz")
        reader = csv.DictReader(io.StringIO(gzip.decompress(upload.data).decode(), newline=""))
        exported += [(row["interaction_id"], row["query"]) for row in reader]
    assert exported == stored(database)
