"""Corpus text made inert Markdown: it cannot ping anyone and cannot break the Markdown
around it. Quotes, inline code, citations and highlighted snippets are built here."""

from __future__ import annotations

import re

from bot.corpus.text import collapse_whitespace
from bot.search.snippets import URL, Snippet

_MARKDOWN_CHAR = re.compile(r"([\\*_~`|\[\]<])")
# What starts a block at the start of a line: a quote, heading or list marker ("> ", "# ",
# "- ", "1. ", "1) "). Escaping its punctuation ("1\\.") keeps it text; a backslash before a
# digit would show.
_LINE_START_MARKUP = re.compile(r"^([ \t]*)(?:([>#+-])|(\d+)([.)]))", re.MULTILINE)
_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
# "@" before a highlighted "**everyone**": each piece is inert alone, the joined text reads as
# a mass mention.
_MASS_MENTION_BEFORE_BOLD = re.compile(r"@(?=\*\*(?:everyone|here))", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"
# What a citation may link to: an http(s) address Discord takes (at most 2,048 characters), so
# a corpus URL such as ``javascript:…`` is never a link.
_LINK_TARGET = re.compile(r"https?://[^\s<>\"`{}|\\^]+", re.IGNORECASE)
LINK_LIMIT = 2048


def escape_markdown(text: str) -> str:
    """Backslash-escape Discord Markdown and neutralise mentions; URLs stay clickable."""
    return _escape_line_starts(_escape_inline(text))


def _escape_line_starts(markdown: str) -> str:
    return _LINE_START_MARKUP.sub(_escaped_marker, markdown)


def _escaped_marker(match: re.Match[str]) -> str:
    indent, symbol, number, punctuation = match.groups()
    return indent + ("\\" + symbol if symbol else number + "\\" + punctuation)


def _escape_inline(text: str) -> str:
    """:func:`escape_markdown` for text in the middle of a line."""
    pieces: list[str] = []
    last = 0
    for url in URL.finditer(text):
        pieces.append(_escape_plain(text[last : url.start()]))
        pieces.append(_inert_url(url.group()))
        last = url.end()
    pieces.append(_escape_plain(text[last:]))
    return "".join(pieces)


def _inert_url(url: str) -> str:
    """The link as quoted, with "@" before "everyone" or "here" percent-encoded: the same
    address, still clickable, and no mass mention in the text."""
    return _MASS_MENTION.sub(lambda m: "%40" + m.group(1), url)


def _escape_plain(text: str) -> str:
    # "<" is escaped too, so "<@123>", "<@&456>", "<#789>" and "</cmd:1>" are never mentions.
    text = _MARKDOWN_CHAR.sub(r"\\\1", text)
    return _MASS_MENTION.sub(lambda m: "@" + _ZERO_WIDTH_SPACE + m.group(1), text)


def snippet_markdown(snippet: Snippet) -> str:
    """The snippet as escaped Markdown with matched terms in bold."""
    # Pieces are escaped as inline text; only the body's own start is a line start.
    parts = [
        f"**{_escape_inline(text)}**" if bold else _escape_inline(text)
        for text, bold in snippet.pieces
    ]
    body = _MASS_MENTION_BEFORE_BOLD.sub("@" + _ZERO_WIDTH_SPACE, "".join(parts))
    if not snippet.cut_before:
        body = _escape_line_starts(body)
    return snippet.with_ellipses(body)


def quote(markdown: str) -> str:
    """A Markdown block quote of one (already escaped) line."""
    return "> " + markdown


def code(text: str) -> str:
    """Inline code for ids and paths, on one line; escaped text if a backtick would break out."""
    text = collapse_whitespace(text)
    return f"`{text}`" if "`" not in text and text else escape_markdown(text)


def citation(
    title: str,
    passage_id: str,
    score: float,
    *,
    section: str | None = None,
    link: str | None = None,
) -> str:
    """Where a quote came from: document title and section (a link to them when the document
    has a web address), passage id, score."""
    where = escape_markdown(title)
    if section:
        where += " › " + escape_markdown(section)
    target = link_target(link)
    if target:
        where = f"[{where}]({target})"
    return f"— {where} · {code(passage_id)} · score {score:.2f}"


def link_target(url: str | None) -> str | None:
    """``url`` fit to close a Markdown link: http(s) only, brackets percent-encoded so the link
    cannot end early, "@" before "everyone"/"here" encoded; ``None`` for anything else."""
    if not url or len(url) > LINK_LIMIT or not _LINK_TARGET.fullmatch(url):
        return None
    return _inert_url(url.replace("(", "%28").replace(")", "%29"))
