"""Markdown files: the title from front matter or the first heading, the language from front
matter, the body as plain prose."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.corpus.documents import CorpusLoad, Document, collapse_title
from bot.corpus.languages import language_code, not_a_language
from bot.corpus.plain_text import document_from_body

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
# Every pattern below runs on text anyone who can add a file wrote, so each must take time in
# proportion to the text: no scan that can restart at each of many positions and run to the
# end of the line (a class that stops at the next opening mark, or a bound on the length),
# and no two adjacent runs that can split the same characters between them.
# The heading's text; its closing #s and spaces are trimmed after the match (_atx_title).
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+)$", re.MULTILINE)
_ATX_CLOSING = " \t#"
# "Title" underlined with = or - (a Setext heading).
_MD_SETEXT_HEADING = re.compile(
    r"^[ \t]{0,3}(\S(?:[^\n]*\S)?)[ \t]*\n[ \t]{0,3}(?:=+|-+)[ \t]*$", re.M
)
_MD_IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^)\[\]]*\)")
_MD_LINK = re.compile(r"\[([^\[\]]+)\]\([^)\[\]]*\)")
_MD_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]*>")
# Emphasis markers that hug a word from outside: "_x_", "**x**", not "snake_case" or "2*3*4".
# At most _MD_SPAN_CHARS between them, and _MD_EMPHASIS_DEPTH levels of nesting ("**_x_**").
_MD_SPAN_CHARS = 200
_MD_EMPHASIS_DEPTH = 3
_MD_EMPHASIS = re.compile(
    rf"(?<![\w\\])(\*\*|__|\*|_|~~)(?=\S)(.{{1,{_MD_SPAN_CHARS}}}?)(?<=\S)\1(?!\w)"
)
# A code span opens with a whole run of backticks, as CommonMark has it ("``a`" is no span).
_MD_CODE_SPAN = re.compile(rf"(?<!`)(`++)(.{{1,{_MD_SPAN_CHARS}}}?)(?<!`)\1(?!`)")
_MD_LINE_MARKERS = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d+[.)][ \t]+)", re.M)
_MD_RULE_OR_FENCE = re.compile(r"^[ \t]*(?:```.*|~~~.*|[-*_]{3,}[ \t]*|=+[ \t]*)$", re.MULTILINE)


def documents(text: str, relative: str, result: CorpusLoad) -> Iterator[Document]:
    """The one document of a Markdown file."""
    declared = front_matter(text).get("lang")
    language = language_code(declared)
    if declared and language is None:
        result.repair(relative, not_a_language(declared))
    title, body = title_and_body(text)
    yield from document_from_body(relative, title, body, result, language)


def front_matter(text: str) -> dict[str, str]:
    """The ``key: value`` lines of the front matter (keys lower-cased, quotes taken off)."""
    front = _FRONT_MATTER.match(text)
    fields: dict[str, str] = {}
    for line in front.group(1).splitlines() if front else ():
        key, _, value = line.partition(":")
        if value.strip():
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields


def title_and_body(text: str) -> tuple[str | None, str]:
    """Title from front matter or the first heading; body as plain prose."""
    title = front_matter(text).get("title")
    front = _FRONT_MATTER.match(text)
    if front:
        text = text[front.end() :]
    headings = [m for m in (_MD_HEADING.search(text), _MD_SETEXT_HEADING.search(text)) if m]
    if title is None and headings:
        first = min(headings, key=lambda m: m.start())
        title = _atx_title(first.group(1)) if first.re is _MD_HEADING else first.group(1)
    return (collapse_title(title) if title else None), markdown_to_text(text)


def _atx_title(text: str) -> str:
    """A ``# heading``'s text without its closing #s and spaces (one character at least)."""
    return text.rstrip(_ATX_CLOSING) or text[:1]


def markdown_to_text(text: str) -> str:
    """Reduce Markdown to the prose a reader sees; quoted snippets re-escape it anyway."""
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_HTML_TAG.sub("", text)
    text = _MD_RULE_OR_FENCE.sub("", text)
    text = _MD_LINE_MARKERS.sub("", text)
    pieces: list[str] = []
    last = 0
    for span in _MD_CODE_SPAN.finditer(text):  # code is kept as written, backticks dropped
        pieces += [_without_emphasis(text[last : span.start()]), span.group(2)]
        last = span.end()
    pieces.append(_without_emphasis(text[last:]))
    return "".join(pieces)


def _without_emphasis(text: str) -> str:
    for _ in range(_MD_EMPHASIS_DEPTH):  # nested: "**_both_**"
        text, changed = _MD_EMPHASIS.subn(r"\2", text)
        if not changed:
            break
    return text
