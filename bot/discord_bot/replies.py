"""Build the messages members see, within Discord's length limits.

The text is the same the CLI prints (``bot.present``); this module only lays it out in embeds
and budgets it: 4096 characters an embed description, 256 a title or author, 2048 a footer, 6000
an embed. Whole results are dropped before anything is cut, and a cut falls on a word boundary
of the plain text *before* escaping, so it can never split a Markdown token.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.corpus.text import shorten
from bot.discord_bot.respond import Reply, notice
from bot.discord_bot.style import (
    COLOUR,
    DESCRIPTION_LIMIT,
    FIELD_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
    URL_LIMIT,
)
from bot.discord_bot.views import (
    MoreResultsButton,
    OpenSourceButton,
    SourceNavButton,
    VoteButton,
)
from bot.i18n.catalog import Messages, in_every_language
from bot.present.answers import hit_block, no_results_message
from bot.present.markdown import code, escape_markdown, quote
from bot.search.service import SearchResponse, SourceView

# What Discord takes as an embed's link: http(s), nothing it would call malformed.
_LINKABLE = re.compile(r"https?://[^\s<>\"`{}|\\^]+")
# Longest first, so no language's prefix is mistaken for the start of another's.
QUESTION_PREFIXES = sorted(in_every_language("answer.question_prefix"), key=len, reverse=True)


def fit_blocks(blocks: list[str], limit: int, separator: str = "\n\n") -> str:
    """As many whole blocks as fit in ``limit`` characters (at least part of the first)."""
    text = ""
    for block in blocks:
        candidate = block if not text else text + separator + block
        if len(candidate) > limit:
            break
        text = candidate
    if not text and blocks:
        return fit_escaped(blocks[0], limit, escape=False)
    return text


def fit_escaped(plain: str, limit: int, *, escape: bool = True) -> str:
    """``plain`` escaped for Markdown, shortened on a word boundary until it fits ``limit``."""
    render = escape_markdown if escape else (lambda text: text)
    text = render(plain)
    cut = len(plain)
    while len(text) > limit and cut > 1:
        cut = min(cut - 1, int(cut * limit / len(text)))
        text = render(shorten(plain, max(cut, 1)))
    return text


def linkable(url: str | None) -> str | None:
    """``url`` if Discord would accept it as an embed link, else ``None``: a corpus record's
    URL with a space in it, or over 2,048 characters, would make Discord refuse the whole
    message (it is still shown, as text, in the Source field)."""
    if url and len(url) <= URL_LIMIT and _LINKABLE.fullmatch(url):
        return url
    return None


def question_of(message: discord.Message | None) -> str | None:
    """The question an answer message was for: kept verbatim in its embed's author line,
    after the prefix of whichever language the answer was written in."""
    if message is None or not message.embeds:
        return None
    name = message.embeds[0].author.name or ""
    for prefix in QUESTION_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return None


def answer(response: SearchResponse, limit: int, words: Messages) -> Reply:
    """The reply to /ask (or a further page): quoted snippets with citations, and buttons."""
    embed = discord.Embed(colour=COLOUR)
    # The author line is plain text (no Markdown, never a ping), so the question is kept
    # verbatim there; "More results" reads it back, which keeps the buttons stateless.
    embed.set_author(name=(words("answer.question_prefix") + response.query)[:TITLE_LIMIT])
    quoted = words("footer.quoted")
    if not response.hits:
        embed.description = fit_escaped(
            no_results_message(response, words), DESCRIPTION_LIMIT, escape=False
        )
        embed.set_footer(text=quoted)
        return Reply([embed])
    embed.description = fit_blocks([hit_block(hit) for hit in response.hits], DESCRIPTION_LIMIT)
    first = response.offset + 1
    last = response.offset + len(response.hits)
    total = response.total_matches
    if first == last:
        shown = words("footer.result", first=first, total=total)
    else:
        shown = words("footer.results", first=first, last=last, total=total)
    embed.set_footer(text=f"{shown} {quoted}")
    items: list[discord.ui.Item[Any]] = [
        OpenSourceButton.make(hit.passage.id, hit.rank, words) for hit in response.hits
    ]
    if response.has_more:
        items.append(MoreResultsButton(last, limit, words))
    items.extend(VoteButton.pair())  # on their own row, or beside "More results"
    return Reply([embed], items=items)


def forum_answer(response: SearchResponse, limit: int, words: Messages) -> Reply:
    """The answer to a help-forum post: as /ask's, and a line on how to ask again."""
    reply = answer(response, limit, words)
    embed = reply.embeds[0]
    footer = f"{embed.footer.text or ''} {words('footer.ask_again')}".strip()
    embed.set_footer(text=footer[:FOOTER_LIMIT])
    return reply


def with_item(reply: Reply, item: discord.ui.Item[Any]) -> Reply:
    """``reply`` with one more button (after its own)."""
    if reply.view is None:
        reply.view = discord.ui.View(timeout=None)
    reply.view.add_item(item)
    return reply


def source(view: SourceView, words: Messages) -> Reply:
    """The reply to /source and "Open": a passage in full, where it is from, and neighbours."""
    passage = view.passage
    document = passage.document
    paragraphs = [" ".join(part.split()) for part in passage.text.split("\n\n")]
    body = "\n".join(quote(escape_markdown(p)) for p in paragraphs if p)
    if len(body) > DESCRIPTION_LIMIT:
        body = quote(fit_escaped(" ".join(paragraphs), DESCRIPTION_LIMIT - 2))
    embed = discord.Embed(
        title=fit_escaped(document.title, TITLE_LIMIT),
        description=body,
        colour=COLOUR,
        url=linkable(passage.link),
    )
    position = words("source.position", position=view.position, count=view.count)
    embed.add_field(name=words("field.passage"), value=position, inline=True)
    embed.add_field(name=words("field.id"), value=f"`{passage.id}`"[:FIELD_LIMIT], inline=True)
    section = passage.section
    if section:
        label = fit_escaped(section.label, FIELD_LIMIT)
        embed.add_field(name=words("field.section"), value=label, inline=False)
    where = passage.link or document.source
    shown = code(where)  # escaped text instead when it holds a backtick: up to twice as long
    if len(shown) > FIELD_LIMIT:
        shown = fit_escaped(where, FIELD_LIMIT)
    embed.add_field(name=words("field.source"), value=shown, inline=False)
    embed.set_footer(text=words("footer.quoted"))
    items: list[discord.ui.Item[Any]] = []
    if view.previous:
        items.append(SourceNavButton(view.previous.id, words("button.previous")))
    if view.next:
        items.append(SourceNavButton(view.next.id, words("button.next")))
    return Reply([embed], items=items)


def unknown_source(source_id: str, closest: list[str], words: Messages) -> Reply:
    """The reply for an id that names no passage or document."""
    text = words("source.unknown", id=code(shorten(source_id, 200)))
    if closest:
        ids = words("answer.word_separator").join(f"`{pid}`" for pid in closest)
        text += "\n" + words("source.closest", ids=ids)
    return notice(text)
