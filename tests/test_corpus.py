"""Loading the corpus: each format, each bad-file case, titles and boilerplate."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from bot.corpus import load_corpus, strip_boilerplate
from tests.conftest import SEED_DIR


def write(root: Path, name: str, content: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_seed_article_loads_with_a_title_from_its_first_sentence() -> None:
    load = load_corpus(SEED_DIR)
    [document] = load.documents
    assert document.id == "000_fe06235f8a2d5290"
    assert document.title.startswith("Secretary of State Antony Blinken has issued a warning")
    assert len(document.title) <= 80 and document.title.endswith("…")
    assert "Comments(0)" not in document.text and "Top Comments" not in document.text
    assert document.text.rstrip().endswith("troops in South Korea.")
    assert load.skipped == [] and load.repaired == []


def test_markdown_title_from_front_matter_then_first_heading(tmp_path: Path) -> None:
    write(
        tmp_path, "a.md", '---\ntitle: "Rules of the server"\nauthor: x\n---\n# Ignored\n\nBe kind.'
    )
    write(
        tmp_path,
        "guides/b.md",
        "Intro line\n\n## Setting up the bot\n\nRun **make** [here](http://x).",
    )
    documents = {d.id: d for d in load_corpus(tmp_path).documents}
    assert documents["a"].title == "Rules of the server"
    assert "author" not in documents["a"].text
    assert documents["guides/b"].title == "Setting up the bot"
    assert "Run make here." in documents["guides/b"].text  # markup reduced to prose
    assert "##" not in documents["guides/b"].text


def test_jsonl_records_become_documents(tmp_path: Path) -> None:
    records = [
        {
            "id": "faq-1",
            "title": "Refunds",
            "text": "Refunds take five days.",
            "url": "https://e.x/1",
        },
        {"_id": 7, "text": "Shipping is free over fifty euros. Returns are free."},
        {"id": "bad"},
        "not an object",
    ]
    lines = [json.dumps(r) for r in records] + ["{broken json", ""]
    write(tmp_path, "import/faq.jsonl", "\n".join(lines))
    load = load_corpus(tmp_path)
    by_id = {d.id: d for d in load.documents}
    assert set(by_id) == {"import/faq/faq-1", "import/faq/7"}
    assert by_id["import/faq/faq-1"].url == "https://e.x/1"
    assert by_id["import/faq/faq-1"].title == "Refunds"
    assert by_id["import/faq/7"].title == "Shipping is free over fifty euros"
    reasons = sorted(s.reason for s in load.skipped)
    assert reasons == [
        'no "text"',
        "not a JSON object",
        "not valid JSON (Expecting property name enclosed in double quotes)",
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", "", "empty"),
        ("blank.md", "  \n\n\t\n", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        (
            "only-furniture.txt",
            "Comments(0)\nTop Comments\n",
            "no text left after removing page boilerplate",
        ),
    ],
)
def test_bad_files_are_skipped_with_a_reason(
    tmp_path: Path, name: str, content: str | bytes, reason: str
) -> None:
    write(tmp_path, "good.txt", "A good document about apples.")
    write(tmp_path, name, content)
    load = load_corpus(tmp_path)
    assert [d.id for d in load.documents] == ["good"]
    assert [(s.path, s.reason) for s in load.skipped] == [(name, reason)]


def test_a_windows_1252_file_is_read_as_such(tmp_path: Path) -> None:
    text = "Caf\xe9 opening hours are \u201cnine to five\u201d \u2013 na\xefve, isn\u2019t it?"
    write(tmp_path, "legacy.txt", text.encode("cp1252"))
    load = load_corpus(tmp_path)
    [document] = load.documents
    assert document.text == text
    [repaired] = load.repaired
    assert repaired.path == "legacy.txt" and "read as Windows-1252" in repaired.reason


def test_utf8_with_a_damaged_byte_is_repaired_not_dropped(tmp_path: Path) -> None:
    """Valid UTF-8 elsewhere in the file says it is UTF-8: only the bad byte is replaced."""
    damaged = "Caf\xe9 na\xefve".encode() + b" \xff opening hours."
    write(tmp_path, "damaged.txt", damaged)
    load = load_corpus(tmp_path)
    [document] = load.documents
    assert document.text == "Caf\xe9 na\xefve \ufffd opening hours."
    [repaired] = load.repaired
    assert repaired.path == "damaged.txt" and "1 undecodable bytes replaced" in repaired.reason


def test_unreadable_path_is_skipped(tmp_path: Path) -> None:
    # A dangling symlink cannot be read by anyone, root included.
    write(tmp_path, "ok.txt", "Fine text.")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")
    load = load_corpus(tmp_path)
    assert [d.id for d in load.documents] == ["ok"]
    assert load.skipped[0].path == "gone.txt" and load.skipped[0].reason.startswith("unreadable")


def test_unsupported_and_hidden_files_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "notes.pdf", b"%PDF-1.4")
    write(tmp_path, ".hidden.txt", "secret")
    write(tmp_path, ".git/config.txt", "x")
    write(tmp_path, "sub/dir/deep.txt", "Deep text.")
    load = load_corpus(tmp_path)
    assert [d.id for d in load.documents] == ["sub/dir/deep"]


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_corpus(tmp_path / "nope")


def test_boilerplate_lines_go_but_prose_mentioning_comments_stays() -> None:
    text = (
        "Real text about comments in code.\n"
        "Comments(12)\nShare this article\nTop Comments\nAdvertisement"
    )
    assert strip_boilerplate(text) == "Real text about comments in code."


def test_long_paths_get_short_stable_ids(tmp_path: Path) -> None:
    name = "a-very-long-folder-name/" * 5 + "and a file name with spaces & symbols!.txt"
    write(tmp_path, name, "Some text.")
    write(tmp_path, "short name.txt", "Other text.")
    ids = [d.id for d in load_corpus(tmp_path).documents]
    assert all(len(i) <= 80 for i in ids)
    assert ids[0].startswith("a-very-long-folder-name/a-very-long") and "short-name" in ids[1]
    assert ids == [d.id for d in load_corpus(tmp_path).documents]
    assert len(f"cb:open:{ids[0]}#99999") <= 100


def test_file_names_in_any_script_keep_distinct_readable_ids(tmp_path: Path) -> None:
    for name in ("東京.txt", "北京.txt", "новости.txt", "café.txt", "my_notes.txt"):
        write(tmp_path, name, f"Facts about {name}.")
    load = load_corpus(tmp_path)
    assert load.skipped == []
    assert sorted(d.id for d in load.documents) == sorted(
        ["東京", "北京", "новости", "café", "my_notes"]
    )


def test_decomposed_file_name_and_text_are_composed(tmp_path: Path) -> None:
    """NFD (e + combining accent, as macOS file names and some exports have it) becomes NFC."""
    decomposed = unicodedata.normalize("NFD", "Café naïve")
    write(tmp_path, decomposed + ".txt", f"A {decomposed} approach.")
    [document] = load_corpus(tmp_path).documents
    assert document.id == "Café-naïve" and "Café naïve" in document.text


def test_utf16_and_utf32_files_with_a_byte_order_mark_are_text(tmp_path: Path) -> None:
    """Notepad's "Unicode" and PowerShell 5's ">" write UTF-16 with a BOM: NUL bytes, not binary."""
    for name, encoding in (("le.txt", "utf-16"), ("be.txt", "utf-16-be"), ("w.txt", "utf-32")):
        data = "Zebra migration in the Serengeti.\r\nSecond line.".encode(encoding)
        write(tmp_path, name, (b"\xfe\xff" + data) if encoding == "utf-16-be" else data)
    load = load_corpus(tmp_path)
    assert load.skipped == [] and load.repaired == []
    expected = "Zebra migration in the Serengeti.\nSecond line."
    assert [d.text for d in load.documents] == [expected] * 3


def test_windows_line_endings_in_markdown(tmp_path: Path) -> None:
    text = "---\ntitle: Real Title\n---\n# Heading\n\nBody about penguins.\n"
    write(tmp_path, "w.md", text.replace("\n", "\r\n"))
    [document] = load_corpus(tmp_path).documents
    assert document.title == "Real Title"
    assert "\r" not in document.text and "title:" not in document.text


def test_jsonl_strings_may_hold_unicode_line_separators(tmp_path: Path) -> None:
    """JSON allows U+2028, U+2029 and U+0085 raw inside strings; only "\\n" ends a record."""
    records = [
        {"id": "r1", "text": "Alpha\u2028beta about otters."},
        {"id": "r2", "text": "Gamma\u0085delta\u2029about seals."},
    ]
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    write(tmp_path, "r.jsonl", "\r\n".join(lines) + "\r\n")
    load = load_corpus(tmp_path)
    assert load.skipped == []
    assert [d.id for d in load.documents] == ["r/r1", "r/r2"]
    assert [d.source for d in load.documents] == ["r.jsonl:1", "r.jsonl:2"]


def test_markdown_keeps_underscores_and_asterisks_inside_words_and_code(tmp_path: Path) -> None:
    write(
        tmp_path,
        "doc.md",
        "# Settings\n\nSet `PASSAGE_MIN_WORDS` and ``a_b`` in my_file_name.txt; 2*3*4 is 24.\n"
        "This is _emphasis_, **strong**, __also strong__, ~~gone~~ and **_nested_**.\n",
    )
    [document] = load_corpus(tmp_path).documents
    assert "Set PASSAGE_MIN_WORDS and a_b in my_file_name.txt; 2*3*4 is 24." in document.text
    assert "This is emphasis, strong, also strong, gone and nested." in document.text


def test_setext_heading_is_the_title_and_its_underline_goes(tmp_path: Path) -> None:
    write(tmp_path, "guide.md", "Install Guide\n=============\n\nRun the installer first.\n")
    write(tmp_path, "faq.md", "Common questions\n---\n\nAsk in the help channel.\n")
    guide, faq = sorted(load_corpus(tmp_path).documents, key=lambda d: d.id, reverse=True)
    assert (guide.title, faq.title) == ("Install Guide", "Common questions")
    assert "=" not in guide.text and "---" not in faq.text


def test_linked_folders_are_followed_once_and_a_loop_ends(tmp_path: Path) -> None:
    """A shared folder linked into the corpus is part of it; a link back up cannot loop."""
    shared, corpus = tmp_path / "shared", tmp_path / "corpus"
    write(shared, "deep/otters.txt", "Otters hold hands while they sleep.")
    write(shared, "seals.md", "# Seals\n\nSeals sleep in the water.")
    write(corpus, "own.txt", "Our own notes.")
    (corpus / "shared").symlink_to(shared, target_is_directory=True)
    (shared / "back-up").symlink_to(corpus, target_is_directory=True)
    (corpus / ".hidden-link").symlink_to(shared, target_is_directory=True)
    load = load_corpus(corpus)
    assert [d.id for d in load.documents] == ["own", "shared/deep/otters", "shared/seals"]
    assert load.skipped == []
