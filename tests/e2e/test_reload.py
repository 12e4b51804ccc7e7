"""/reload and the folder watcher in the real bot process: a new file is answered without a
restart, /reload is for administrators, a long reload is answered and SIGTERM meanwhile exits."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

from tests.e2e.helpers import (
    BOT_ARGV,
    assert_outlived_by_none,
    bot_env,
    make_corpus,
    set_immutable,
)
from tests.fakediscord import FakeDiscord

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
ADMINISTRATOR = 1 << 3
MANAGE_MESSAGES = 1 << 13


async def test_a_new_file_is_answered_without_a_restart(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus = make_corpus(tmp_path)
    bot = await launch_bot(BOT_ARGV, bot_env(corpus, tmp_path / "log.db"))
    await bot.wait_for_output("watching .* for changes")
    before = await (
        await fake_discord.send_command("ask", {"question": "quokkas"})
    ).wait_for_message()
    assert "No matching passages" in before.embeds[0]["description"]

    (corpus / "animals.md").write_text("# Animals\n\nQuokkas live on Rottnest Island near Perth.\n")
    await bot.wait_for_output(
        r"Reloaded in [\d.]+ s: 3 documents, \d+ passages \(was 5\); 1 added \(animals\)",
        timeout=20,
    )
    after = await (
        await fake_discord.send_command("ask", {"question": "quokkas"})
    ).wait_for_message()
    assert "Rottnest Island" in after.embeds[0]["description"]

    (corpus / "animals.md").unlink()
    await bot.wait_for_output(r"1 removed \(animals\)", timeout=20)
    gone = await (
        await fake_discord.send_command("ask", {"question": "quokkas"})
    ).wait_for_message()
    assert "No matching passages" in gone.embeds[0]["description"]


async def test_reload_command_is_for_administrators_only(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    corpus = make_corpus(tmp_path)
    await launch_bot(BOT_ARGV, bot_env(corpus, tmp_path / "log.db", watch_corpus="false"))
    reload = fake_discord.commands["reload"]
    assert str(reload["default_member_permissions"]) == str(ADMINISTRATOR)
    assert reload.get("contexts") == [0] or reload.get("dm_permission") is False

    refused = await fake_discord.send_command("reload", {}, member_permissions=MANAGE_MESSAGES)
    message = await refused.wait_for_message()
    assert message.ephemeral and "Only server administrators" in message.embeds[0]["description"]

    (corpus / "extra.txt").write_text("Wombats dig burrows.")
    await asyncio.sleep(0.2)
    unchanged = await (
        await fake_discord.send_command("ask", {"question": "wombats"})
    ).wait_for_message()
    assert "No matching passages" in unchanged.embeds[0]["description"]  # not watching

    allowed = await fake_discord.send_command("reload", {}, member_permissions=ADMINISTRATOR)
    report = await allowed.wait_for_message(timeout=20)
    assert report.ephemeral
    assert report.embeds[0]["description"].startswith("Reloaded in ")
    assert "1 added (extra)" in report.embeds[0]["description"]
    found = await (
        await fake_discord.send_command("ask", {"question": "wombats"})
    ).wait_for_message()
    assert "burrows" in found.embeds[0]["description"]


async def test_a_long_reload_is_answered_and_sigterm_meanwhile_exits_promptly(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A reload of a big corpus takes minutes (or a file blocks it): /reload still answers once
    RELOAD_TIMEOUT_SECONDS pass, and a restart meanwhile (a deploy) must not wait for it:
    service managers kill a process that is not gone within about 10 s."""
    corpus = make_corpus(tmp_path)
    env = bot_env(
        corpus,
        tmp_path / "log.db",
        watch_corpus="false",
        slow_reload_seconds=60,
        reload_timeout_seconds=1,
    )
    bot = await launch_bot([sys.executable, "-m", "tests.e2e.slow_search_bot"], env)
    reload = await fake_discord.send_command("reload", {}, member_permissions=ADMINISTRATOR)
    assert (await reload.wait_response()).type == 5  # "thinking…": the reload is under way
    # Past RELOAD_TIMEOUT_SECONDS /reload answers instead of "thinking" until Discord gives up.
    answer = await reload.wait_for_message(timeout=15)
    assert answer.ephemeral
    assert "has not finished after 1 s" in answer.embeds[0]["description"]
    bot.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert await bot.wait(30) == 0
    assert time.monotonic() - started < 10
    assert "0 left over" in bot.output


