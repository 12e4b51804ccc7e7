"""What an import folder holds: one hidden JSON-lines journal, ``.corpusbot-site.jsonl``.

Its first line names the site; each later line records a page saved (its URL, file, validators
and content hash) or removed, and the last line for a URL wins. A line is appended as each page
is written, so an interrupted import keeps track of every file it wrote; the journal is rewritten
compactly at the end of a run. The corpus walk never loads hidden files."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from bot.corpus.site_import.folder import write_atomically

STATE_NAME = ".corpusbot-site.jsonl"
STATE_VERSION = 1

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SavedPage:
    """One page in the folder: where it came from, its file, and how to ask if it changed."""

    url: str
    file: str
    final_url: str
    sha256: str
    etag: str | None = None
    last_modified: str | None = None


class ForeignFolder(ValueError):
    """A folder the importer may not write to; the message says why."""


class SiteState:
    """The pages of one site's import folder, kept in its journal as they change."""

    def __init__(self, folder: Path, origin: str, pages: dict[str, SavedPage]) -> None:
        self.folder = folder
        self.origin = origin
        self.pages = pages
        self._journal: IO[str] | None = None

    @classmethod
    def open(cls, folder: Path, origin: str) -> SiteState:
        """The folder's state; a new folder, or an empty one, starts empty.

        Raises :class:`ForeignFolder` for a folder holding another site's import, or files the
        importer did not write (which a re-run could then overwrite or delete)."""
        path = folder / STATE_NAME
        if not path.exists():
            if folder.exists() and any(folder.iterdir()):
                raise ForeignFolder(
                    f"{folder} already holds files that no import made; import into a new or "
                    "empty folder (--into)"
                )
            return cls(folder, origin, {})
        lines = path.read_text(encoding="utf-8").splitlines()
        header = _json_line(lines[0]) if lines else None
        if header is None or header.get("site") is None:
            raise ForeignFolder(f"{path} is not an import journal; move it away to start afresh")
        if header["site"] != origin:
            raise ForeignFolder(f"{folder} holds an import of {header['site']}, not of {origin}")
        pages: dict[str, SavedPage] = {}
        for number, line in enumerate(lines[1:], start=2):
            record = _json_line(line)
            if record is None or not isinstance(record.get("url"), str):
                log.warning("%s line %d: unreadable, ignored", path, number)
                continue
            if record.get("removed"):
                pages.pop(str(record["url"]), None)
                continue
            page = _page_from(record)
            if page is None:
                log.warning("%s line %d: unreadable, ignored", path, number)
            else:
                pages[page.url] = page
        return cls(folder, origin, pages)

    def saved(self, page: SavedPage) -> None:
        """Record a page just written (or found unchanged with new validators)."""
        self.pages[page.url] = page
        self._append(asdict(page))

    def removed(self, url: str) -> None:
        """Record that a page's file is gone."""
        self.pages.pop(url, None)
        self._append({"url": url, "removed": True})

    def _append(self, record: dict[str, object]) -> None:
        if self._journal is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / STATE_NAME
            fresh = not path.exists()
            self._journal = path.open("a", encoding="utf-8")
            if fresh:
                self._journal.write(self._header())
        self._journal.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._journal.flush()

    def close(self) -> None:
        """Rewrite the journal with one line per page (atomically), and close it."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if not self.folder.exists():
            return
        lines = [self._header()]
        lines += [json.dumps(asdict(page), ensure_ascii=False) + "\n" for page in self._sorted()]
        write_atomically(self.folder / STATE_NAME, "".join(lines).encode("utf-8"))

    def _sorted(self) -> list[SavedPage]:
        return [self.pages[url] for url in sorted(self.pages)]

    def _header(self) -> str:
        return json.dumps({"site": self.origin, "version": STATE_VERSION}) + "\n"


def _json_line(line: str) -> dict[str, object] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _page_from(record: dict[str, object]) -> SavedPage | None:
    texts = {name: record.get(name) for name in ("url", "file", "final_url", "sha256")}
    optional = {name: record.get(name) for name in ("etag", "last_modified")}
    if not all(isinstance(value, str) for value in texts.values()) or not all(
        value is None or isinstance(value, str) for value in optional.values()
    ):
        return None
    return SavedPage(
        url=str(texts["url"]),
        file=str(texts["file"]),
        final_url=str(texts["final_url"]),
        sha256=str(texts["sha256"]),
        etag=optional["etag"] if isinstance(optional["etag"], str) else None,
        last_modified=(
            optional["last_modified"] if isinstance(optional["last_modified"], str) else None
        ),
    )
