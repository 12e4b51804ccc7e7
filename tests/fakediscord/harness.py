"""Start a fake plus a bot process together, with fail-fast readiness (fixture building blocks)."""

# ruff: noqa: ASYNC109  (timeout= arguments are the intended test API)

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from .process import BotProcess
from .server import FakeDiscord


async def wait_ready_or_exit(fake: FakeDiscord, proc: BotProcess, timeout: float) -> None:
    """Wait for READY on the fake, but fail at once (with logs) if the bot dies first."""
    ready = asyncio.ensure_future(fake.wait_for_ready(timeout))
    exited = asyncio.ensure_future(proc.proc.wait()) if proc.proc else None
    waiters = [ready] + ([exited] if exited else [])
    done, pending = await asyncio.wait(waiters, timeout=timeout, return_when="FIRST_COMPLETED")
    for t in pending:
        t.cancel()
    if ready in done and not ready.cancelled() and ready.exception() is None:
        return
    raise RuntimeError(f"{proc.name} did not reach READY (exit={proc.returncode}):\n{proc.tail()}")


ECHO_BOT = [sys.executable, "-m", "tests.fakediscord.echo_bot"]


def echo_bot_argv(fake: FakeDiscord) -> list[str]:
    """The echo bot, syncing global commands and a guild command to the fake's guild."""
    return [*ECHO_BOT, "--sync", "--sync-guild", fake.guild_id]


@contextlib.asynccontextmanager
async def fake_and_bot(
    argv: Sequence[str] | Callable[[FakeDiscord], Sequence[str]],
    env: Mapping[str, str] | None = None,
    *,
    name: str = "bot",
    timeout: float = 20,
    **fake_options: Any,
) -> AsyncIterator[tuple[FakeDiscord, BotProcess]]:
    """Start a fake and a bot connected to it; for module-scoped (shared) fixtures.

    Always kills the bot and stops the fake; prints the bot's output on the way out.
    """
    fake = FakeDiscord(**{"heartbeat_interval_ms": 2000, **fake_options})
    await fake.start()
    args = argv(fake) if callable(argv) else argv
    proc = BotProcess(args, {**fake.env(), **(env or {})}, name=name)
    try:
        await proc.start()
        await wait_ready_or_exit(fake, proc, timeout)
        yield fake, proc
    finally:
        await proc.kill()
        await fake.stop()
        print(f"----- {name} (exit {proc.returncode}) output -----\n{proc.tail(200)}")
