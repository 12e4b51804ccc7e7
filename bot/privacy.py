"""Who a log row belongs to: a member's id and name, or a salted hash of the id instead.

With ``QUERY_LOG_HASH_USERS`` the log stores ``HMAC-SHA256(salt, id)`` cut to a positive 63-bit
integer in place of the member's id, and a label derived from it in place of their name. The hash
is the same every time, so ``/forget-me``, one-vote-per-member and the ``user`` filter keep
working; without the salt nobody can tell whose rows they are.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Identities:
    """Turns a member into the ``(user_id, user_name)`` the log stores."""

    salt: bytes | None = None

    @property
    def hashing(self) -> bool:
        """Whether ids and names are replaced by a salted hash."""
        return self.salt is not None

    def key(self, user_id: int) -> int:
        """The id stored for a member: their id, or its salted hash."""
        if self.salt is None:
            return user_id
        digest = hmac.new(self.salt, str(user_id).encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    def name(self, user_id: int, display_name: str) -> str:
        """The name stored for a member: their display name, or a label of the hash."""
        if self.salt is None:
            return display_name
        return f"member-{self.key(user_id):016x}"[:19]

    def keys_for(self, user_id: int) -> tuple[int, ...]:
        """Every id a member's rows may be stored under (raw rows from before hashing too)."""
        hashed = self.key(user_id)
        return (user_id,) if hashed == user_id else (hashed, user_id)
