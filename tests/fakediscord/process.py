"""BotProcess: run any bot command as a subprocess and keep its output for assertions."""

# ruff: noqa: ASYNC109  (timeout= arguments are the intended test API)

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """A bot subprocess whose stdout+stderr lines are captured (with monotonic times).

    The child gets the parent's environment plus ``env``; cwd defaults to the repo
    root so ``python -m tests.fakediscord.echo_bot`` and ``python -m bot`` resolve.
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        cwd: str | os.PathLike[str] | None = None,
        name: str = "bot",
    ) -> None:
        self.argv = list(argv)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.cwd = str(cwd or REPO_ROOT)
        self.name = name
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[tuple[float, str]] = []
        self._reader: asyncio.Task[None] | None = None
        self._new_line = asyncio.Event()

    @classmethod
    def python_module(
        cls, module: str, *args: str, env: Mapping[str, str] | None = None, name: str = "bot"
    ) -> BotProcess:
        """``python -m module args`` with the current interpreter (the venv's)."""
        return cls([sys.executable, "-m", module, *args], env, name=name)

    async def start(self) -> BotProcess:
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # so a kill reaches its children too
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            self.lines.append((time.monotonic(), line.decode(errors="replace").rstrip("\n")))
            self._new_line.set()
            self._new_line = asyncio.Event()
        self._new_line.set()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.returncode

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)

    async def wait_for_output(self, pattern: str, timeout: float = 10) -> re.Match[str]:
        """Wait for a line matching ``pattern``; fails fast if the process exits."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for _, line in self.lines[seen:]:
                match = rx.search(line)
                if match:
                    return match
            seen = len(self.lines)
            if not self.running and (self._reader is None or self._reader.done()):
                raise RuntimeError(
                    f"{self.name} exited ({self.returncode}) before printing {pattern!r}:\n"
                    + self.tail()
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no line matching {pattern!r}:\n" + self.tail())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_line.wait(), min(remaining, 0.5))

    def tail(self, n: int = 60) -> str:
        return "\n".join(line for _, line in self.lines[-n:])

    def send_signal(self, sig: int) -> None:
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(sig)

    async def wait(self, timeout: float = 10) -> int:
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        if self._reader is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._reader), 2)
        return code

    async def terminate(self, timeout: float = 10) -> int:
        """SIGTERM and wait (the graceful path); kills if it does not exit in time."""
        self.send_signal(signal.SIGTERM)
        try:
            return await self.wait(timeout)
        except TimeoutError:
            await self.kill()
            raise

    async def kill(self) -> None:
        """SIGKILL the process group (this process and anything it spawned)."""
        if self.proc is None:
            return
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 5)
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
