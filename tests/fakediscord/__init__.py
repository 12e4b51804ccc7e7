"""A local fake Discord (REST + Gateway) for end-to-end tests of real bot processes.

Typical use (fixtures in ``tests.fakediscord.pytest_plugin``)::

    fake = FakeDiscord(heartbeat_interval_ms=1000)
    await fake.start()
    bot = await BotProcess.python_module("tests.fakediscord.echo_bot", "--sync",
                                         env=fake.env()).start()
    await fake.wait_for_ready()
    ix = await fake.send_command("ping")
    assert (await ix.wait_for_message()).content == "pong"

``FakeDiscord`` (``server.py``: the aiohttp app, its middleware, start and stop) is made of parts,
one module each: ``state.py`` (guilds, members, channels, messages, interactions) with
``command_store.py``; ``routes/`` (Discord's REST routes, a module per resource family);
``testing.py`` (what tests call: inject interactions, wait, inject failures), building payloads
with ``interaction_payloads.py`` and handing out ``interaction.py``'s ``FakeInteraction``.
Forum channels and their posts (``add_forum``, ``create_forum_post``: THREAD_CREATE), members'
messages (``member_message``) and message commands on them (``send_message_command``) are in
``state.py`` and ``testing.py``; an overwrite denying the bot a permission makes REST answer 403
as Discord does. ``records.py`` holds what is recorded for assertions, ``errors.py`` and
``responses.py`` Discord-shaped errors and responses, ``limits.py`` the hand-written size
limits, ``openapi.py`` the spec validation and ``gateway.py`` the websocket.
"""

from .command_store import CommandStore
from .errors import DiscordHTTPError
from .harness import echo_bot_argv, fake_and_bot, wait_ready_or_exit
from .interaction import FakeInteraction
from .interaction_payloads import DEFAULT
from .process import REPO_ROOT, BotProcess
from .records import Callback, RecordedFile, RecordedMessage, RecordedRequest
from .server import FakeDiscord

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
