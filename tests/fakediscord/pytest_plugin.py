"""Pytest fixtures: a started FakeDiscord and bot subprocesses that are always cleaned up.

Register with ``pytest_plugins = ["tests.fakediscord.pytest_plugin"]`` (tests/conftest.py).
Every request body a fake receives is checked against Discord's OpenAPI spec (``openapi.py``);
a body Discord would refuse fails the test during which it arrived (its setup, call or
teardown), with the path, the errors and the body, even when the bot swallowed the 400. A test
that sends a bad body on purpose claims it with ``FakeDiscord.take_spec_violations()``. The
session ends with a line counting the bodies validated.

Tune the fake by overriding the ``fake_discord_options`` fixture (keyword arguments of
``FakeDiscord``), per module or per test with
``@pytest.mark.parametrize("fake_discord_options", [{"heartbeat_interval_ms": 300}])``.
"""

# ruff: noqa: ASYNC109  (timeout= arguments are the intended test API)

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping, Sequence
from typing import Any

import pytest
import pytest_asyncio

from .harness import echo_bot_argv, wait_ready_or_exit
from .openapi import STATS, take_unchecked
from .process import BotProcess
from .server import FakeDiscord

LaunchBot = Callable[..., Awaitable[BotProcess]]


def _fail_on_spec_violations(phase: str) -> None:
    violations = take_unchecked()
    if violations:
        report = "\n".join(v.describe() for v in violations)
        pytest.fail(
            f"the fake Discord received {len(violations)} request bodies Discord's OpenAPI spec "
            f"refuses (during {phase}):\n{report}",
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    finally:
        _fail_on_spec_violations("setup")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    finally:
        _fail_on_spec_violations("the test")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    finally:
        _fail_on_spec_violations("teardown")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if STATS.bodies:
        terminalreporter.write_line(STATS.summary())


@pytest.fixture
def fake_discord_options() -> dict[str, Any]:
    """Keyword arguments for FakeDiscord; override to tune (short heartbeat by default)."""
    return {"heartbeat_interval_ms": 2000}


@pytest_asyncio.fixture
async def fake_discord(fake_discord_options: dict[str, Any]) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord on 127.0.0.1; stopped (and unknown routes printed) at teardown."""
    fake = FakeDiscord(**fake_discord_options)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
        if fake.unknown_requests:
            print("fakediscord: unknown requests:")
            for r in fake.unknown_requests:
                print(f"  {r.method} {r.path} {r.json!r}"[:300])


@pytest_asyncio.fixture
async def launch_bot(fake_discord: FakeDiscord) -> AsyncIterator[LaunchBot]:
    """Factory: ``await launch_bot(argv, env=None, wait_ready=True)`` -> BotProcess.

    The process gets ``fake_discord.env()`` plus ``env``; it is killed at teardown
    and its output printed (pytest shows it when the test failed).
    """
    procs: list[BotProcess] = []

    async def launch(
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        wait_ready: bool = True,
        timeout: float = 20,
        name: str = "bot",
    ) -> BotProcess:
        proc = BotProcess(argv, {**fake_discord.env(), **(env or {})}, name=name)
        procs.append(proc)
        await proc.start()
        if wait_ready:
            await wait_ready_or_exit(fake_discord, proc, timeout)
        return proc

    try:
        yield launch
    finally:
        for proc in procs:
            await proc.kill()
            print(
                f"----- {proc.name} (pid {proc.proc.pid if proc.proc else '-'}, "
                f"exit {proc.returncode}) output -----"
            )
            print(proc.tail(200))


@pytest_asyncio.fixture
async def echo_bot(fake_discord: FakeDiscord, launch_bot: LaunchBot) -> BotProcess:
    """The echo bot, commands synced (global + default guild), connected to the fake."""
    return await launch_bot(echo_bot_argv(fake_discord), name="echo_bot")
