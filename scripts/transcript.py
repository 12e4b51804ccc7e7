"""Print a short session with the real bot as the local fake Discord recorded it.

    .venv/bin/python -m scripts.transcript [--corpus DIR]

Starts the fake Discord and ``corpusbot run`` (seed corpus by default), sends a few interactions
and prints each one with the reply the bot posted: the callback type, flags, embed text and
buttons. Useful to see what members will see without a Discord account.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.fakediscord import FakeDiscord, RecordedMessage
from tests.fakediscord.harness import fake_and_bot

CALLBACK_NAMES = {4: "message", 5: "deferred", 7: "update", 8: "autocomplete"}


def show(title: str, message: RecordedMessage | None, callback: Any = None) -> None:
    """One interaction and what came back."""
    print(f"\n>>> {title}")
    if callback is not None:
        kind = CALLBACK_NAMES.get(callback.type, callback.type)
        private = " ephemeral" if callback.ephemeral else ""
        print(f"<<< callback type {callback.type} ({kind}){private}")
        if callback.type == 8:
            for choice in callback.choices:
                print(f"    choice: {choice['name']!r} -> {choice['value']!r}")
            return
    embeds = message.embeds if message is not None else []
    if message is None and callback is not None and callback.type == 7:
        embeds = callback.data.get("embeds", [])
    for embed in embeds:
        if "author" in embed:
            print(f"    author: {embed['author']['name']}")
        if "title" in embed:
            print(f"    title: {embed['title']}")
        for line in str(embed.get("description", "")).splitlines():
            print(f"    | {line}")
        for field in embed.get("fields", []):
            print(f"    {field['name']}: {field['value']}")
        if "footer" in embed:
            print(f"    footer: {embed['footer']['text']}")
    if message is not None:
        if message.custom_ids():
            print(f"    buttons: {', '.join(message.custom_ids())}")
        print(f"    allowed_mentions: {message.allowed_mentions}")


async def session(corpus: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {"CORPUS_DIR": str(corpus), "QUERY_LOG_PATH": str(Path(folder) / "log.db")}
        argv = [sys.executable, "-m", "bot", "run"]
        async with fake_and_bot(argv, env, name="corpusbot") as (fake, _):
            await run(fake)


async def run(fake: FakeDiscord) -> None:
    ask = {"question": "What does Russia plan to give North Korea?", "results": 2}
    ix = await fake.send_command("ask", ask)
    answer = await ix.wait_for_message()
    show(f"/ask question:{ask['question']} results:2", answer, ix.callback)

    ix = await fake.send_component(answer, "cb:more:2:2")
    show("press [More results]", await ix.wait_for_message(), ix.callback)

    opened = answer.custom_ids()[0]
    ix = await fake.send_component(answer, opened)
    source = await ix.wait_for_message()
    show(f"press [Open 1] ({opened})", source, ix.callback)

    ix = await fake.send_component(source, source.custom_ids()[-1])
    show("press [Next ▶] on that private view", None, await ix.wait_response())

    ix = await fake.send_autocomplete("source", {"id": "#3"})
    show("/source id:#3… (autocomplete)", None, await ix.wait_response())

    ix = await fake.send_command("source", {"id": "000_fe06235f8a2d5290#9"})
    show("/source id:000_fe06235f8a2d5290#9", await ix.wait_for_message(), ix.callback)

    ix = await fake.send_command("ask", {"question": "Where do quokkas live?"})
    show("/ask question:Where do quokkas live?", await ix.wait_for_message(), ix.callback)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("tests/data/seed"))
    asyncio.run(session(parser.parse_args().corpus))


if __name__ == "__main__":
    main()
