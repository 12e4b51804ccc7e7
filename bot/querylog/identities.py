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
    """Turns a member into the ``(user_id, user_name)`` the log stores.

    ``salt`` is kept even while hashing is off (``hashing_on=False``): rows stored while it was on
    are still the member's, and ``/forget-me`` and the ``user`` filter must find them.
    """

    salt: bytes | None = None
    hashing_on: bool = True

    @property
    def hashing(self) -> bool:
        """Whether ids and names are replaced by a salted hash."""
        return self.salt is not None and self.hashing_on

    def key(self, user_id: int) -> int:
        """The id stored for a member: their id, or its salted hash."""
        return self._hashed(user_id) if self.hashing else user_id

    def name(self, user_id: int, display_name: str) -> str:
        """The name stored for a member: their display name, or a label of the hash."""
        if not self.hashing:
            return display_name
        return f"member-{self.key(user_id):016x}"[:19]

    def filter_key(self, user_id: int) -> int:
        """The one id a filter by this member holds: the salted hash whenever a salt is known, so
        a filter recorded with a moderator action never holds their Discord id. Rows stored
        unhashed still match through :meth:`hash_of`."""
        hashed = self.hash_of(user_id)
        return user_id if hashed is None else hashed

    def hash_of(self, stored_id: int) -> int | None:
        """The salted hash of an id as stored (``None`` without a salt): a row stored under a
        member's raw id matches their :meth:`filter_key` through it."""
        return self._hashed(stored_id) if self.salt is not None else None

    def keys_for(self, user_id: int) -> tuple[int, ...]:
        """Every id a member's rows may be stored under: raw (before hashing was turned on, or
        after it was turned off) and hashed, whenever a salt is known."""
        if self.salt is None:
            return (user_id,)
        return (self._hashed(user_id), user_id)

    def _hashed(self, user_id: int) -> int:
        assert self.salt is not None
        digest = hmac.new(self.salt, str(user_id).encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") >> 1
