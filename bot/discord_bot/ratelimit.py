"""Per-member limits, so one member cannot flood a channel or hold up the bot for everyone."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class SearchCooldown(Exception):
    """Raised when a member searches faster than allowed; carries the wait in seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"try again in {retry_after:.1f} s")
        self.retry_after = retry_after


class UserRateLimiter:
    """At most ``rate`` searches in any ``per`` seconds, per user id (a sliding window)."""

    def __init__(self, rate: int, per: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.per = per
        self._clock = clock
        self._recent: dict[int, deque[float]] = {}

    def check(self, user_id: int) -> None:
        """Spend one search for ``user_id``, or raise :class:`SearchCooldown`."""
        now = self._clock()
        if len(self._recent) > 10_000:
            self._forget_idle(now)
        recent = self._recent.setdefault(user_id, deque())
        while recent and now - recent[0] >= self.per:
            recent.popleft()
        if len(recent) >= self.rate:
            raise SearchCooldown(self.per - (now - recent[0]))
        recent.append(now)

    def _forget_idle(self, now: float) -> None:
        """Drop users with no search in the window, so the map does not grow forever."""
        idle = [
            uid for uid, times in self._recent.items() if not times or now - times[-1] >= self.per
        ]
        for uid in idle:
            del self._recent[uid]


class OneAtATime:
    """Runs each member's costly work (closest ids, id completion) off the event loop, one
    piece at a time: a member's flood waits behind itself and holds at most one worker thread,
    so the other members' requests find the shared workers free."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: Counter[int] = Counter()

    def busy(self, member: int) -> bool:
        """Whether the member has work running or waiting."""
        return member in self._locks

    async def run(self, member: int, work: Callable[[], T]) -> T:
        """``work()`` in a worker thread once the member's earlier work is done."""
        lock = self._locks.setdefault(member, asyncio.Lock())
        self._users[member] += 1
        try:
            async with lock:
                return await asyncio.to_thread(work)
        finally:
            self._users[member] -= 1
            if not self._users[member]:  # nothing left for this member: forget the lock
                del self._users[member]
                del self._locks[member]
