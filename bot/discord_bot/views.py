"""Every button the bot sends: each keeps working after a restart, its state in ``custom_id``.

Each is a :class:`discord.ui.DynamicItem`, registered by its extension with
``bot.add_dynamic_items``; a press is routed by the ``custom_id`` pattern, whatever process sent
the message, to the handler the bot's typed accessor names (:class:`ButtonHost`). A button that
belongs to one member checks that in ``interaction_check``, before its callback runs.
Custom ids are at most 100 characters; passage ids are kept short enough by the corpus loader.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

import discord

from bot.discord_bot.language import words_for
from bot.discord_bot.respond import notice, send
from bot.i18n.catalog import EN, Messages
from bot.querylog.listings import Page

CUSTOM_ID_LIMIT = 100
OPEN_PREFIX = "cb:open:"
VOTE_ROW = 1  # below the "Open n" buttons, beside "More results" when a row has room
H = TypeVar("H")


class SearchPresses(Protocol):
    """What the search buttons ask of the search extension."""

    async def open_from_button(
        self, interaction: discord.Interaction[Any], passage_id: str
    ) -> None: ...

    async def more_results(
        self, interaction: discord.Interaction[Any], offset: int, limit: int
    ) -> None: ...

    async def navigate(self, interaction: discord.Interaction[Any], passage_id: str) -> None: ...


class FindPresses(Protocol):
    """What "Post publicly" asks of the message-menu extension."""

    async def post_publicly(
        self, interaction: discord.Interaction[Any], message_id: int
    ) -> None: ...


class VotePresses(Protocol):
    """What 👍 / 👎 ask of the feedback extension."""

    async def vote(self, interaction: discord.Interaction[Any], vote: int) -> None: ...


class ModerationPresses(Protocol):
    """What a listing's pages and a purge prompt ask of the moderation extension."""

    async def turn_page(
        self, interaction: discord.Interaction[Any], action_id: int, owner: int, page: int
    ) -> None: ...

    async def settle_purge(
        self, interaction: discord.Interaction[Any], request_id: int, owner: int, choice: str
    ) -> None: ...


@runtime_checkable
class ButtonHost(Protocol):
    """The bot's typed accessors: each extension's handler, or ``None`` when not loaded."""

    @property
    def search(self) -> SearchPresses | None: ...

    @property
    def feedback(self) -> VotePresses | None: ...

    @property
    def find_in_docs(self) -> FindPresses | None: ...

    @property
    def moderation(self) -> ModerationPresses | None: ...


class ExtensionNotLoaded(RuntimeError):
    """A button was pressed whose extension is not loaded in this process."""


def _host(interaction: discord.Interaction[Any]) -> ButtonHost:
    client = interaction.client
    if not isinstance(client, ButtonHost):
        raise ExtensionNotLoaded(f"{type(client).__name__} has no button handlers")
    return client


def _loaded(handler: H | None, extension: str) -> H:
    """The extension's handler; a press for an extension this process has not loaded fails."""
    if handler is None:
        raise ExtensionNotLoaded(extension)
    return handler


def _search(interaction: discord.Interaction[Any]) -> SearchPresses:
    return _loaded(_host(interaction).search, "search")


class OpenSourceButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"cb:open:(?P<passage_id>.+)",
):
    """ "Open n": shows a cited passage in full, as /source does.

    A press is routed by ``custom_id`` alone, so a button rebuilt from one needs no label."""

    def __init__(self, passage_id: str, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"{OPEN_PREFIX}{passage_id}"[:CUSTOM_ID_LIMIT],
            )
        )
        self.passage_id = passage_id

    @classmethod
    def make(cls, passage_id: str, rank: int, words: Messages) -> Self:
        """The button for the result at ``rank``."""
        return cls(passage_id, label=words("button.open", rank=rank))

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
        await _search(interaction).open_from_button(interaction, self.passage_id)


class MoreResultsButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"cb:more:(?P<offset>\d{1,4}):(?P<limit>\d{1,2})",
):
    """ "More results": the next page of the same ranking."""

    def __init__(self, offset: int, limit: int, words: Messages = EN) -> None:
        super().__init__(
            discord.ui.Button(
                label=words("button.more_results"),
                style=discord.ButtonStyle.primary,
                custom_id=f"cb:more:{offset}:{limit}",
            )
        )
        self.offset = offset
        self.limit = limit

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
        await _search(interaction).more_results(interaction, self.offset, self.limit)


class SourceNavButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"cb:nav:(?P<passage_id>.+)",
):
    """Previous/Next: the neighbouring passage of the same document."""

    def __init__(self, passage_id: str, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"cb:nav:{passage_id}"[:CUSTOM_ID_LIMIT],
            )
        )
        self.passage_id = passage_id

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
        await _search(interaction).navigate(interaction, self.passage_id)


SEARCH_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    OpenSourceButton,
    MoreResultsButton,
    SourceNavButton,
)


