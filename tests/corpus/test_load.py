"""Loading the corpus: each format, each bad-file case, titles and boilerplate."""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import socket
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.corpus import CorpusLoad, FileRules, decoding, jsonl, list_corpus, load_corpus
from bot.corpus.documents import Refused, strip_boilerplate
from bot.corpus.jsonl import _valid_unicode
from bot.corpus.load import iter_documents
from bot.corpus.walk import read_corpus_blocks, read_corpus_file
from bot.discord_bot.reloader import compare
from bot.search.service import SearchService
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


@pytest.mark.parametrize(
    ("bad", "at", "text", "note"),
    [
        # No UTF-8 sequence anywhere: the whole file is Windows-1252, the lines before too.
        (b"caf\xe9", 3, "caf\xe9", "read as Windows-1252"),
        # UTF-8 elsewhere: only the bad byte is replaced.
        (b"caf\xc3\xa9 \xff", 6, "caf\xe9 \ufffd", "1 undecodable bytes replaced"),
    ],
)
def test_a_jsonl_file_decoded_a_block_at_a_time_reads_as_a_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: bytes, at: int, text: str, note: str
) -> None:
    """Blocks of a few bytes, the bad byte far into the file, lines ended by "\r" and "\r\n":
    every record and note is what the file decoded whole gives."""
    monkeypatch.setattr(decoding, "BLOCK_BYTES", 7)
    good = b"".join(f'{{"id": "r{n}", "text": "Record {n}."}}\r'.encode() for n in range(20))
    opening = b'{"id": "bad", "text": "'
    write(tmp_path, "mixed.jsonl", good + opening + bad + b'"}\r\n{"text": "Last."}\r\n')
    load = load_corpus(tmp_path)
    assert [d.id for d in load.documents] == [
        *(f"mixed/r{n}" for n in range(20)),
        "mixed/bad",
        "mixed/22",
    ]
    assert load.documents[20].text == text
    [repaired] = load.repaired
    assert repaired.path == "mixed.jsonl" and note in repaired.reason
    assert f"first bad byte at {len(good) + len(opening) + at})" in repaired.reason
    assert load.skipped == []


