"""PDFs: a two-column fpdf2 rulebook read page by page, its running header and footer dropped
and its hyphenated line ends mended; a scan, an encrypted file and bombs cost one clear warning
each, nothing hangs, and the rest of the corpus loads."""

from __future__ import annotations

import logging
import runpy
import shutil
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.corpus import FileRules, load_corpus
from bot.corpus.passages import split_passages
from bot.corpus.pdf import NO_TEXT
from bot.corpus.pdf_text import (
    joins,
    paragraphs,
    running_line_keys,
    vocabulary,
    without_running_lines,
)
from bot.corpus.text import collapse_whitespace
from tests.conftest import DATA

RULEBOOK = DATA / "formats" / "rulebook.pdf"
BAD = DATA / "pdf"
DEFAULT_RULES = FileRules()
SOURCE = runpy.run_path(str(DATA / "formats-src" / "make_rulebook_pdfs.py"))


def load_beside_a_good_file(
    tmp_path: Path, *names: str, rules: FileRules = DEFAULT_RULES
) -> tuple[list, list]:
    (tmp_path / "good.txt").write_text("A good document about apples.", encoding="utf-8")
    for name in names:
        shutil.copy(BAD / name, tmp_path / name)
    load = load_corpus(tmp_path, rules)
    assert "good" in [d.id for d in load.documents]
    others = [d for d in load.documents if d.id != "good"]
    return others, [(s.path, s.reason) for s in load.skipped]


def test_the_rulebook_is_its_pages_text_without_header_footer_or_broken_words(
    tmp_path: Path,
) -> None:
    shutil.copy(RULEBOOK, tmp_path / "rulebook.pdf")
    load = load_corpus(tmp_path)
    assert load.skipped == [] and load.repaired == []
    (rulebook,) = load.documents
    assert (rulebook.id, rulebook.title, rulebook.url) == (
        "rulebook",
        "Lantern Community Rulebook",
        None,
    )
    assert [(s.label, s.anchor) for s in rulebook.sections] == [
        (f"p. {n}", None) for n in range(1, 5)
    ]
    starts = [s.start for s in rulebook.sections] + [len(rulebook.text)]
    for number, source in enumerate(SOURCE["PAGES"]):
        page = rulebook.text[starts[number] : starts[number + 1]]
        # Every word as the source has it: "administrators", "long-standing", "self-promotion".
        assert collapse_whitespace(page) == " ".join(source)
    assert "2026 edition" not in rulebook.text and "of 4" not in rulebook.text


def test_passages_stay_on_their_page_and_keep_their_ids(tmp_path: Path) -> None:
    shutil.copy(RULEBOOK, tmp_path / "rulebook.pdf")
    (rulebook,) = load_corpus(tmp_path).documents
    passages = split_passages(rulebook, min_words=40, max_words=80)
    assert len(passages) > len(rulebook.sections)
    for passage in passages:
        assert passage.section is not None
        number = int(passage.section.label.removeprefix("p. "))
        page = " ".join(SOURCE["PAGES"][number - 1])
        assert collapse_whitespace(passage.text) in page
    (tmp_path / "another.txt").write_text("Another document about pears.", encoding="utf-8")
    again = next(d for d in load_corpus(tmp_path).documents if d.id == "rulebook")
    assert [(p.id, p.text) for p in split_passages(again, 40, 80)] == [
        (p.id, p.text) for p in passages
    ]
    mute = next(p for p in passages if "thirty minutes" in p.text)
    assert (mute.id, mute.section.label if mute.section else None) == ("rulebook#5", "p. 3")


@pytest.mark.parametrize(
    ("head", "hyphen", "tail", "known", "joined"),
    [
        ("infor", "-", "mation", "", True),  # no other sight of either: a typesetter's break
        ("infor", "-", "mation", "information", True),
        ("well", "-", "known", "well known", False),  # two words the document knows
        ("long", "-", "standing", "long-standing", False),  # the compound, elsewhere
        ("e", "-", "mail", "email", True),  # the joined word, elsewhere, wins
        ("Jean", "-", "Paul", "", False),  # a capital after it
        ("COVID", "-", "19", "", False),  # a digit after it
        ("hyphen", "\u00ad", "ation", "hyphen ation", True),  # a soft hyphen always joins
    ],
)
def test_a_word_broken_at_a_line_end_is_joined_unless_it_is_a_compound(
    head: str, hyphen: str, tail: str, known: str, joined: bool
) -> None:
    assert joins(head, hyphen, tail, vocabulary([[known]])) is joined


