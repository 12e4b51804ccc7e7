"""How fast each corpus format loads: the same texts written as .txt, .md, .jsonl, .html (the
MkDocs page of tests/data/formats around them), .docx (python-docx) and .pdf (fpdf2), each
folder loaded with ``load_corpus`` and timed. Prints one Markdown row a format; timings are
never asserted. Then one long PDF (``--pdf-pages``) is loaded in a process of its own, and its
time and peak memory printed.

    .venv/bin/python -m bench.formats --files 200 --repeat 3 --pdf-pages 500

Texts: SciFact abstracts from ``tests/data/scifact-slice`` (392), each file four of them under
headings, so a file is about 1,000 words and has sections to find.
"""

from __future__ import annotations

import argparse
import gzip
import html
import itertools
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.corpus import load_corpus

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PAGE = DATA / "formats" / "install.html"
ABSTRACTS_PER_FILE = 4
FORMATS = ("txt", "md", "jsonl", "html", "docx", "pdf")
# One file's parts: a title and (heading, text) pairs.
Parts = tuple[str, list[tuple[str, str]]]


def main(argv: Sequence[str] | None = None) -> int:
    """Write every format's folder, load each ``--repeat`` times, print the best run."""
    parser = argparse.ArgumentParser(prog="python -m bench.formats", description=__doc__)
    parser.add_argument("--files", type=int, default=200, help="files a format")
    parser.add_argument("--repeat", type=int, default=3, help="loads a format; the best counts")
    parser.add_argument("--work", type=Path, default=Path("/tmp/corpusbot-formats"))
    parser.add_argument("--pdf-pages", type=int, default=500, help="pages of the long PDF; 0: none")
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
    if args.pdf_pages > 0:
        _long_pdf(args.work / "long-pdf", args.pdf_pages)
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


def _write_pdf(folder: Path, files: list[Parts]) -> None:
    for number, (title, sections) in enumerate(files):
        _pdf(title, sections).output(str(folder / f"notes{number}.pdf"))


def _pdf(title: str, sections: list[tuple[str, str]], min_pages: int = 0) -> Any:
    """A PDF of ``sections`` flowing over as many pages as they take (repeated until it has
    ``min_pages``), with a running header and page numbers, as a report tool writes one."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "I", 8)
            self.cell(0, 6, "Collected abstracts - corpusbot benchmark", align="C")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "I", 8)
            self.cell(0, 6, f"Page {self.page_no()}", align="C")

    pdf = Report()
    pdf.set_title(title)
    pdf.add_page()
    for heading, text in itertools.cycle(sections) if min_pages else sections:
        if min_pages and pdf.page_no() >= min_pages:
            break
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 6, _latin1(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return pdf


def _latin1(text: str) -> str:
    """The text as the PDF core fonts can show it (they cover Latin-1 only)."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _long_pdf(folder: Path, pages: int) -> None:
    """Write one PDF of ``pages`` pages, load it in a process of its own, print a row."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    sections = [section for _, file_sections in _file_parts(98) for section in file_sections]
    pdf = _pdf("A long report", sections, pages)
    pdf.output(str(folder / "report.pdf"))
    size_mb = (folder / "report.pdf").stat().st_size / 2**20
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, str(folder)], capture_output=True, text=True, check=True
    )
    print()
    print("| long PDF | pages | MB on disk | text MB | load s | RSS before MB | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| report.pdf | {pdf.page_no():,} | {size_mb:.2f} | {probe.stdout.strip()} |")


# Run in a process of its own, so its peak resident size (VmHWM) is the load's alone.
_PROBE = """
import sys, time
from pathlib import Path
from bot.corpus import load_corpus
import pypdf

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

before = status("VmRSS:")
started = time.perf_counter()
load = load_corpus(Path(sys.argv[1]))
seconds = time.perf_counter() - started
assert not load.skipped, load.skipped
(document,) = load.documents
text_mb = len(document.text.encode()) / 2**20
print(f"{text_mb:.2f} | {seconds:.2f} | {before:.0f} | {status('VmHWM:'):.0f}")
"""


_WRITERS: dict[str, Callable[[Path, list[Parts]], None]] = {
    "txt": _write_txt,
    "md": _write_md,
    "jsonl": _write_jsonl,
    "html": _write_html,
    "docx": _write_docx,
    "pdf": _write_pdf,
}


if __name__ == "__main__":
    raise SystemExit(main())
