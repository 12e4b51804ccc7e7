"""The buttons that belong to one member refuse anyone else in ``interaction_check``, before
their callback runs, and tell them so privately."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.discord_bot.views import (
    ExtensionNotLoaded,
    MoreResultsButton,
    PageButton,
    PostPubliclyButton,
    PurgeButton,
    VoteButton,
)
from bot.i18n.catalog import EN, messages_for

OWNER = 111
SOMEONE_ELSE = 222


def pressed_by(user_id: int, locale: discord.Locale = discord.Locale.american_english) -> Any:
    """A fresh button press by ``user_id``, recording what the bot sends back."""
    interaction = MagicMock(spec=discord.Interaction)
    interaction.user.id = user_id
    interaction.locale = locale
    interaction.extras = {}
    interaction.response.is_done.return_value = False
    interaction.response.send_message = AsyncMock()
    return interaction


BUTTONS = {
    "page": lambda: PageButton("next", 7, OWNER, 1),
    "purge confirm": lambda: PurgeButton(7, OWNER, "confirm"),
    "purge cancel": lambda: PurgeButton(7, OWNER, "cancel"),
}


@pytest.mark.parametrize("make", BUTTONS.values(), ids=BUTTONS.keys())
async def test_the_owner_may_press(make: Any) -> None:
    interaction = pressed_by(OWNER)
    assert await make().interaction_check(interaction) is True
    interaction.response.send_message.assert_not_called()


@pytest.mark.parametrize("make", BUTTONS.values(), ids=BUTTONS.keys())
async def test_anyone_else_is_refused_privately(make: Any) -> None:
    interaction = pressed_by(SOMEONE_ELSE)
    assert await make().interaction_check(interaction) is False
    interaction.response.send_message.assert_awaited_once()
    sent = interaction.response.send_message.await_args.kwargs
    assert sent["ephemeral"] is True
    assert [embed.description for embed in sent["embeds"]] == [EN("notice.not_yours")]


async def test_the_refusal_is_in_the_language_of_who_pressed() -> None:
    interaction = pressed_by(SOMEONE_ELSE, discord.Locale.german)
    assert await PageButton("next", 7, OWNER, 1).interaction_check(interaction) is False
    sent = interaction.response.send_message.await_args.kwargs
    german = messages_for("de")("notice.not_yours")
    assert german != EN("notice.not_yours")
    assert [embed.description for embed in sent["embeds"]] == [german]


class NothingLoaded:
    """A bot whose typed accessors all answer ``None``: no extension is loaded."""

    search = None
    feedback = None
    moderation = None
    find_in_docs = None


PRESSES = {
    "search": lambda: MoreResultsButton(5, 5),
    "feedback": lambda: VoteButton(1),
    "moderation": lambda: PurgeButton(7, OWNER, "cancel"),
    "find in the docs": lambda: PostPubliclyButton(42),
}


@pytest.mark.parametrize(("extension", "make"), PRESSES.items(), ids=PRESSES.keys())
async def test_a_press_for_an_unloaded_extension_names_it(extension: str, make: Any) -> None:
    interaction = pressed_by(OWNER)
    interaction.client = NothingLoaded()
    with pytest.raises(ExtensionNotLoaded, match=f"^{extension}$"):
        await make().callback(interaction)