_BYTES = [
    *(b"a", b"\n", b"\r", b" ", b"\x00", b"\xc3\xa9", b"\xe9", b"\xff", b"\xef\xbf\xbd"),
    *(b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00"),  # byte-order marks
]


@given(st.lists(st.sampled_from(_BYTES)), st.lists(st.integers(min_value=0, max_value=40)))
def test_decoding_a_block_at_a_time_gives_the_whole_file_s_text(
    pieces: list[bytes], cuts: list[int]
) -> None:
    """The bytes come in chunks cut anywhere (inside a character, empty ones too): the blocks
    still make the text and the notes the whole file's decoding gives, U+FFFD characters of
    the file's own (``\xef\xbf\xbd``) counted alike, and a UTF-16 or UTF-32 mark obeyed."""
    raw = b"".join(pieces)
    bounds = sorted([0, len(raw), *(min(cut, len(raw)) for cut in cuts)])
    chunks = [raw[start:end] for start, end in itertools.pairwise(bounds)]
    whole, blocked = CorpusLoad(), CorpusLoad()
    blocks = list(decoding.decoded_stream(iter(chunks), "f.jsonl", blocked))
    marked = decoding.decode_marked(raw, "f.jsonl", whole)
    assert "".join(blocks) == (
        marked if marked is not None else decoding.decode(raw, "f.jsonl", whole)
    )
    assert blocked.repaired == whole.repaired
    assert all(block.endswith("\n") for block in blocks[:-1])


def test_a_jsonl_file_of_blank_lines_is_empty(tmp_path: Path) -> None:
    write(tmp_path, "blank.jsonl", "\n \r\n\u3000\t\n".encode())
    load = load_corpus(tmp_path)
    assert load.documents == []
    assert skipped(load) == [("blank.jsonl", "empty")]


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


def test_a_utf16_jsonl_file_is_read_by_its_mark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PowerShell 5's ``>`` writes JSONL in UTF-16 too: read in blocks of three bytes, its mark
    still decides how the whole is read."""
    monkeypatch.setattr(decoding, "BLOCK_BYTES", 3)
    lines = [json.dumps({"id": f"z{n}", "text": f"Zebra {n}."}) for n in range(3)]
    write(tmp_path, "z.jsonl", "\r\n".join(lines).encode("utf-16"))
    load = load_corpus(tmp_path)
    assert [(d.id, d.text) for d in load.documents] == [
        (f"z/z{n}", f"Zebra {n}.") for n in range(3)
    ]
    assert load.skipped == load.repaired == []


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


def skipped(load: object) -> list[tuple[str, str]]:
    return [(s.path, s.reason) for s in load.skipped]  # type: ignore[attr-defined]


OUTSIDE = "links outside the corpus folder (CORPUS_FOLLOW_EXTERNAL_LINKS is off)"
HIDDEN = "links to a hidden file or folder"


def test_links_inside_the_corpus_are_followed_and_each_file_is_read_once(tmp_path: Path) -> None:
    """A link to a file or folder inside the corpus is followed; what it names is loaded once,
    under its own path, and a link back up (a loop) adds nothing."""
    write(tmp_path, "docs/otters.txt", "Otters hold hands while they sleep.")
    write(tmp_path, "notes/seals.text", "Seals sleep in the water.")  # unsupported name
    (tmp_path / "seals.txt").symlink_to(tmp_path / "notes" / "seals.text")
    (tmp_path / "latest").symlink_to(tmp_path / "docs", target_is_directory=True)
    (tmp_path / "same.txt").symlink_to("docs/otters.txt")
    (tmp_path / "docs" / "up").symlink_to("..", target_is_directory=True)
    load = load_corpus(tmp_path)
    assert [d.id for d in load.documents] == ["docs/otters", "seals"]
    assert load.skipped == []


def test_links_out_of_the_corpus_are_skipped_with_one_warning_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "DISCORD_TOKEN=MTIz.secret-token-value"
    write(tmp_path, ".env", secret)
    shared, corpus = tmp_path / "shared", tmp_path / "corpus"
    write(shared, "deep/otters.txt", "Otters hold hands while they sleep.")
    write(shared, "seals.md", "# Seals\n\nSeals sleep in the water.")
    write(corpus, "own.txt", "Our own notes.")
    (corpus / "shared").symlink_to(shared, target_is_directory=True)
    (corpus / "faq.txt").symlink_to("../.env")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "etc").symlink_to("/etc", target_is_directory=True)
    (shared / "back-up").symlink_to(corpus, target_is_directory=True)
    with caplog.at_level(logging.WARNING, logger="bot.corpus"):
        load = load_corpus(corpus)
    assert [d.id for d in load.documents] == ["own"]
    expected = [("etc", OUTSIDE), ("faq.txt", HIDDEN), ("passwd.txt", OUTSIDE), ("shared", OUTSIDE)]
    assert sorted(skipped(load)) == expected
    assert sorted(caplog.messages) == [f"skipped {path}: {reason}" for path, reason in expected]
    assert "secret" not in caplog.text and "root:" not in caplog.text

    # Allowed on purpose: the shared folder is followed (once, the loop ends); .env never.
    allowed = load_corpus(corpus, FileRules(follow_external_links=True))
    ids = [d.id for d in allowed.documents]
    assert [i for i in ids if not i.startswith("etc/")] == [
        "own",
        "passwd",
        "shared/deep/otters",
        "shared/seals",
    ]
    assert ("faq.txt", HIDDEN) in skipped(allowed)
    assert all("secret-token" not in d.text for d in allowed.documents)


def test_hidden_files_are_never_loaded_even_through_a_link(tmp_path: Path) -> None:
    write(tmp_path, ".private/notes.txt", "Private notes about otters.")
    write(tmp_path, ".draft.md", "# Draft\n\nNot yet.")
    write(tmp_path, "public.txt", "Public notes.")
    (tmp_path / "notes").symlink_to(".private", target_is_directory=True)
    (tmp_path / "draft.md").symlink_to(".draft.md")
    (tmp_path / "private.txt").symlink_to(".private/notes.txt")
    load = load_corpus(tmp_path, FileRules(follow_external_links=True))
    assert [d.id for d in load.documents] == ["public"]
    assert sorted(skipped(load)) == [
        ("draft.md", HIDDEN),
        ("notes", HIDDEN),
        ("private.txt", HIDDEN),
    ]


@pytest.mark.timeout(10)  # a FIFO that blocks the load fails the test instead of hanging it
def test_pipes_and_devices_are_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    os.mkfifo(tmp_path / "pipe.fifo")
    (tmp_path / "linked-pipe.md").symlink_to("pipe.fifo")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(tmp_path / "socket.md"))  # opening it fails: the walk tells what it is
    write(tmp_path, "good.txt", "A good document about apples.")
    load = load_corpus(tmp_path, FileRules(follow_external_links=True))
    listening.close()
    assert [d.id for d in load.documents] == ["good"]
    assert sorted(skipped(load)) == [
        ("linked-pipe.md", "not a regular file (a named pipe)"),
        ("pipe.txt", "not a regular file (a named pipe)"),
        ("socket.md", "not a regular file (a socket)"),
        ("zero.txt", "not a regular file (a device)"),
    ]
    assert ("zero.txt", OUTSIDE) in skipped(load_corpus(tmp_path))


def test_files_over_the_size_limit_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "fits.txt", "x" * 99 + ".")
    write(tmp_path, "big.txt", "y" * 100 + ".")
    write(tmp_path, "big.jsonl", json.dumps({"text": "z" * 100}))
    load = load_corpus(tmp_path, FileRules(max_file_bytes=100))
    assert [d.id for d in load.documents] == ["fits"]
    assert skipped(load) == [
        ("big.jsonl", "too large (112 bytes, over MAX_FILE_BYTES=100)"),
        ("big.txt", "too large (101 bytes, over MAX_FILE_BYTES=100)"),
    ]


def _position(path: Path) -> int | None:
    """Where this process's open descriptor of ``path`` has read to, if it has one."""
    for descriptor in Path("/proc/self/fd").iterdir():
        try:
            if descriptor.resolve() == path.resolve():
                info = Path(f"/proc/self/fdinfo/{descriptor.name}").read_text()
                return int(info.split("pos:")[1].split()[0])
        except (FileNotFoundError, IndexError):
            continue  # the listing's own descriptor, closed since
    return None


def test_a_jsonl_file_is_read_as_its_records_are_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large file's first records come before the rest is read, and it is never in memory
    whole: its descriptor has read one block when the first record is out, and is closed once
    the last is."""
    monkeypatch.setattr(decoding, "BLOCK_BYTES", 4096)
    lines = (json.dumps({"id": f"r{n}", "text": f"Record number {n}."}) for n in range(20_000))
    path = write(tmp_path, "big.jsonl", "\n".join(lines))
    result = CorpusLoad()
    documents = iter_documents(tmp_path, result)
    assert next(documents).id == "big/r0"
    assert _position(path) == 4096
    assert sum(1 for _ in documents) == 19_999
    assert _position(path) is None
    assert result.skipped == result.repaired == []


def test_a_jsonl_file_that_grows_past_the_limit_keeps_the_records_read_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(decoding, "BLOCK_BYTES", 64)
    records = "".join(json.dumps({"id": f"r{n}", "text": "A record."}) + "\n" for n in range(8))
    path = write(tmp_path, "log.jsonl", records)
    result = CorpusLoad()
    documents = iter_documents(tmp_path, result, FileRules(max_file_bytes=len(records) + 10))
    assert next(documents).id == "log/r0"
    with path.open("a") as appended:  # written to while it is read
        appended.write(json.dumps({"id": "late", "text": "Appended while it was read."}) + "\n")
    rest = [document.id for document in documents]
    assert rest == [f"log/r{n}" for n in range(1, 8)]
    grew = f"too large (grew past MAX_FILE_BYTES={len(records) + 10:,})"
    assert skipped(result) == [("log.jsonl", grew)]


def test_a_file_swapped_after_the_walk_is_not_read(tmp_path: Path) -> None:
    """The checks hold for the file that is opened: one replaced by a link to a secret between
    the walk and the read is refused, not read."""
    write(tmp_path, "secret", "password=hunter2")
    corpus = tmp_path / "corpus"
    write(corpus, "faq.txt", "Questions and answers.")
    [listed] = list_corpus(corpus).files
    (corpus / "faq.txt").unlink()
    (corpus / "faq.txt").symlink_to(tmp_path / "secret")
    with pytest.raises(Refused, match="replaced while the corpus was loading"):
        read_corpus_file(listed, max_bytes=1000)
    with pytest.raises(Refused, match="replaced while the corpus was loading"):
        next(read_corpus_blocks(listed, max_bytes=1000, block_bytes=10))


def test_an_unreadable_folder_is_one_warning_and_the_rest_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal the kernel gives a folder without read permission, raised for one folder:
    root reads any folder, so chmod alone cannot test this where tests run as root."""
    write(tmp_path, "locked/inside.txt", "Locked away.")
    write(tmp_path, "open/inside.txt", "Open to all.")
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if Path(path) == tmp_path / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    load = load_corpus(tmp_path)
    assert [d.id for d in load.documents] == ["open/inside"]
    assert skipped(load) == [("locked", "folder unreadable (Permission denied)")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a folder whatever its permissions")
def test_a_folder_without_read_permission_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "locked/inside.txt", "Locked away.")
    write(tmp_path, "open.txt", "Open to all.")
    (tmp_path / "locked").chmod(0)
    try:
        load = load_corpus(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert [d.id for d in load.documents] == ["open"]
    assert skipped(load) == [("locked", "folder unreadable (Permission denied)")]


@given(st.lists(st.text(alphabet="ab\n\r\u2028\x85 {}")))
@example([])
@example([""])
@example(["\n"])
@example(["a\n\nb\n"])
@example(["a", "b\nc", "", "\nd"])
def test_jsonl_lines_are_cut_as_split_cuts_their_blocks_joined(blocks: list[str]) -> None:
    assert list(jsonl._lines(blocks)) == "".join(blocks).split("\n")


@given(st.text(alphabet='{}[]":,. \t\\u01aetxe-', max_size=40))
@example('{"text": "a"}')
@example(' {"text": "a"}')
@example('{"text": "a"} ')
@example('"a" "b"')
def test_a_jsonl_line_parses_as_json_loads_parses_it(line: str) -> None:
    """What the quick parse of a line accepts, ``json.loads`` accepts and reads alike; what
    it leaves, ``json.loads`` says why (or reads with whitespace around it)."""
    parsed = jsonl._parsed(line)
    if parsed is not jsonl._NOT_PARSED:
        assert parsed == json.loads(line)


def test_one_bad_jsonl_line_costs_that_line_only(tmp_path: Path) -> None:
    """A record nested 3,000 deep (RecursionError in the parser), a NUL byte in the first
    line, an over-long number, a lone surrogate and a bad id: the good records still load."""
    lines = [
        b'{"id": "nul", "text": "A NUL \x00 byte"}',
        json.dumps({"id": "a", "text": "Apples are red."}).encode(),
        b"[" * 3000 + b"]" * 3000,
        b'{"id": 1' + b"0" * 5000 + b', "text": "Too long a number."}',
        json.dumps({"id": "b", "text": "Bananas are yellow \ud800 and sweet."}).encode(),
        json.dumps({"id": ["x"], "text": "An id that is a list."}).encode(),
        json.dumps({"id": "c", "text": "Cherries are dark."}).encode(),
    ]
    write(tmp_path, "fruit.jsonl", b"\n".join(lines))
    load = load_corpus(tmp_path)
    assert [d.id for d in load.documents] == ["fruit/a", "fruit/b", "fruit/c"]
    assert load.documents[1].text == "Bananas are yellow \ufffd and sweet."
    assert skipped(load) == [
        ("fruit.jsonl:1", "not valid JSON (Invalid control character at)"),
        ("fruit.jsonl:3", "not valid JSON (nested too deeply)"),
        ("fruit.jsonl:4", "not valid JSON (a number too long)"),
        ("fruit.jsonl:6", '"id" is not a string or a number'),
    ]


def test_a_jsonl_line_is_one_json_value_with_only_whitespace_around_it(tmp_path: Path) -> None:
    lines = [
        ' \t{"id": "a", "text": "Apples are red."}  ',
        '{"id": "b", "text": "Bananas."} {"id": "c", "text": "Cherries."}',
        '{"id": "d", "text": "Dates are sweet."}x',
        '{"id": "e", "text": "Elderberries are dark."}',
    ]
    write(tmp_path, "fruit.jsonl", "\n".join(lines))
    load = load_corpus(tmp_path)
    assert [d.id for d in load.documents] == ["fruit/a", "fruit/e"]
    assert skipped(load) == [
        ("fruit.jsonl:2", "not valid JSON (Extra data)"),
        ("fruit.jsonl:3", "not valid JSON (Extra data)"),
    ]


def test_a_jsonl_file_streams_its_records_as_they_are_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build's workers get a big JSONL file's first records while the rest is unparsed."""
    write(tmp_path, "big.jsonl", "".join(f'{{"text": "Record {n}."}}\n' for n in range(1000)))
    parsed: list[int] = []
    original = jsonl._record

    def counting(line: str, number: int, stem: str, where: str) -> Any:
        parsed.append(number)
        return original(line, number, stem, where)

    monkeypatch.setattr(jsonl, "_record", counting)
    documents = iter_documents(tmp_path, CorpusLoad())
    assert next(documents).text == "Record 0."
    assert parsed == [1]
    assert sum(1 for _ in documents) == 999


def test_a_loader_error_mid_file_keeps_the_records_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loader bug on the third record costs the file from there: the two records before it
    stay (a build has already passed them on), and the note says how far it got."""
    write(tmp_path, "notes.jsonl", "".join(f'{{"text": "Note {n}."}}\n' for n in range(5)))
    original = jsonl._record

    def failing(line: str, number: int, stem: str, where: str) -> Any:
        if number == 3:
            raise KeyError("a loader bug")
        return original(line, number, stem, where)

    monkeypatch.setattr(jsonl, "_record", failing)
    load = load_corpus(tmp_path)
    assert [d.text for d in load.documents] == ["Note 0.", "Note 1."]
    assert skipped(load) == [
        ("notes.jsonl", "could not be loaded past its first 2 documents (KeyError)")
    ]


def test_a_file_of_one_id_lists_the_first_few_duplicates_then_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An export whose every record has the same "id" keeps the first record, and its notes
    (and the log) name five duplicates and count the rest: not a warning per record."""
    write(
        tmp_path, "export.jsonl", "".join(f'{{"id": 7, "text": "Row {n}."}}\n' for n in range(1000))
    )
    with caplog.at_level(logging.WARNING):
        load = load_corpus(tmp_path)
    assert [d.text for d in load.documents] == ["Row 0."]
    assert skipped(load) == [("export.jsonl", "duplicate document id 'export/7'")] * 5 + [
        ("export.jsonl", "duplicate document ids of 994 more documents, not listed")
    ]
    assert len([r for r in caplog.records if "duplicate" in r.getMessage()]) == 6


def test_a_file_of_bad_lines_lists_the_first_few_then_counts(tmp_path: Path) -> None:
    write(tmp_path, "junk.jsonl", "\n".join(["{broken"] * 1000 + ['{"text": "One good line."}']))
    load = load_corpus(tmp_path)
    assert [d.text for d in load.documents] == ["One good line."]
    assert [path for path, _ in skipped(load)] == [f"junk.jsonl:{n}" for n in range(1, 6)] + [
        "junk.jsonl"
    ]
    assert skipped(load)[-1][1] == "995 more bad lines, not listed one by one"


# Any JSON value, with text that may hold a lone surrogate (JSON allows "\ud800"; UTF-8 does not).
JSON_TEXT = st.text(max_size=30) | st.text(max_size=10).map(lambda text: text + "\ud800")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | JSON_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JSON_TEXT, inner, max_size=3),
    max_leaves=12,
)
RECORDS = st.dictionaries(
    st.sampled_from(["id", "_id", "title", "text", "url"]) | st.text(max_size=4),
    JSON_VALUES | JSON_TEXT,
    max_size=5,
)
GOOD = {"id": "good", "text": "Apples are red and crisp."}


def load_and_search(folder: Path) -> list[str]:
    """Load ``folder``, index it and search it as the bot does: the ids of the documents."""
    load = load_corpus(folder)
    service = SearchService(load.documents, load=load)
    assert service.search("apples").hits
    compare(service, service, 0.0)  # a reload's report hashes every document's text
    for document in load.documents:
        "".join((document.id, document.title, document.text, document.url or "")).encode()
    return [document.id for document in load.documents]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.binary(max_size=3000) | JSON_TEXT.map(lambda text: text.encode("utf-8", "replace")),
    suffix=st.sampled_from([".txt", ".md", ".jsonl", ".html", ".docx", ".pdf"]),
)
def test_random_bytes_never_stop_the_load(raw: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        write(Path(folder), "good.txt", GOOD["text"])
        write(Path(folder), f"random{suffix}", raw)
        assert "good" in load_and_search(Path(folder))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(RECORDS | JSON_VALUES, max_size=6))
def test_random_json_records_never_cost_the_good_ones(values: list[object]) -> None:
    lines = [json.dumps(GOOD)] + [json.dumps(value) for value in values]
    with tempfile.TemporaryDirectory() as folder:
        write(Path(folder), "records.jsonl", "\n".join(lines))
        assert "records/good" in load_and_search(Path(folder))


# Each loaded in seconds (one took minutes at 20 kB) while Markdown markup was reduced by
# patterns that restarted at every opening mark and scanned to the end of the line.
HOSTILE_MARKUP = {
    "emphasis": "*a " * 8_000,
    "strong": "**a " * 6_000,
    "nested": "**_" * 6_000 + "x" + "_**" * 6_000,
    "code": "".join("`" * n + "a" for n in range(1, 130)),
    "link": "[" * 25_000,
    "image": "![" * 12_000 + "](",
    "tag": "<a" * 25_000,
    "heading": "# a" + " #" * 12_000 + " x",
    "setext": "a" + " " * 60_000 + "b\n",
    "boilerplate": "share" + " " * 25_000 + "x",
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", list(HOSTILE_MARKUP))
def test_hostile_markdown_loads_in_time_proportional_to_its_size(tmp_path: Path, name: str) -> None:
    write(tmp_path, f"{name}.md", f"Intro sentence here.\n\n{HOSTILE_MARKUP[name]}\n")
    started = time.perf_counter()
    [document] = load_corpus(tmp_path).documents
    assert time.perf_counter() - started < 1.0
    assert document.text.startswith("Intro sentence here.")


def test_markdown_markup_within_the_span_limit_is_still_reduced(tmp_path: Path) -> None:
    long_bold = "word " * 35  # 175 characters
    write(
        tmp_path,
        "a.md",
        f"## Learn C# ##\n\n**{long_bold.strip()}** and ``a ` b`` and _x_ and **_both_**.\n"
        "A [link](http://x.example/a) and ![an image](i.png) and <b>tag</b>.",
    )
    [document] = load_corpus(tmp_path).documents
    assert document.title == "Learn C"
    assert document.text.splitlines()[0] == "Learn C# ##"
    assert f"{long_bold.strip()} and a ` b and x and both." in document.text
    assert "A link and an image and tag." in document.text


def test_a_folder_swapped_for_a_link_out_while_the_walk_runs_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk vets a real folder, then someone renames it away and puts a link to a folder
    outside in its place before the walk lists it: the files listed through the link are
    outside files, and they must not be read."""
    write(tmp_path, "private/notes.txt", "password=hunter2")
    corpus = tmp_path / "corpus"
    write(corpus, "docs/notes.txt", "Public notes.")
    listing_folder = os.scandir

    def swap_then_list(path: object) -> object:
        if Path(str(path)) == corpus / "docs":  # the attacker's move, at the worst moment
            (corpus / "docs").rename(tmp_path / "old-docs")
            (corpus / "docs").symlink_to(tmp_path / "private")
        return listing_folder(path)  # type: ignore[call-overload]

    monkeypatch.setattr("bot.corpus.walk.os.scandir", swap_then_list)
    load = load_corpus(corpus)
    assert all("hunter2" not in document.text for document in load.documents)
    assert skipped(load) == [("docs/notes.txt", OUTSIDE)]


def test_a_link_switched_between_its_checks_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link that points outside when the walk takes its file's identity and inside when it
    resolves where the link leads (switched back and forth in a loop) is not read."""
    write(tmp_path, "secret.txt", "password=hunter2")
    corpus = tmp_path / "corpus"
    write(corpus, "real.txt", "Real text.")
    (corpus / "faq.txt").symlink_to(tmp_path / "secret.txt")
    resolve = os.path.realpath

    def switched(path: str) -> str:
        if Path(path) == corpus / "faq.txt":
            return resolve(corpus / "real.txt")  # what a switch just before the call would show
        return resolve(path)

    monkeypatch.setattr("bot.corpus.walk.os.path.realpath", switched)
    load = load_corpus(corpus)
    assert all("hunter2" not in document.text for document in load.documents)
    assert skipped(load) == [("faq.txt", OUTSIDE)]


@settings(max_examples=300, deadline=None)
@given(
    value=st.text(st.characters(exclude_categories=()), max_size=40)
    | st.text(st.characters(max_codepoint=127), max_size=40)
)
@example("caf\udce9 au lait \ud83d")  # surrogates the strategy rarely draws
def test_valid_unicode_replaces_exactly_the_lone_surrogates(value: str) -> None:
    assert _valid_unicode(value) == re.sub("[\ud800-\udfff]", "\ufffd", value)
