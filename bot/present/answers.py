"""Search results as the Markdown members read: the one place a hit becomes a quote with its
citation, for the command line and Discord alike."""

from __future__ import annotations

import re

from bot.corpus.text import collapse_whitespace
from bot.i18n.catalog import EN, Messages
from bot.present.markdown import citation, code, escape_markdown, quote, snippet_markdown
from bot.search.service import SearchHit, SearchResponse, SourceView


def hit_quote(hit: SearchHit) -> str:
    """The hit's snippet as a Markdown quote line, exactly as a member reads it."""
    return quote(snippet_markdown(hit.snippet))


def hit_citation(hit: SearchHit) -> str:
    """Title and section (linked to the page's section when it has an address), passage id
    and score, escaped."""
    passage = hit.passage
    section = passage.section
    return citation(
        passage.title,
        passage.id,
        hit.score,
        section=section.label if section else None,
        link=passage.link,
    )


def hit_block(hit: SearchHit) -> str:
    """One result: its quote, then its citation."""
    return f"{hit_quote(hit)}\n{hit_citation(hit)}"


def render_response(response: SearchResponse) -> str:
    """The whole answer as Markdown: what the CLI prints and the bot's text shows."""
    if not response.hits:
        return no_results_message(response)
    return "\n\n".join(hit_block(hit) for hit in response.hits)


def no_results_message(response: SearchResponse, words: Messages = EN) -> str:
    """A helpful reply when nothing matched: what was missing and what to try, in the
    language of ``words`` (the missing words themselves as typed)."""
    if not response.terms:
        return words("answer.no_searchable_words")
    lines = [words("answer.nothing_found")]
    if response.unknown_words:
        missing = words("answer.word_separator").join(
            words("answer.quoted_word", word=escape_markdown(word))
            for word in response.unknown_words[:10]
        )
        lines.append(words("answer.never_mentions", words=missing))
    lines.append(words("answer.try_rephrasing"))
    return "\n".join(lines)


def render_source(view: SourceView, words: Messages = EN) -> str:
    """A passage in full with its document metadata, as Markdown."""
    passage = view.passage
    document = passage.document
    where = passage.link or document.source
    position = words("source.passage_position", position=view.position, count=view.count)
    section = passage.section
    shown_section = (
        words("source.section", label=escape_markdown(section.label)) + "\n" if section else ""
    )
    header = (
        f"**{escape_markdown(document.title)}** · {code(passage.id)} · {position}\n"
        f"{shown_section}{code(where)}"
    )
    body = "\n".join(quote(escape_markdown(line)) for line in _paragraph_lines(passage.text))
    links = []
    if view.previous:
        links.append(words("source.previous", id=code(view.previous.id)))
    if view.next:
        links.append(words("source.next", id=code(view.next.id)))
    return header + "\n" + body + ("\n" + " · ".join(links) if links else "")


def _paragraph_lines(text: str) -> list[str]:
    """One line a paragraph, so a quote keeps the passage's paragraphs."""
    return [
        collapsed for part in re.split(r"\n\s*\n", text) if (collapsed := collapse_whitespace(part))
    ]
