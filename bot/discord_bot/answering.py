"""The answers a process is giving right now, so a shutdown lets them finish: slash commands,
buttons and the message menu, and answers to new help forum posts alike."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)


class AnswersInProgress:
    """The tasks answering a member now; each counts from its first step to its log row."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Count the running task among the answers in progress while the block runs."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def finish(self, patience: float) -> None:
        """Wait up to ``patience`` seconds for the answers in progress, and for those begun
        meanwhile: the Gateway is still open, so questions and posts keep arriving, and one
        begun just after the signal is cut off otherwise when the earlier ones are done."""
        if not self._tasks:
            return
        log.info("stopping: letting %d interactions finish", len(self._tasks))
        deadline = asyncio.get_running_loop().time() + patience
        while self._tasks:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            await asyncio.wait(set(self._tasks), timeout=left)
