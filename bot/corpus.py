"""Load the corpus folder into documents, repairing or skipping bad files without stopping.

Supported: ``.txt`` and ``.md`` files (recursively) and ``.jsonl`` files holding one
``{"id", "title", "text", "url"?}`` record per line, so a large corpus can be imported as one file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.text import sentence_spans, shorten

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".jsonl"})
TITLE_CHARS = 80
MAX_ID_CHARS = 80
_SNIFF_BYTES = 8192

# Whole lines of web-page furniture that must never become passages or snippets.
_BOILERPLATE_LINE = re.compile(
    r"""^\s*(?:
        comments?\s*\(\s*\d+\s*\)        # Comments(0)
      | \d+\s+comments?                  # 12 comments
      | (?:top|recent|show|view|hide|load\s+more|leave\s+a|post\s+a|add\s+a)\s+comments?
      | comments?
      | (?:share|tweet|email|print)(?:\s+(?:this|this\s+article|on\s+\w+))?
      | advertisement | sponsored(?:\s+content)?
      | (?:read|see|click\s+here\s+to\s+read)\s+more
      | related(?:\s+(?:articles|stories|posts))?
      | (?:subscribe|sign\s+up|log\s+in|sign\s+in)(?:\s+(?:now|here|to\s+\w+))?
      | (?:skip\s+to\s+(?:main\s+)?content)
    )\s*[:.!]?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
# "Title" underlined with = or - (a Setext heading).
_MD_SETEXT_HEADING = re.compile(r"^[ \t]{0,3}(\S[^\n]*?)[ \t]*\n[ \t]{0,3}(?:=+|-+)[ \t]*$", re.M)
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
# Emphasis markers that hug a word from outside: "_x_", "**x**", not "snake_case" or "2*3*4".
_MD_EMPHASIS = re.compile(r"(?<![\w\\])(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_MD_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
_MD_LINE_MARKERS = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d+[.)][ \t]+)", re.M)
_MD_RULE_OR_FENCE = re.compile(r"^[ \t]*(?:```.*|~~~.*|[-*_]{3,}[ \t]*|=+[ \t]*)$", re.MULTILINE)
# Letters and digits of any script stay in ids ("東京", "café"), with "_", ".", "/" and "-".
_ID_UNSAFE = re.compile(r"[^\w./-]+")
# A character UTF-8 encodes in two to four bytes; a file with none of these is not UTF-8 text
# with a few damaged bytes but text in a one-byte encoding.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Byte-order marks of the encodings Windows tools write besides UTF-8 (UTF-32 first: its
# little-endian mark starts with UTF-16's).
_UNICODE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


@dataclass(frozen=True, slots=True)
class Document:
    """One document of the corpus: its text is what passages are cut from."""

    id: str
    title: str
    text: str
    source: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file (or record) that could not be loaded, and why."""

    path: str
    reason: str


@dataclass(slots=True)
class CorpusLoad:
    """The documents loaded, plus what was skipped or repaired on the way."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    repaired: list[SkippedFile] = field(default_factory=list)


def load_corpus(root: Path) -> CorpusLoad:
    """Load every supported file under ``root``; one bad file never stops the load."""
    result = CorpusLoad()
    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder {root} does not exist or is not a folder")
    result.documents.extend(iter_documents(root, result))
    return result


def iter_documents(root: Path, result: CorpusLoad) -> Iterator[Document]:
    """The documents :func:`load_corpus` loads, one at a time (no more than one file's held at
    once); what is skipped or repaired goes into ``result``."""
    seen_ids: set[str] = set()
    for path in corpus_files(root):
        relative = path.relative_to(root).as_posix()
        for document in _load_file(path, relative, result):
            document = _composed(document)
            if document.id in seen_ids:
                _skip(result, relative, f"duplicate document id {document.id!r}")
                continue
            seen_ids.add(document.id)
            yield document


def _composed(document: Document) -> Document:
    """The document in Unicode NFC, so "é" typed as e + accent is the same word everywhere
    (tokens, snippet matches, ids) as the one-character "é" a member types."""
    if unicodedata.is_normalized("NFC", document.text) and unicodedata.is_normalized(
        "NFC", document.title
    ):
        return document
    return replace(
        document,
        title=unicodedata.normalize("NFC", document.title),
        text=unicodedata.normalize("NFC", document.text),
    )


def corpus_files(root: Path) -> Iterator[Path]:
    """Supported files in a stable order, hidden files and folders left out.

    Linked folders are followed (a shared folder linked into the corpus is part of it), each
    real folder once, so a link back up cannot loop. (``Path.rglob`` before Python 3.13 skips
    them silently.)
    """
    found: list[Path] = []
    visited: set[tuple[int, int]] = set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        try:
            status = os.stat(folder)
        except OSError:
            continue
        if (status.st_dev, status.st_ino) in visited:
            subfolders.clear()
            continue
        visited.add((status.st_dev, status.st_ino))
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            path = Path(folder, name)
            if name.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if path.is_file() or path.is_symlink():  # a broken link is reported, not skipped
                found.append(path)
    return iter(sorted(found))


def _skip(result: CorpusLoad, relative: str, reason: str) -> None:
    log.warning("skipped %s: %s", relative, reason)
    result.skipped.append(SkippedFile(relative, reason))


