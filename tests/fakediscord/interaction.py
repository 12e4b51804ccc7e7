"""The handle a test gets for one injected interaction: what the bot answered, and when."""

# The test-facing API takes timeout= arguments on purpose (it is what the tests read best).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, Protocol

from .records import MESSAGE_COMPONENT, Callback, RecordedMessage


class InteractionHost(Protocol):
    """What an interaction handle reads from the fake that holds it (``FakeDiscord``)."""

    messages: dict[str, dict[str, Any]]

    def _notify(self) -> None: ...


class FakeInteraction:
    """Handle for one injected interaction: its callback, messages and timings."""

    def __init__(self, fake: InteractionHost, payload: dict[str, Any]) -> None:
        self.fake = fake
        self.payload = payload
        self.id: str = payload["id"]
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.dispatched_at: float = 0.0
        self.callback: Callback | None = None
        self.late_callbacks: list[Callback] = []
        self.rejected_callbacks: list[tuple[int, dict[str, Any]]] = []
        self.original_id: str | None = None
        # for component interactions the "original" message is the one clicked
        if self.type == MESSAGE_COMPONENT:
            self.original_id = payload["message"]["id"]
        self.messages: list[RecordedMessage] = []
        self._changed = asyncio.Event()

    def __repr__(self) -> str:
        cb = self.callback.type if self.callback else None
        return f"<FakeInteraction id={self.id} type={self.type} callback={cb}>"

    # -- views over recorded traffic ----------------------------------------

    @property
    def followups(self) -> list[RecordedMessage]:
        return [m for m in self.messages if m.kind == "followup"]

    @property
    def edits(self) -> list[RecordedMessage]:
        return [m for m in self.messages if m.kind in ("edit", "update")]

    @property
    def visible_messages(self) -> list[RecordedMessage]:
        return [m for m in self.messages if m.kind != "deferred"]

    @property
    def responded_at(self) -> float | None:
        return self.callback.at if self.callback else None

    @property
    def first_message_at(self) -> float | None:
        vis = self.visible_messages
        return vis[0].at if vis else None

    @property
    def response_latency(self) -> float | None:
        """Seconds from INTERACTION_CREATE sent to the callback POST arriving."""
        return None if self.callback is None else self.callback.at - self.dispatched_at

    @property
    def message_latency(self) -> float | None:
        """Seconds from dispatch to the first visible message (after any deferral)."""
        at = self.first_message_at
        return None if at is None else at - self.dispatched_at

    @property
    def original_message(self) -> dict[str, Any] | None:
        return self.fake.messages.get(self.original_id) if self.original_id else None

    # -- waiting --------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
        self.fake._notify()

    async def wait_until(
        self, predicate: Callable[[FakeInteraction], Any], timeout: float = 5
    ) -> Any:
        """Wait until predicate(self) is truthy and return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self!r}: condition not met within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def wait_response(self, timeout: float = 5) -> Callback:
        """The initial callback (type 4/5/6/7/8/9...)."""
        result: Callback = await self.wait_until(lambda ix: ix.callback, timeout)
        return result

    async def wait_for_message(self, timeout: float = 5) -> RecordedMessage:
        """The first visible message: a type 4/7 callback, or the edit/followup after a defer."""
        result: RecordedMessage = await self.wait_until(
            lambda ix: ix.visible_messages[0] if ix.visible_messages else None, timeout
        )
        return result

    async def wait_for_messages(self, count: int, timeout: float = 5) -> list[RecordedMessage]:
        result: list[RecordedMessage] = await self.wait_until(
            lambda ix: ix.visible_messages if len(ix.visible_messages) >= count else None, timeout
        )
        return result