async def test_reload_report_shows_snake_case_ids_as_typed(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Document ids keep underscores (release_notes_v2.md is release_notes_v2): in the report
    they are escaped, or Discord shows "release*notes*v2" with "notes" in italics."""
    corpus = make_corpus(tmp_path)
    await launch_bot(BOT_ARGV, bot_env(corpus, tmp_path / "log.db", watch_corpus="false"))
    (corpus / "release_notes_v2.md").write_text("# Notes\n\nWombats dig __deep__ burrows.\n")
    allowed = await fake_discord.send_command("reload", {}, member_permissions=ADMINISTRATOR)
    report = (await allowed.wait_for_message(timeout=20)).embeds[0]["description"]
    assert "1 added (release\\_notes\\_v2)" in report, report


async def test_an_edit_is_answered_from_layers_then_merged_without_a_restart(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """In a corpus of many files, an edit re-reads that file alone and is answered at once;
    after the quiet spell a background full build folds it in, and a restart afterwards maps
    that build."""
    corpus = make_corpus(tmp_path)
    for number in range(40):
        (corpus / f"note{number:02d}.md").write_text(
            f"# Note {number}\n\nThe harvest festival of year {number} filled the square. " * 3
        )
    env = bot_env(
        corpus, tmp_path / "log.db", index_cache_dir=tmp_path / "index", index_merge_seconds=2
    )
    bot = await launch_bot(BOT_ARGV, env)
    await bot.wait_for_output("watching .* for changes")

    (corpus / "note05.md").write_text("# Note 5\n\nQuokkas live on Rottnest Island near Perth.\n")
    await bot.wait_for_output(r"with changed files laid over the saved index", timeout=20)
    await bot.wait_for_output(r"Reloaded in [\d.]+ s: \d+ documents.*1 changed \(note05\)")
    after = await (
        await fake_discord.send_command("ask", {"question": "quokkas"})
    ).wait_for_message()
    assert "Rottnest Island" in after.embeds[0]["description"]

    await bot.wait_for_output("merging the changed files into a full index build", timeout=20)
    child = await bot.wait_for_output(r"the full build runs in a child process, pid (\d+)")
    assert int(child.group(1)) != bot.pid  # the bot's own process keeps answering meanwhile
    await bot.wait_for_output(r"background merge built; reloading onto it", timeout=60)
    await bot.wait_for_output(r"Reloaded in [\d.]+ s: .*no document changed", timeout=20)
    merged = await (
        await fake_discord.send_command("ask", {"question": "quokkas"})
    ).wait_for_message()
    assert "Rottnest Island" in merged.embeds[0]["description"]
    assert await bot.terminate(20) == 0

    again = await launch_bot(BOT_ARGV, env)
    await again.wait_for_output(r"corpus .*\(from cache\)", timeout=30)
    assert await again.terminate(20) == 0

    # Changed while stopped, and not watched: the start lays the change over, then merges.
    (corpus / "note06.md").write_text("# Note 6\n\nWombats dig burrows in the hills.\n")
    third = await launch_bot(BOT_ARGV, {**env, "WATCH_CORPUS": "false"})
    await third.wait_for_output(r"corpus .*with changed files laid over the saved index")
    await third.wait_for_output(r"background merge built; reloading onto it", timeout=60)
    wombats = await (
        await fake_discord.send_command("ask", {"question": "wombats"})
    ).wait_for_message()
    assert "burrows" in wombats.embeds[0]["description"]
    assert await third.terminate(20) == 0


async def test_a_stop_during_the_background_merge_stops_its_child_too(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The merge's build runs in a child process: a restart meanwhile must not leave it
    running on its own, building for a bot that is gone."""
    corpus = make_corpus(tmp_path)
    for number in range(40):
        (corpus / f"note{number:02d}.md").write_text(f"# Note {number}\n\nOrchards in bloom. " * 3)
    env = bot_env(
        corpus, tmp_path / "log.db", index_cache_dir=tmp_path / "index", index_merge_seconds=1
    )
    bot = await launch_bot(BOT_ARGV, env)
    await bot.wait_for_output("watching .* for changes")
    (corpus / "note05.md").write_text("# Note 5\n\nQuokkas live on Rottnest Island.\n")
    child = int(
        (await bot.wait_for_output(r"the full build runs in a child process, pid (\d+)", 30))[1]
    )
    bot.send_signal(signal.SIGTERM)
    assert await bot.wait(20) == 0
    assert_outlived_by_none(child, "the merge's child process")


async def test_a_reload_that_rebuilds_the_corpus_builds_in_a_child_process(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Too much changed to lay over the saved index: the full build runs in a child process
    (the bot keeps answering meanwhile), the bot maps its build, and a stop meanwhile stops
    the child too."""
    corpus = make_corpus(tmp_path)
    env = _child_builds(corpus, tmp_path)
    bot = await launch_bot(BOT_ARGV, env)
    start = await bot.wait_for_output(r"the full build runs in a child process, pid (\d+)", 20)
    await bot.wait_for_output(r"corpus .*\(from cache\)", 30)  # the start's build, mapped
    (corpus / "animals.md").write_text("# Animals\n\nQuokkas live on Rottnest Island. " * 40)
    allowed = await fake_discord.send_command("reload", {}, member_permissions=ADMINISTRATOR)
    child = await bot.wait_for_output(
        rf"the full build runs in a child process, pid (?!{start.group(1)}\b)(\d+)", 20
    )
    assert int(child.group(1)) != bot.pid
    report = await allowed.wait_for_message(timeout=30)
    assert "1 added (animals)" in report.embeds[0]["description"]
    await bot.wait_for_output(r"corpus .*\(from cache\)")  # mapped, not built in the bot
    found = await (
        await fake_discord.send_command("ask", {"question": "quokkas"})
    ).wait_for_message()
    assert "Rottnest Island" in found.embeds[0]["description"]

    (corpus / "plants.md").write_text("# Plants\n\nBanksias flower in winter. " * 80)
    await fake_discord.send_command("reload", {}, member_permissions=ADMINISTRATOR)
    second = int(
        (await bot.wait_for_output(rf"in a child process, pid (?!{child.group(1)}\b)(\d+)", 20))[1]
    )
    assert await bot.terminate(20) == 0
    assert_outlived_by_none(second, "the reload's child process")


async def test_a_start_that_builds_the_corpus_builds_in_a_child_process(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """With no saved index, the start's full build runs in a child process and the bot maps
    what it saved (so the bot keeps none of the build's memory); a stop meanwhile stops the
    child too, and the bot exits at once."""
    corpus = make_corpus(tmp_path)
    env = _child_builds(corpus, tmp_path)
    bot = await launch_bot(BOT_ARGV, env)
    child = await bot.wait_for_output(r"the full build runs in a child process, pid (\d+)", 20)
    assert int(child.group(1)) != bot.pid
    await bot.wait_for_output(r"corpus .*\(from cache\)", 30)
    answer = await (
        await fake_discord.send_command("ask", {"question": "What does Russia plan to give?"})
    ).wait_for_message()
    assert "Russia" in answer.embeds[0]["description"]
    assert await bot.terminate(20) == 0

    # A corpus of a few MB, no saved index, and a stop while the child builds it.
    for number in range(60):
        (corpus / f"bulk{number:02d}.md").write_text(f"# Bulk {number}\n\n" + _ORCHARDS * 400)
    again = await launch_bot(
        BOT_ARGV, {**env, "INDEX_CACHE_DIR": str(tmp_path / "index2")}, wait_ready=False
    )
    second = int(
        (await again.wait_for_output(r"the full build runs in a child process, pid (\d+)", 20))[1]
    )
    again.send_signal(signal.SIGTERM)
    assert await again.wait(20) == 0
    assert "stopped during the start-up build" in again.output
    assert_outlived_by_none(second, "the start-up build's child process")


def _child_builds(corpus: Path, tmp_path: Path) -> dict[str, str]:
    """A bot whose full builds of even this small a corpus run in a child process."""
    return bot_env(
        corpus,
        tmp_path / "log.db",
        index_cache_dir=tmp_path / "index",
        watch_corpus="false",
        child_build_from_bytes=0,  # a corpus this small builds in the bot's thread by default
    )


_ORCHARDS = "Orchards in bloom draw bees from the hills around the valley each spring. "


async def test_a_merge_that_cannot_save_its_build_is_tried_once_per_change(
    fake_discord: FakeDiscord, launch_bot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A read-only index cache: the merge fails, says why once, and is not tried again every
    quiet spell (a full build each time, a core burnt for nothing) until the corpus changes."""
    corpus = make_corpus(tmp_path)
    for number in range(40):
        (corpus / f"note{number:02d}.md").write_text(f"# Note {number}\n\nOrchards in bloom. " * 3)
    cache = tmp_path / "index"
    env = bot_env(corpus, tmp_path / "log.db", index_cache_dir=cache, index_merge_seconds=0.2)
    bot = await launch_bot(BOT_ARGV, env)
    await bot.wait_for_output("watching .* for changes")
    set_immutable([cache], True)
    try:
        (corpus / "note05.md").write_text("# Note 5\n\nQuokkas live on Rottnest Island.\n")
        await bot.wait_for_output(r"with changed files laid over the saved index", timeout=20)
        await bot.wait_for_output(r"merging the changed files", timeout=20)
        # Nothing announces a merge that does not happen: give a loop (a merge every 0.2 s of
        # quiet, a child's build and a reload each, under 2 s a round) time to show itself.
        await asyncio.sleep(3)
        assert bot.output.count("merging the changed files") == 1
        failed = await bot.wait_for_output(r"the background merge failed \((.*)\)")
        assert "not writable" in failed.group(1)
        found = await (
            await fake_discord.send_command("ask", {"question": "quokkas"})
        ).wait_for_message()
        assert "Rottnest Island" in found.embeds[0]["description"]
    finally:
        set_immutable([cache], False)

    (corpus / "note06.md").write_text("# Note 6\n\nWombats dig burrows in the hills.\n")
    await bot.wait_for_output(r"background merge built; reloading onto it", timeout=30)
    assert bot.output.count("merging the changed files") == 2
