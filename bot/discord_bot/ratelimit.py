"""A per-member limit on searches, so one member cannot flood a channel or the bot."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


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
