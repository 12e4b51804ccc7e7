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
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from bot.corpus.text import sentence_spans, shorten

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".jsonl"})
TITLE_CHARS = 80
MAX_ID_CHARS = 80
_SNIFF_BYTES = 8192
# A file is read whole and decoded (two to five times its size in memory while it loads), so
# one file may hold no more than this; the default fits a JSONL import of 100k records.
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
# Bad JSONL lines listed one by one; past this a file's further bad lines are only counted, so
# a hostile file cannot flood the log or the skipped list.
MAX_BAD_LINES_LISTED = 5
# A JSON string may hold half of a surrogate pair (written "\ud800"), which UTF-8 cannot encode.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

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
    )\s*(?:[:.!]\s*)?$""",  # not \s*[:.!]?\s*: two runs of spaces retried each other's splits
    re.IGNORECASE | re.VERBOSE,
)
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


@dataclass(frozen=True, slots=True)
class FileRules:
    """Which files under the corpus folder may be read, and how much of each."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    # Off: a link is followed only when its target stays inside the corpus folder, so nobody
    # who can add a file to the corpus can make the bot quote its .env, /etc or a device.
    follow_external_links: bool = False


@dataclass(frozen=True, slots=True)
class CorpusFile:
    """A file the walk accepted: ``path`` as reached from the corpus folder, ``identity`` the
    (device, inode) it had then, which the opened file must still have, and the bounds the
    opened file must be within (the real corpus folder, and whether links may leave it)."""

    path: Path
    relative: str
    identity: tuple[int, int]
    real_root: str
    follow_external_links: bool