def _load_file(path: Path, relative: str, result: CorpusLoad) -> Iterator[Document]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        _skip(result, relative, f"unreadable ({error.strerror or error})")
        return
    text = _decode_marked(raw, relative, result)
    if text is None:
        if not raw.strip():
            _skip(result, relative, "empty")
            return
        if _looks_binary(raw[:_SNIFF_BYTES]):
            _skip(result, relative, "binary")
            return
        text = _decode(raw, relative, result)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        _skip(result, relative, "empty")
        return
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _jsonl_documents(text, relative, result)
        return
    doc_id = document_id(relative)
    if suffix in {".md", ".markdown"}:
        title, body = _markdown_title_and_body(text)
    else:
        title, body = None, text
    body = strip_boilerplate(body)
    if not body.strip():
        _skip(result, relative, "no text left after removing page boilerplate")
        return
    yield Document(doc_id, title or title_from_text(body, relative), body, relative)


def _looks_binary(head: bytes) -> bool:
    """NUL bytes, or mostly control characters, mean the file is not text."""
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f\v\x1b")
    return controls > max(8, len(head) // 10)


def _decode_marked(raw: bytes, relative: str, result: CorpusLoad) -> str | None:
    """Text that starts with a UTF-16 or UTF-32 byte-order mark (Notepad's "Unicode",
    PowerShell's ``>``), decoded; ``None`` for anything else."""
    for mark, encoding in _UNICODE_BOMS:
        if raw.startswith(mark):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError as error:
                text = raw.decode(encoding, errors="replace")
                reason = (
                    f"not valid {encoding.upper()} (first bad byte at {error.start}); "
                    "undecodable bytes replaced with \ufffd"
                )
                log.warning("repaired %s: %s", relative, reason)
                result.repaired.append(SkippedFile(relative, reason))
                return text
    return None


def _decode(raw: bytes, relative: str, result: CorpusLoad) -> str:
    """UTF-8; else, when no byte sequence in the file is UTF-8 at all, Windows-1252 (what
    older Windows tools and many web pages wrote: "café", “quotes”); else UTF-8 with the bad
    bytes replaced."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if not _UTF8_MULTIBYTE.search(raw):
            text = raw.decode("cp1252", errors="replace")
            reason = f"not valid UTF-8 (first bad byte at {error.start}); read as Windows-1252"
        else:
            text = raw.decode("utf-8", errors="replace")
            reason = (
                f"not valid UTF-8 (first bad byte at {error.start}); "
                f"{text.count(chr(0xFFFD))} undecodable bytes replaced with \ufffd"
            )
        log.warning("repaired %s: %s", relative, reason)
        result.repaired.append(SkippedFile(relative, reason))
        return text


def _jsonl_documents(text: str, relative: str, result: CorpusLoad) -> Iterator[Document]:
    stem = document_id(relative)
    # Only "\n" ends a record: JSON strings may hold U+2028 and the like raw, which
    # ``str.splitlines`` would also split on.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{relative}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            _skip(result, where, f"not valid JSON ({error.msg})")
            continue
        if not isinstance(record, dict):
            _skip(result, where, "not a JSON object")
            continue
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            _skip(result, where, 'no "text"')
            continue
        record_id = record.get("id", record.get("_id"))
        if record_id is None or str(record_id).strip() == "":
            record_id = str(number)
        body = strip_boilerplate(body)
        title = record.get("title")
        title = collapse_title(title) if isinstance(title, str) and title.strip() else None
        url = record.get("url") if isinstance(record.get("url"), str) else None
        doc_id = _slug(f"{stem}/{record_id}")
        yield Document(doc_id, title or title_from_text(body, where), body, where, url)


def document_id(relative: str) -> str:
    """A readable id from the file's path under the corpus folder, stable across restarts."""
    without_suffix = relative.rsplit(".", 1)[0] if "." in Path(relative).name else relative
    return _slug(without_suffix)


def _slug(value: str) -> str:
    """Safe characters only, and short enough that ``cb:open:<id>#<n>`` fits a Discord
    ``custom_id`` (100 characters): a long id keeps its start plus a hash of the whole."""
    slug = _ID_UNSAFE.sub("-", unicodedata.normalize("NFC", value.strip())).strip("-") or "doc"
    if len(slug) > MAX_ID_CHARS:
        digest = hashlib.sha1(slug.encode(), usedforsecurity=False).hexdigest()[:8]
        slug = slug[: MAX_ID_CHARS - 9].rstrip("-") + "-" + digest
    return slug


def strip_boilerplate(text: str) -> str:
    """Drop lines of web-page furniture ("Comments(0)", "Top Comments", "Share this", …)."""
    lines = text.splitlines()
    kept = [line for line in lines if not _BOILERPLATE_LINE.match(line)]
    return "\n".join(kept).strip()


def _markdown_title_and_body(text: str) -> tuple[str | None, str]:
    """Title from front matter or the first heading; body as plain prose."""
    title: str | None = None
    front = _FRONT_MATTER.match(text)
    if front:
        for line in front.group(1).splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "title" and value.strip():
                title = value.strip().strip("\"'")
        text = text[front.end() :]
    headings = [m for m in (_MD_HEADING.search(text), _MD_SETEXT_HEADING.search(text)) if m]
    if title is None and headings:
        title = min(headings, key=lambda m: m.start()).group(1)
    return (collapse_title(title) if title else None), markdown_to_text(text)


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
    previous = None
    while previous != text:  # nested: "**_both_**"
        previous, text = text, _MD_EMPHASIS.sub(r"\2", text)
    return text


def collapse_title(title: str) -> str:
    """Titles are one line and bounded."""
    return shorten(title, TITLE_CHARS)


def title_from_text(text: str, fallback: str) -> str:
    """A title from the text's first sentence, shortened; the file name only if there is none."""
    spans = sentence_spans(text)
    if not spans:
        return fallback
    first = text[spans[0].start : spans[0].end].rstrip(".!?")
    return collapse_title(first) or fallback
