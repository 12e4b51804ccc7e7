"""The part of a member's message that reads as the question, so a long post is searched by
what it asks rather than by its greetings, logs and thanks."""

from __future__ import annotations

import re

# A few sentences: BM25 over a whole post drifts to its noise. As /ask's limit, so the question
# fits an answer's author line, where "More results" and "Post publicly" read it back whole.
QUESTION_MAX_CHARS = 250
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")
_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_INLINE_SPACE = re.compile(r"\s+")


def sentences(text: str) -> list[str]:
    """``text`` cut after each ``.``, ``!``, ``?`` run and line break, blanks dropped."""
    found = (match.group().strip() for match in _SENTENCE.finditer(text))
    return [_INLINE_SPACE.sub(" ", sentence) for sentence in found if sentence]


def question_part(text: str, limit: int = QUESTION_MAX_CHARS) -> str:
    """The sentences ending in "?", else the first sentences, at most ``limit`` characters.

    Code blocks are left out (a pasted traceback is not the question). A first sentence
    longer than ``limit`` is cut on a word boundary.
    """
    cut = sentences(_CODE_BLOCK.sub(" ", text))
    asked = [sentence for sentence in cut if sentence.endswith("?")]
    chosen = _within(asked or cut, limit)
    return chosen or _INLINE_SPACE.sub(" ", text).strip()[:limit]


def _within(parts: list[str], limit: int) -> str:
    """As many whole ``parts`` as fit in ``limit``; the first one cut on a word if too long."""
    text = ""
    for part in parts:
        candidate = f"{text} {part}" if text else part
        if len(candidate) > limit:
            break
        text = candidate
    if not text and parts:
        head = parts[0][: limit + 1]
        text = head.rsplit(" ", 1)[0] if " " in head else head[:limit]
    return text[:limit]
