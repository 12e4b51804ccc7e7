"""Members' ids and names, or their salted hash."""

from __future__ import annotations

from bot.querylog.identities import Identities


def test_identities_hash_consistently() -> None:
    plain, hashed, other = Identities(), Identities(b"one"), Identities(b"two")
    assert plain.key(42) == 42 and plain.name(42, "alice") == "alice"
    assert hashed.key(42) == hashed.key(42) != other.key(42)
    assert 0 < hashed.key(42) < 2**63 and hashed.key(42) != 42
    assert hashed.name(42, "alice").startswith("member-") and "alice" not in hashed.name(42, "a")
    assert hashed.keys_for(42) == (hashed.key(42), 42) and plain.keys_for(42) == (42,)