@dataclass(slots=True)
class CorpusListing:
    """The files a load reads, in a stable order, and the entries the walk refused."""

    files: list[CorpusFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


class Refused(Exception):
    """A file (or JSONL record) that is not loaded, and the reason a user reads."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_corpus(root: Path, rules: FileRules = FileRules()) -> CorpusLoad:
    """Load every supported file under ``root``; one bad file never stops the load."""
    result = CorpusLoad()
    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder {root} does not exist or is not a folder")
    result.documents.extend(iter_documents(root, result, rules))
    return result


def iter_documents(
    root: Path, result: CorpusLoad, rules: FileRules = FileRules()
) -> Iterator[Document]:
    """The documents :func:`load_corpus` loads, one at a time (no more than one file's held at
    once); what is skipped or repaired goes into ``result``."""
    listing = list_corpus(root, rules)
    for refused in listing.skipped:
        _skip(result, refused.path, refused.reason)
    seen_ids: set[str] = set()
    for file in listing.files:
        try:
            for document in _load_file(file, rules, result):
                document = _composed(document)
                if document.id in seen_ids:
                    _skip(result, file.relative, f"duplicate document id {document.id!r}")
                    continue
                seen_ids.add(document.id)
                yield document
        except Exception as error:  # a loader bug costs this file, never the whole corpus
            log.debug("loading %s failed", file.relative, exc_info=error)
            _skip(result, file.relative, f"could not be loaded ({type(error).__name__})")


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


def list_corpus(root: Path, rules: FileRules = FileRules()) -> CorpusListing:
    """The supported files under ``root`` and what was refused: the one walk every reader of
    the corpus folder uses (the load, the cache key, the size estimate).

    Hidden files and folders are left out. A link is followed only to a target inside the
    corpus folder (or anywhere with ``rules.follow_external_links``), never to a hidden one, and
    each real file or folder is taken once: the folders themselves first, then the links, so a
    link to a folder already in the corpus (or back up, a loop) adds nothing.
    """
    return _CorpusWalk(root, rules).run()


class _CorpusWalk:
    """State of one :func:`list_corpus` walk."""

    def __init__(self, root: Path, rules: FileRules) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.rules = rules
        self.listing = CorpusListing()
        self.taken: set[tuple[int, int]] = set()
        self.folders: list[tuple[Path, str]] = []
        self.links: list[tuple[Path, str]] = []

    def run(self) -> CorpusListing:
        try:
            self._take(self.root, "", os.stat(self.root))
        except OSError as error:
            self._refuse(".", _unreadable(error))
        while self.folders or self.links:
            while self.folders:
                self._list_folder(*self.folders.pop())
            if self.links:
                self._follow_link(*self.links.pop(0))
        self.listing.files.sort(key=lambda file: file.path)
        return self.listing

    def _refuse(self, relative: str, reason: str) -> None:
        self.listing.skipped.append(SkippedFile(relative, reason))

    def _list_folder(self, folder: Path, relative: str) -> None:
        try:
            with os.scandir(folder) as entries:
                found = sorted(entries, key=lambda entry: entry.name)
        except OSError as error:
            self._refuse(relative or ".", f"folder {_unreadable(error)}")
            return
        for entry in found:
            if entry.name.startswith("."):
                continue
            entry_relative = f"{relative}/{entry.name}" if relative else entry.name
            if entry.is_symlink():
                self.links.append((Path(entry.path), entry_relative))
                continue
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError as error:
                self._refuse(entry_relative, _unreadable(error))
                continue
            self._take(Path(entry.path), entry_relative, status)

    def _follow_link(self, link: Path, relative: str) -> None:
        try:
            status = os.stat(link)
        except OSError as error:  # broken, or a loop of links
            if _is_supported(relative):
                self._refuse(relative, _unreadable(error))
            return
        if not stat.S_ISDIR(status.st_mode) and not _is_supported(relative):
            return
        target = os.path.realpath(link)
        refusal = _refusal(target, self.real_root, self.rules.follow_external_links)
        if refusal:
            self._refuse(relative, refusal)
        else:
            self._take(link, relative, status)

    def _take(self, path: Path, relative: str, status: os.stat_result) -> None:
        identity = (status.st_dev, status.st_ino)
        if stat.S_ISDIR(status.st_mode):
            if identity not in self.taken:
                self.taken.add(identity)
                self.folders.append((path, relative))
        elif _is_supported(relative) and identity not in self.taken:
            self.taken.add(identity)
            external = self.rules.follow_external_links
            self.listing.files.append(
                CorpusFile(path, relative, identity, self.real_root, external)
            )


def _refusal(target: str, real_root: str, follow_external_links: bool) -> str | None:
    """Why the real path ``target`` may not be read from the corpus at ``real_root``, if so."""
    inside = os.path.commonpath([real_root, target]) == real_root
    shown = os.path.relpath(target, real_root) if inside else target
    if any(part.startswith(".") and part not in {".", ".."} for part in Path(shown).parts):
        return "links to a hidden file or folder"
    if not inside and not follow_external_links:
        return "links outside the corpus folder (CORPUS_FOLLOW_EXTERNAL_LINKS is off)"
    return None


def _opened_location(descriptor: int) -> str | None:
    """Where an opened file really is (Linux's /proc), or ``None`` where that cannot be told.

    Links and folders can be switched between any check on a path and the open that follows,
    so the path the kernel actually opened is what is checked last."""
    try:
        location = os.readlink(f"/proc/self/fd/{descriptor}")
    except OSError:
        return None
    return location if location.startswith("/") else None  # "pipe:[…]" and the like


def _is_supported(relative: str) -> bool:
    return Path(relative).suffix.lower() in SUPPORTED_SUFFIXES


def _unreadable(error: OSError) -> str:
    return f"unreadable ({error.strerror or error})"


def _skip(result: CorpusLoad, relative: str, reason: str) -> None:
    log.warning("skipped %s: %s", relative, reason)
    result.skipped.append(SkippedFile(relative, reason))


def read_corpus_file(file: CorpusFile, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, checked on the opened file itself
    (a FIFO, a device or a file swapped since the walk is refused, never read)."""
    # O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one forever.
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        descriptor = os.open(file.path, flags)
    except OSError as error:
        raise Refused(_unreadable(error)) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise Refused(f"not a regular file ({_file_kind(status.st_mode)})")
        if (status.st_dev, status.st_ino) != file.identity:
            raise Refused("replaced while the corpus was loading; the next reload reads it")
        location = _opened_location(descriptor)
        refusal = location and _refusal(location, file.real_root, file.follow_external_links)
        if refusal:
            raise Refused(refusal)
        if status.st_size > max_bytes:
            raise Refused(_too_large(status.st_size, max_bytes))
        with open(descriptor, "rb", closefd=False) as stream:
            raw = _read_at_most(stream, status.st_size, max_bytes + 1)
    except OSError as error:
        raise Refused(_unreadable(error)) from None
    finally:
        os.close(descriptor)
    if len(raw) > max_bytes:  # it grew while being read
        raise Refused(_too_large(len(raw), max_bytes, grew=True))
    return raw


def _read_at_most(stream: IO[bytes], expected: int, limit: int) -> bytes:
    """Up to ``limit`` bytes: the ``expected`` size (plus one byte, to notice growth) in one
    buffer, and more only when the file is longer than it said (it grew, or it is a kernel
    file that reports size 0)."""
    first = stream.read(min(expected + 1, limit))
    if len(first) <= expected:
        return first
    parts, total = [first], len(first)
    while total < limit:
        more = stream.read(min(1 << 20, limit - total))
        if not more:
            break
        parts.append(more)
        total += len(more)
    return b"".join(parts)


def _too_large(size: int, max_bytes: int, grew: bool = False) -> str:
    now = "grew past" if grew else f"{size:,} bytes, over"
    return f"too large ({now} MAX_FILE_BYTES={max_bytes:,})"


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a file"


def _load_file(file: CorpusFile, rules: FileRules, result: CorpusLoad) -> Iterator[Document]:
    relative = file.relative
    try:
        raw = read_corpus_file(file, rules.max_file_bytes)
    except Refused as refused:
        _skip(result, relative, refused.reason)
        return
    text = _decode_marked(raw, relative, result)
    suffix = Path(relative).suffix.lower()
    if text is None:
        if not raw.strip():
            _skip(result, relative, "empty")
            return
        # JSONL is judged line by line: a NUL in one record costs that record, not the file.
        if suffix != ".jsonl" and _looks_binary(raw[:_SNIFF_BYTES]):
            _skip(result, relative, "binary")
            return
        text = _decode(raw, relative, result)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        _skip(result, relative, "empty")
        return
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
    """One document per good line; each bad line is its own warning, the rest load."""
    stem = document_id(relative)
    bad_lines = 0
    # Only "\n" ends a record: JSON strings may hold U+2028 and the like raw, which
    # ``str.splitlines`` would also split on.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{relative}:{number}"
        try:
            yield _jsonl_record(line, number, stem, where)
        except Refused as bad:
            bad_lines += 1
            if bad_lines <= MAX_BAD_LINES_LISTED:
                _skip(result, where, bad.reason)
    if bad_lines > MAX_BAD_LINES_LISTED:
        unlisted = bad_lines - MAX_BAD_LINES_LISTED
        _skip(result, relative, f"{unlisted:,} more bad lines, not listed one by one")


def _jsonl_record(line: str, number: int, stem: str, where: str) -> Document:
    """The document one JSONL line holds; :class:`Refused` says why a line holds none."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise Refused(f"not valid JSON ({error.msg})") from None
    except ValueError:  # an integer of more digits than Python converts
        raise Refused("not valid JSON (a number too long)") from None
    except RecursionError:
        raise Refused("not valid JSON (nested too deeply)") from None
    if not isinstance(record, dict):
        raise Refused("not a JSON object")
    body = record.get("text")
    if not isinstance(body, str) or not body.strip():
        raise Refused('no "text"')
    record_id = record.get("id", record.get("_id"))
    if record_id is None or (isinstance(record_id, str) and not record_id.strip()):
        record_id = number
    if isinstance(record_id, bool) or not isinstance(record_id, str | int | float):
        raise Refused('"id" is not a string or a number')
    body = strip_boilerplate(_valid_unicode(body))
    title = record.get("title")
    title = collapse_title(_valid_unicode(title)) if isinstance(title, str) else None
    url = record.get("url")
    url = _valid_unicode(url) if isinstance(url, str) else None
    doc_id = _slug(f"{stem}/{_valid_unicode(str(record_id))}")
    return Document(doc_id, title or title_from_text(body, where), body, where, url)


def _valid_unicode(value: str) -> str:
    """``value`` with any lone surrogate replaced by U+FFFD, so it can be stored as UTF-8."""
    return _LONE_SURROGATE.sub("\ufffd", value)


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
