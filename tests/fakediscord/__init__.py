"""A local fake Discord (REST + Gateway) for end-to-end tests of real bot processes.

Typical use (fixtures in ``tests.fakediscord.pytest_plugin``)::

    fake = FakeDiscord(heartbeat_interval_ms=1000)
    await fake.start()
    bot = await BotProcess.python_module("tests.fakediscord.echo_bot", "--sync",
                                         env=fake.env()).start()
    await fake.wait_for_ready()
    ix = await fake.send_command("ping")
    assert (await ix.wait_for_message()).content == "pong"
"""

from .harness import echo_bot_argv, fake_and_bot, wait_ready_or_exit
from .process import REPO_ROOT, BotProcess
from .server import (
    DEFAULT,
    Callback,
    CommandStore,
    DiscordHTTPError,
    FakeDiscord,
    FakeInteraction,
    RecordedFile,
    RecordedMessage,
    RecordedRequest,
)

__all__ = [
    "DEFAULT",
    "REPO_ROOT",
    "BotProcess",
    "Callback",
    "CommandStore",
    "DiscordHTTPError",
    "FakeDiscord",
    "FakeInteraction",
    "RecordedFile",
    "RecordedMessage",
    "RecordedRequest",
    "echo_bot_argv",
    "fake_and_bot",
    "wait_ready_or_exit",
]
