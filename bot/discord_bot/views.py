"""Buttons that keep working after a restart: their state lives in ``custom_id``.

Each is a :class:`discord.ui.DynamicItem`, registered once with ``bot.add_dynamic_items``; a press
is routed by the ``custom_id`` pattern to the search cog, whatever process sent the message.
Custom ids are at most 100 characters; passage ids are kept short enough by the corpus loader.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

if TYPE_CHECKING:
    from bot.discord_bot.exts.search._cog import SearchCog

CUSTOM_ID_LIMIT = 100


def _cog(interaction: discord.Interaction[Any]) -> SearchCog:
    from bot.discord_bot.exts.search._cog import SearchCog

    cog = interaction.client.get_cog(SearchCog.__cog_name__)
    assert isinstance(cog, SearchCog)
    return cog


class OpenSourceButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"cb:open:(?P<passage_id>.+)",
):
    """ "Open n": shows a cited passage in full, as /source does."""

    def __init__(self, passage_id: str, label: str = "Open") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"cb:open:{passage_id}"[:CUSTOM_ID_LIMIT],
            )
        )
        self.passage_id = passage_id

    @classmethod
    def make(cls, passage_id: str, rank: int) -> Self:
        """The button for the result at ``rank``."""
        return cls(passage_id, label=f"Open {rank}")

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a pressed ``custom_id``."""
        return cls(match["passage_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Open the passage."""
        await _cog(interaction).open_from_button(interaction, self.passage_id)


class MoreResultsButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"cb:more:(?P<offset>\d{1,4}):(?P<limit>\d{1,2})",
):
    """ "More results": the next page of the same ranking."""

    def __init__(self, offset: int, limit: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="More results",
                style=discord.ButtonStyle.primary,
                custom_id=f"cb:more:{offset}:{limit}",
            )
        )
        self.offset = offset
        self.limit = limit

    @classmethod
    def make(cls, offset: int, limit: int) -> Self:
        """The button that shows results after ``offset``."""
        return cls(offset, limit)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a pressed ``custom_id``."""
        return cls(int(match["offset"]), int(match["limit"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the next page."""
        await _cog(interaction).more_results(interaction, self.offset, self.limit)


class SourceNavButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"cb:nav:(?P<passage_id>.+)",
):
    """Previous/Next: the neighbouring passage of the same document."""

    def __init__(self, passage_id: str, label: str = "Open") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"cb:nav:{passage_id}"[:CUSTOM_ID_LIMIT],
            )
        )
        self.passage_id = passage_id

    @classmethod
    def make(cls, passage_id: str, label: str) -> Self:
        """A button that moves to ``passage_id``."""
        return cls(passage_id, label)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a pressed ``custom_id``."""
        return cls(match["passage_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Move to the neighbour."""
        await _cog(interaction).navigate(interaction, self.passage_id)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    OpenSourceButton,
    MoreResultsButton,
    SourceNavButton,
)