def test_lines_join_into_paragraphs_at_a_short_line_ending_a_sentence() -> None:
    lines = [
        "The moderators keep the infor-",
        "mation of every appeal for a year and a well-",
        "known record of each decision.",
        "A second paragraph begins here, its line as",
        "long as the others, and it ends on the page.",
    ]
    words = vocabulary([[*lines, "well known"]])
    assert paragraphs(lines, words) == [
        "The moderators keep the information of every appeal for a year and a well-known "
        "record of each decision.",
        "A second paragraph begins here, its line as long as the others, and it ends on the page.",
    ]


def test_running_lines_are_those_on_half_the_pages_and_three_at_least() -> None:
    def body(word: str) -> list[str]:
        return [f"{word} begins.", "Its second line.", "Its third line.", f"{word} ends."]

    words = ("Apples", "Pears", "Plums", "Cherries")
    pages = [["Rulebook 2026", *body(word), f"Page {n} of 12"] for n, word in enumerate(words, 1)]
    pages[2] = [*body("Plums"), "- 3 -"]
    running = running_line_keys(pages)
    assert running == {"rulebook #", "page # of #"}
    assert without_running_lines(pages[0], running) == body("Apples")
    assert without_running_lines(pages[2], running) == [*body("Plums"), "- 3 -"]
    # Two pages of two: the same line on both is no running header.
    assert running_line_keys([["Rulebook 2026", *body(w)] for w in words[:2]]) == frozenset()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("scan.pdf", NO_TEXT),
        ("locked.pdf", "encrypted: it needs a password to read"),
        ("nested.pdf", "not a valid PDF (objects nested too deeply: a PDF bomb?)"),
        ("pages.pdf", "2,500 pages, over PDF_MAX_PAGES=2,000"),
    ],
)
def test_a_scan_an_encrypted_pdf_or_a_bomb_is_one_clear_warning(
    tmp_path: Path, name: str, reason: str
) -> None:
    started = time.perf_counter()
    documents, skipped = load_beside_a_good_file(tmp_path, name)
    assert time.perf_counter() - started < 10
    assert documents == []
    assert skipped == [(name, reason)]


def test_the_page_cap_is_the_setting(tmp_path: Path) -> None:
    documents, skipped = load_beside_a_good_file(
        tmp_path, "pages.pdf", rules=FileRules(max_pdf_pages=3000)
    )
    # Under the cap, its 2,500 empty pages are read: no text on any.
    assert documents == [] and skipped == [("pages.pdf", NO_TEXT)]


def test_a_page_tree_declaring_a_billion_pages_is_refused_before_it_is_walked(
    tmp_path: Path,
) -> None:
    kids = b"3 0 R " * 50_000  # the same page again and again; its /Count says a billion
    bomb = SOURCE["_pdf"](
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count 1000000000 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ]
    )
    (tmp_path / "billion.pdf").write_bytes(bomb)
    load = load_corpus(tmp_path)
    assert [(s.path, s.reason) for s in load.skipped] == [
        ("billion.pdf", "1,000,000,000 pages, over PDF_MAX_PAGES=2,000")
    ]


def test_a_page_inflating_to_megabytes_of_drawing_is_left_out_and_said(tmp_path: Path) -> None:
    def stream(content: bytes) -> bytes:
        packed = zlib.compress(content, 9)
        head = f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode()
        return head + packed + b"\nendstream"

    def page(contents: int) -> bytes:
        return (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {contents} 0 R "
            "/Resources << /Font << /F1 7 0 R >> >> >>"
        ).encode()

    drawing = b"BT /F1 12 Tf 72 700 Td (lantern) Tj ET\n" * 100_000  # 3.8 MB, 10 kB packed
    bomb = SOURCE["_pdf"](
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            page(5),
            page(6),
            stream(b"BT /F1 12 Tf 72 700 Td (The lanterns are lit at dusk.) Tj ET"),
            stream(drawing),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )
    assert len(bomb) < 20_000
    (tmp_path / "bomb.pdf").write_bytes(bomb)
    started = time.perf_counter()
    load = load_corpus(tmp_path)
    assert time.perf_counter() - started < 10
    assert [d.text for d in load.documents] == ["The lanterns are lit at dusk."]
    assert [(s.path, s.reason) for s in load.repaired] == [
        (
            "bomb.pdf",
            "1 of 2 pages could not be read (damaged, or over 512 KiB of drawing operators)",
        )
    ]


