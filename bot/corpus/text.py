"""Plain-text helpers shared by passage splitting and snippet selection."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import regex

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    {
        *("mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "fig"),
        *("no", "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt", "inc", "ltd", "co"),
        *("corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov"),
        *("dec", "approx", "dept", "est"),
    }
)
# A sentence ends at . ! ? (or …), optionally followed by closing quotes or brackets, then
# whitespace and something that can start a sentence: a capital of any script, a digit, a
# Latin-1 or Latin Extended letter, or a letter of a script without capitals (Arabic, Hindi,
# Chinese). Chinese and Japanese end sentences with 。！？, space or none after; Arabic asks
# with ؟, Hindi ends with । or ॥; Greek asks with ";" (its question mark, which NFC turns into
# a semicolon) before a Greek capital. A match starts only at the first mark of a run and never
# gives characters back (``++``): a try from inside a run of 100,000 dots would end where the
# try from its first dot ended, and retrying each start took minutes. Every call passes
# ``concurrent=False``: by default ``regex`` lets go of the interpreter lock while it matches
# a str, and getting it back waits out any other busy thread's switch interval (5 ms): beside
# a busy thread (a build's pool thread unpickling a result) each call can wait milliseconds.
_SENTENCE_END = regex.compile(
    r"""(?<![.!?…])[.!?…]++["'”’)\]]*+"""
    r"""(?=\s++["'“‘(\[]?[A-Z0-9\u00C0-\u024F\p{Lu}\p{Lt}\p{Lo}])"""
    r"""|(?<![。！？])[。！？]++[」』”’）)\]]*+"""
    r"""|(?<![؟।॥])[؟।॥]++["'”’)\]]*+(?=\s)"""
    r"""|;(?=\s++[\u0386-\u038F\u0391-\u03A9])"""
)
# Where a sentence end of :data:`_SENTENCE_END` may start: each of its matches starts at or after
# the start of one of these (a mark of the first, third or fourth kind, then any marks and
# closers, then whitespace; or a Chinese mark). Plain `re` and no lookaround: telling that a
# text's opening holds no sentence end takes a fraction of the time of finding where it ends.
_SENTENCE_END_CANDIDATE = re.compile(r"""[.!?…؟।॥;][.!?…؟।॥;"'”’)\]]*\s|[。！？]""")
# Every sentence end above holds at least one of these characters: a text has at most as many
# sentence ends as it has them.
SENTENCE_MARK = re.compile(r"[.!?…。！？؟।॥;]")
# Scripts written without spaces between words: their runs are counted and cut in units of about
# a word each (Chinese and Japanese words average under two characters, Thai and its neighbours'
# about five), so a Chinese chapter is not one 4,000-character "word" that no passage bound or
# snippet window can cut. Plain `re` with code point ranges: passage splitting reads every
# character of the corpus, and `re` is faster than `regex` at this.
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_SOUTHEAST_ASIAN = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
# A run of other characters with no space in it is a unit up to this long, and cut into units
# of this length beyond: no real word or web address comes near it, and a file of one "word"
# repeated a million times over without a space ("word,word,…") must still make passages of
# bounded size, which every question matching them reads.
MAX_UNIT_CHARS = 1000
WORD_UNIT = re.compile(
    rf"[{_CJK}]{{1,2}}|[{_SOUTHEAST_ASIAN}]{{1,5}}"
    rf"|[^\s{_CJK}{_SOUTHEAST_ASIAN}]{{1,{MAX_UNIT_CHARS}}}"
)
# A character of a script :data:`WORD_UNIT` cuts without spaces: a text with none has one unit per
# whitespace-separated word.
_UNSPACED = re.compile(f"[{_CJK}{_SOUTHEAST_ASIAN}]")
# UTF-8 lead bytes of the unspaced scripts' characters (U+0E00-U+0EFF, U+1000-U+1FFF,
# U+3000-U+9FFF, U+F000-U+FFFF, U+10000-U+3FFFF).
_UNSPACED_LEADS = b"\xe0\xe1\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xef\xf0"
# A byte of every whitespace character (what ``str.isspace``, ``\\s`` and ``str.split`` take for
# whitespace) and every sentence mark, in UTF-8: the ASCII ones, and the lead bytes of the others
# (U+0085 and U+00A0; "؟"; "।" and "॥"; U+1680; U+2000-U+205F and "…"; U+3000 and "。"; "！"
# and "？"), and :data:`_UNSPACED_LEADS`.
_SPACE_MARK_OR_UNSPACED_BYTES = (
    b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f .!?;\xc2\xd8\xe0\xe1\xe2\xe3\xef" + _UNSPACED_LEADS
)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# The last word before a sentence end is looked for in this many characters first, then in
# twice as many, and so on: an abbreviation is short, and a text of "Mr. A Mr. B …" has no
# sentence end, so searching from the sentence's start made each "Mr." cost the whole text.
_LAST_WORD_WINDOW = 32


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` of some text."""

    start: int
    end: int


def collapse_whitespace(text: str) -> str:
    """Fold runs of whitespace (newlines included) into single spaces, trimmed.

    ``str.split`` splits on exactly what ``\\s`` matches (tests/corpus/test_text.py checks every
    code point) and is several times faster than a regex substitution; snippets call this often.
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        # No whitespace but single inner spaces: ``isprintable`` is false for every other
        # whitespace character. Most titles and sentences, in a tenth of the time.
        return text
    return " ".join(text.split())


def is_blank(text: str | bytes) -> bool:
    """Whether ``text`` is empty or all whitespace: what ``not text.strip()`` says, without
    the copy of a whole file that ``strip`` makes when it has a newline at its end."""
    return not text or text.isspace()


def units_and_marks_exceed(text: str, limit: int) -> bool:
    """Whether ``text``'s :data:`WORD_UNIT` matches and :data:`SENTENCE_MARK` characters
    together number more than ``limit``.

    A unit is a run of characters neither whitespace nor unspaced, each but the first after a
    whitespace or unspaced character or :data:`MAX_UNIT_CHARS` into a run, or one or more
    unspaced characters: there are at most 1 + whitespace + 2 × unspaced + characters /
    :data:`MAX_UNIT_CHARS` units. Counting bytes of the UTF-8 text in C gives a bound on that
    plus the marks that settles most texts without making a string a word.
    """
    encoded = text.encode("utf-8", "surrogatepass")
    bound = len(encoded) - len(encoded.translate(None, _SPACE_MARK_OR_UNSPACED_BYTES))
    bound += len(text) // MAX_UNIT_CHARS
    if not text.isascii():
        bound += len(encoded) - len(encoded.translate(None, _UNSPACED_LEADS))
    if bound < limit:
        return False
    marks = len(SENTENCE_MARK.findall(text))
    if text.isascii() or _UNSPACED.search(text) is None:
        # Without unspaced characters a unit is a run of what ``\\s`` does not match, which is
        # what ``str.split`` splits on, cut every MAX_UNIT_CHARS.
        words = text.split()
        units = len(words)
        if max(map(len, words), default=0) > MAX_UNIT_CHARS:
            units += sum((len(word) - 1) // MAX_UNIT_CHARS for word in words)
        return units + marks > limit
    return len(WORD_UNIT.findall(text)) + marks > limit


def sentence_spans(text: str, offset: int = 0) -> list[Span]:
    """Split ``text`` into sentence spans (offsets shifted by ``offset``), whitespace trimmed.

    A blank line ends a sentence too: a heading ("Ports") stands alone above its paragraph,
    and a paragraph's last words end their sentence even without a full stop.
    """
    return list(_sentences(text, offset))


def first_sentence(text: str) -> Span | None:
    """The first of :func:`sentence_spans`, found without reading past it."""
    return next(_sentences(text, 0), None)


def first_sentence_opening(text: str, size: int) -> str | None:
    """``text[:size]`` when the first of :func:`sentence_spans`, less the ``.!?`` that close it,
    opens with its words (whitespace collapsed, the last word perhaps cut short): no paragraph
    break or possible sentence end starts in it, and the text goes on past it with more than
    ``.!?``. ``None`` when the opening is blank or that is not certain; then
    :func:`first_sentence` tells. Most texts' openings are settled so, in a fraction of the
    time the sentence splitter takes to find where their first sentence ends."""
    opening = text[:size]
    if len(text) <= size or "\n" in opening or opening.isspace():
        return None
    if text[-1] in ".!?" and len(text.rstrip(".!?")) <= size:
        return None
    # Each possible sentence end starts at a mark: the opening's few are tried one by one, where
    # searching the text for the first possible end reads on to it, often well past the opening.
    at = 0
    while (mark := SENTENCE_MARK.search(opening, at)) is not None:
        if _SENTENCE_END_CANDIDATE.match(text, mark.start()) is not None:
            return None
        at = mark.end()
    return opening


def _sentences(text: str, offset: int) -> Iterator[Span]:
    if "\n" not in text:  # one paragraph: no break to look for
        yield from _paragraph_sentences(text, offset)
        return
    start = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        yield from _paragraph_sentences(text[start : match.start()], offset + start)
        start = match.end()
    yield from _paragraph_sentences(text[start:], offset + start)


def _paragraph_sentences(text: str, offset: int) -> Iterator[Span]:
    start = 0
    for match in _SENTENCE_END.finditer(text, concurrent=False):
        end = match.end()
        token = _last_word(text, start, match.start() + 1).lower().strip("\"'“‘(").rstrip(".")
        if match.group().startswith(".") and (token in _ABBREVIATIONS or _is_initial(token)):
            continue
        span = _trimmed(text, start, end, offset)
        if span is not None:
            yield span
        start = end
    span = _trimmed(text, start, len(text), offset)
    if span is not None:
        yield span


def _last_word(text: str, start: int, end: int) -> str:
    """The last whitespace-separated word of ``text[start:end]`` (``""`` if none), read from a
    window that grows from the end only as long as the word does."""
    size = _LAST_WORD_WINDOW
    while True:
        low = max(start, end - size)
        words = text[low:end].rsplit(maxsplit=1)
        if len(words) == 2 or low == start:
            return words[-1] if words else ""
        size *= 2


def _is_initial(token: str) -> bool:
    """A single letter such as the "J" of "J. Smith" is an initial, not a sentence."""
    return len(token) == 1 and token.isalpha()


def _trimmed(text: str, start: int, end: int, offset: int) -> Span | None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return None
    lead = len(chunk) - len(chunk.lstrip())
    return Span(offset + start + lead, offset + start + lead + len(stripped))


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters on a word boundary, adding an ellipsis."""
    return cut_collapsed(collapse_whitespace(text), limit)


def cut_collapsed(text: str, limit: int) -> str:
    """:func:`shorten` of ``text`` whose whitespace is collapsed already."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"
