"""What differs between SQLite and PostgreSQL, kept small: placeholders, URLs, migrations; and
what must not: a read-only connection."""

from __future__ import annotations

import pytest

from bot.querylog.backends import LogBackend
from bot.querylog.backends.postgres import PostgresBackend, describe_url, to_pyformat
from bot.querylog.identities import Identities
from bot.querylog.schema import migrations
from tests import pg
from tests.querylog.rows import add


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT ? + ?", "SELECT %s + %s"),
        ("q.query LIKE ? ESCAPE '\\'", "q.query LIKE %s ESCAPE '\\'"),
        ("SELECT '?', 'it''s ?', ?", "SELECT '?', 'it''s ?', %s"),
        ("SELECT 5 % 2, ?", "SELECT 5 %% 2, %s"),
        ("SELECT '100%'", "SELECT '100%'"),
    ],
)
def test_placeholders_outside_quoted_text_become_psycopgs(sqlite: str, postgres: str) -> None:
    assert to_pyformat(sqlite) == postgres


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://bot:s3cret@db.example.com:6543/log", "postgresql://db.example.com:6543/log"),
        ("postgresql://bot:s3cret@db.example.com/log", "postgresql://db.example.com/log"),
        ("postgresql:///log?host=/run/postgresql", "postgresql:///run/postgresql/log"),
        ("postgresql://bot:s3cret@[bad", "postgresql://(an invalid URL)"),
    ],
)
def test_a_url_is_described_without_its_user_and_password(url: str, shown: str) -> None:
    assert describe_url(url) == shown


def test_both_dialects_have_the_same_numbered_migrations() -> None:
    sqlite, postgres = migrations("sqlite"), migrations("postgres")
    assert [v for v, _ in sqlite] == [v for v, _ in postgres] == list(range(1, len(sqlite) + 1))


def test_a_read_only_connection_cannot_change_the_log(backend: LogBackend) -> None:
    """Listings run read-only on both databases: a bug in one cannot delete rows."""
    with backend.connect(readonly=False) as conn:
        add(conn, interaction_id=1)
    with backend.connect(readonly=True) as conn, pytest.raises(backend.errors):
        conn.execute("DELETE FROM queries")
    with backend.connect(readonly=True) as conn:
        assert conn.execute("SELECT count(*) FROM queries").fetchone()[0] == 1


def test_missing_postgresql_binaries_fail_the_tests_saying_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pg, "SERVER_VERSIONS", ("0",))
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y postgresql-15"):
        pg.find_bin_dir()


@pytest.mark.parametrize("salt", [b"a-salt-of-sixteen-plus", b"long" * 40], ids=["short", "long"])
def test_postgresql_hashes_a_stored_id_as_python_does(pg_url: str, salt: bytes) -> None:
    """The member filter's ``salted()`` on the server equals ``Identities.hash_of``, and the
    salt stays out of the catalog."""
    backend = PostgresBackend(pg_url)
    backend.migrate()
    identities = Identities(salt)
    ids = [0, 1, 123456789012345678, 2**63 - 1]
    with backend.connect(readonly=True, identities=identities) as conn:
        hashed = [conn.execute("SELECT pg_temp.salted(?)", [i]).fetchone()[0] for i in ids]
        [defined] = conn.execute(
            "SELECT pg_get_functiondef(oid) FROM pg_proc WHERE proname = 'salted'"
        ).fetchone()
    assert hashed == [identities.hash_of(i) for i in ids]
    # Every user of the database can read pg_proc: the salt is never in a function's text.
    inner_key = bytes(byte ^ 0x36 for byte in salt[:8]).hex()
    assert "sha256" in defined and salt.hex()[:16] not in defined and inner_key not in defined