def cited_passages(message: discord.Message) -> list[str]:
    """The passage ids an answer message cites, from its "Open n" buttons."""
    found: list[str] = []
    for row in message.components:
        for child in getattr(row, "children", []):
            custom_id = getattr(child, "custom_id", None) or ""
            if custom_id.startswith(OPEN_PREFIX):
                found.append(custom_id[len(OPEN_PREFIX) :])
    return found


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"cb:vote:(?P<vote>up|down)",
):
    """👍 or 👎 under an answer: anyone who sees it may vote."""

    def __init__(self, vote: int) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote > 0 else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id="cb:vote:up" if vote > 0 else "cb:vote:down",
            ),
            row=VOTE_ROW,
        )
        self.vote = vote

    @classmethod
    def pair(cls) -> list[VoteButton]:
        """👍 and 👎, for the end of an answer's buttons."""
        return [cls(1), cls(-1)]

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a pressed ``custom_id``."""
        return cls(1 if match["vote"] == "up" else -1)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Record the vote."""
        await _loaded(_host(interaction).feedback, "feedback").vote(interaction, self.vote)


class PostPubliclyButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"cb:post:(?P<message_id>\d{1,20})",
):
    """ "Post publicly" under a private "Find in the docs" answer: the same answer, as a reply
    to the message it was found for. Only its asker sees the private answer, so only they can
    press it."""

    def __init__(self, message_id: int, words: Messages = EN) -> None:
        super().__init__(
            discord.ui.Button(
                label=words("button.post_publicly"),
                style=discord.ButtonStyle.primary,
                custom_id=f"cb:post:{message_id}",
            ),
            row=VOTE_ROW,
        )
        self.message_id = message_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a pressed ``custom_id``."""
        return cls(int(match["message_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Post the answer as a reply."""
        host = _loaded(_host(interaction).find_in_docs, "find in the docs")
        await host.post_publicly(interaction, self.message_id)


async def _owned_by(interaction: discord.Interaction[Any], owner: int) -> bool:
    """Whether the member who pressed is ``owner``; anyone else is told so, privately."""
    if interaction.user.id == owner:
        return True
    await send(interaction, notice(words_for(interaction)("notice.not_yours")), ephemeral=True)
    return False


def _moderation(interaction: discord.Interaction[Any]) -> ModerationPresses:
    return _loaded(_host(interaction).moderation, "moderation")


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"ql:(?P<direction>prev|next):(?P<action>\d{1,19}):(?P<owner>\d{1,20}):(?P<page>\d{1,6})",
):
    """◀ / ▶ on a listing: only for the moderator who ran it."""

    def __init__(
        self,
        direction: str,
        action: int,
        owner: int,
        page: int,
        disabled: bool = False,
        words: Messages = EN,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=words("button.newer" if direction == "prev" else "button.older"),
                style=discord.ButtonStyle.secondary,
                custom_id=f"ql:{direction}:{action}:{owner}:{page}",
                disabled=disabled,
            )
        )
        self.action, self.owner, self.page = action, owner, page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a pressed ``custom_id``."""
        return cls(
            match["direction"], int(match["action"]), int(match["owner"]), int(match["page"])
        )

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Only the moderator who ran the listing turns its pages."""
        return await _owned_by(interaction, self.owner)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the page."""
        await _moderation(interaction).turn_page(interaction, self.action, self.owner, self.page)


class PurgeButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"ql:purge:(?P<action>\d{1,19}):(?P<owner>\d{1,20}):(?P<choice>confirm|cancel)",
):
    """Confirm or cancel a requested purge: only for the administrator who asked for it."""

    def __init__(self, action: int, owner: int, choice: str, words: Messages = EN) -> None:
        super().__init__(
            discord.ui.Button(
                label=words("button.delete" if choice == "confirm" else "button.cancel"),
                style=discord.ButtonStyle.danger
                if choice == "confirm"
                else discord.ButtonStyle.secondary,
                custom_id=f"ql:purge:{action}:{owner}:{choice}",
            )
        )
        self.action, self.owner, self.choice = action, owner, choice

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a pressed ``custom_id``."""
        return cls(int(match["action"]), int(match["owner"]), match["choice"])

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Only the administrator who asked for the purge answers its prompt."""
        return await _owned_by(interaction, self.owner)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Carry out or drop the purge."""
        await _moderation(interaction).settle_purge(
            interaction, self.action, self.owner, self.choice
        )


def pager(action: int, owner: int, page: Page[Any], words: Messages) -> discord.ui.View | None:
    """Newer/Older buttons for a listing longer than one page."""
    if page.pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    newer, older = max(0, page.page - 1), page.page + 1
    view.add_item(PageButton("prev", action, owner, newer, not page.has_previous, words))
    view.add_item(PageButton("next", action, owner, older, not page.has_next, words))
    return view


def purge_prompt_view(request: int, owner: int, words: Messages) -> discord.ui.View:
    """ "Delete them" and "Cancel" under a purge prompt."""
    view = discord.ui.View(timeout=None)
    view.add_item(PurgeButton(request, owner, "confirm", words))
    view.add_item(PurgeButton(request, owner, "cancel", words))
    return view


MODERATION_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (PageButton, PurgeButton)