def test_a_pdf_with_only_an_owner_password_opens_as_every_reader_opens_it(
    tmp_path: Path,
) -> None:
    documents, skipped = load_beside_a_good_file(tmp_path, "restricted.pdf")
    assert skipped == []
    assert [d.text for d in documents] == ["Only the owner of this file may change it."]


def test_a_damaged_pdf_is_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "noise.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    (tmp_path / "empty-ish.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (tmp_path / "cut.pdf").write_bytes(RULEBOOK.read_bytes()[:3000])
    (tmp_path / "good.txt").write_text("A good document about apples.", encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        load = load_corpus(tmp_path)
    # pypdf's own warnings ("EOF marker not found") are debug notes naming the file.
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [f"skipped {s.path}: {s.reason}" for s in load.skipped]
    assert "cut.pdf: pypdf: EOF marker not found" in caplog.messages
    assert [d.id for d in load.documents] == ["good"]
    reasons = {s.path: s.reason for s in load.skipped}
    assert sorted(reasons) == ["cut.pdf", "empty-ish.pdf", "noise.pdf"]
    assert all(reason.startswith("not a valid PDF (") for reason in reasons.values()), reasons


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    changes=st.lists(
        st.tuples(st.integers(0, RULEBOOK.stat().st_size - 1), st.integers(0, 255)),
        min_size=1,
        max_size=8,
    )
)
def test_a_damaged_rulebook_never_stops_the_load(
    tmp_path: Path, changes: list[tuple[int, int]]
) -> None:
    damaged = bytearray(RULEBOOK.read_bytes())
    for offset, value in changes:
        damaged[offset] = value
    (tmp_path / "rulebook.pdf").write_bytes(bytes(damaged))
    (tmp_path / "good.txt").write_text("A good document about apples.", encoding="utf-8")
    load = load_corpus(tmp_path)
    assert "good" in [d.id for d in load.documents]
    assert len(load.documents) + len(load.skipped) == 2
    # A warning that says what is wrong, never the catch-all for a loader's own failure.
    assert not [s for s in load.skipped if s.reason.startswith("could not be loaded")]


def test_pages_are_cited_by_the_numbers_printed_on_them(tmp_path: Path) -> None:
    from fpdf import FPDF

    book = FPDF()
    book.set_font("Helvetica", size=12)
    for number, style in enumerate(("r", "r", "D", "D")):
        book.add_page(label_style=style, label_start=1 if number in (0, 2) else None)
        book.multi_cell(0, 6, f"Page {number} of the book speaks about subject {'abcd'[number]}.")
    book.output(str(tmp_path / "book.pdf"))
    (document,) = load_corpus(tmp_path).documents
    assert [s.label for s in document.sections] == ["p. i", "p. ii", "p. 1", "p. 2"]


def test_a_line_of_one_endless_word_is_mended_in_linear_time() -> None:
    lines = ["a" * 200_000 + "-", "b" * 200_000, "word-"] * 20
    started = time.perf_counter()
    found = paragraphs(lines, vocabulary([lines]))
    assert time.perf_counter() - started < 5
    # Fragments of no word the document knows: each break is the typesetter's, and joins.
    assert found == [("a" * 200_000 + "b" * 200_000 + " word") * 20 + "-"]


def test_pages_of_nothing_but_a_running_header_are_no_document(tmp_path: Path) -> None:
    from fpdf import FPDF

    empty = FPDF()
    empty.set_font("Helvetica", size=12)
    for number in range(1, 5):
        empty.add_page()
        empty.cell(0, 6, f"Lantern Community Rulebook - page {number}")
    empty.output(str(tmp_path / "empty.pdf"))
    load = load_corpus(tmp_path)
    assert load.documents == []
    assert [(s.path, s.reason) for s in load.skipped] == [
        ("empty.pdf", "no text besides the headers and footers on its pages")
    ]
