"""How fast each corpus format loads: the same texts written as .txt, .md, .jsonl, .html (the
MkDocs page of tests/data/formats around them) and .docx (python-docx), each folder loaded
with ``load_corpus`` and timed. Prints one Markdown row a format; timings are never asserted.

    .venv/bin/python -m bench.formats --files 200 --repeat 3

Texts: SciFact abstracts from ``tests/data/scifact-slice`` (392), each file four of them under
headings, so a file is about 1,000 words and has sections to find.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.corpus import load_corpus

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PAGE = DATA / "formats" / "install.html"
ABSTRACTS_PER_FILE = 4
FORMATS = ("txt", "md", "jsonl", "html", "docx")
# One file's parts: a title and (heading, text) pairs.
Parts = tuple[str, list[tuple[str, str]]]


def main(argv: Sequence[str] | None = None) -> int:
    """Write every format's folder, load each ``--repeat`` times, print the best run."""
    parser = argparse.ArgumentParser(prog="python -m bench.formats", description=__doc__)
    parser.add_argument("--files", type=int, default=200, help="files a format")
    parser.add_argument("--repeat", type=int, default=3, help="loads a format; the best counts")
    parser.add_argument("--work", type=Path, default=Path("/tmp/corpusbot-formats"))
    args = parser.parse_args(argv)
    files = _file_parts(args.files)
    print("| format | files | MB on disk | documents | load s | files/s | MB/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in FORMATS:
        folder = args.work / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _WRITERS[name](folder, files)
        print(_row(name, folder, args.repeat), flush=True)
    return 0


def _row(name: str, folder: Path, repeat: int) -> str:
    size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    best = float("inf")
    documents = 0
    files = sum(1 for _ in folder.iterdir())
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        load = load_corpus(folder)
        best = min(best, time.perf_counter() - started)
        documents = len(load.documents)
        assert not load.skipped, load.skipped
    return (
        f"| {name} | {files:,} | {size_mb:.2f} | {documents:,} | {best:.2f} | "
        f"{files / best:,.0f} | {size_mb / best:.2f} |"
    )


def _file_parts(count: int) -> list[Parts]:
    with gzip.open(DATA / "scifact-slice" / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    records = [r for r in records if r["text"].strip() and r["title"].strip()]
    parts: list[Parts] = []
    for number in range(count):
        chosen = [records[(number * ABSTRACTS_PER_FILE + i) % len(records)] for i in range(4)]
        sections = [(r["title"].rstrip("."), r["text"]) for r in chosen]
        parts.append((f"Notes {number}: {sections[0][0]}", sections))
    return parts


def _write_txt(folder: Path, files: list[Parts]) -> None:
    for number, (title, sections) in enumerate(files):
        body = "\n\n".join(f"{heading}\n\n{text}" for heading, text in sections)
        (folder / f"notes{number}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")


def _write_md(folder: Path, files: list[Parts]) -> None:
    for number, (title, sections) in enumerate(files):
        body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in sections)
        (folder / f"notes{number}.md").write_text(f"# {title}\n\n{body}\n", encoding="utf-8")


def _write_jsonl(folder: Path, files: list[Parts]) -> None:
    for number, (title, sections) in enumerate(files):
        text = "\n\n".join(f"{heading}\n\n{body}" for heading, body in sections)
        record = {"id": str(number), "title": title, "text": text}
        (folder / f"notes{number}.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")


def _write_html(folder: Path, files: list[Parts]) -> None:
    template = PAGE.read_text(encoding="utf-8")
    start = template.index('<h1 id="installation">')
    end = template.index("</p>", template.index('<h2 id="windows">')) + len("</p>")
    for number, (title, sections) in enumerate(files):
        content = f'<h1 id="notes-{number}">{html.escape(title)}</h1>\n' + "\n".join(
            f'<h2 id="part-{part}">{html.escape(heading)}</h2>\n<p>{html.escape(text)}</p>'
            for part, (heading, text) in enumerate(sections)
        )
        page = template[:start] + content + template[end:]
        (folder / f"notes{number}.html").write_text(page, encoding="utf-8")


def _write_docx(folder: Path, files: list[Parts]) -> None:
    import docx

    for number, (title, sections) in enumerate(files):
        document = docx.Document()
        document.core_properties.title = title
        document.add_heading(title, level=0)
        for heading, text in sections:
            document.add_heading(heading, level=1)
            document.add_paragraph(text)
        document.save(str(folder / f"notes{number}.docx"))


_WRITERS: dict[str, Callable[[Path, list[Parts]], None]] = {
    "txt": _write_txt,
    "md": _write_md,
    "jsonl": _write_jsonl,
    "html": _write_html,
    "docx": _write_docx,
}


if __name__ == "__main__":
    raise SystemExit(main())
