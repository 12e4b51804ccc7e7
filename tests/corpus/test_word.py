"""Word documents: paragraphs, headings as sections and tables as rows from a python-docx file;
a damaged zip, a zip bomb and an entity bomb cost a clear warning each, nothing hangs."""

from __future__ import annotations

import io
import shutil
import time
import zipfile
from pathlib import Path

import docx

from bot.corpus import FileRules, load_corpus
from bot.corpus.passages import split_passages
from tests.conftest import DATA

HANDBOOK = DATA / "formats" / "handbook.docx"


DEFAULT_RULES = FileRules()


def load_beside_a_good_file(
    tmp_path: Path, name: str, content: bytes, rules: FileRules = DEFAULT_RULES
) -> tuple[list, list]:
    (tmp_path / "good.txt").write_text("A good document about apples.", encoding="utf-8")
    (tmp_path / name).write_bytes(content)
    load = load_corpus(tmp_path, rules)
    assert "good" in [d.id for d in load.documents]
    others = [d for d in load.documents if d.id != "good"]
    return others, [(s.path, s.reason) for s in load.skipped]


def rewritten(part: str, change: object) -> bytes:
    """The handbook with one of its zip's parts changed by ``change(bytes) -> bytes``."""
    packed = io.BytesIO()
    with zipfile.ZipFile(HANDBOOK) as source, zipfile.ZipFile(packed, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == part:
                data = change(data)  # type: ignore[operator]
            target.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
    return packed.getvalue()


def test_the_handbook_gives_paragraphs_headings_as_sections_and_table_rows(
    tmp_path: Path,
) -> None:
    shutil.copy(HANDBOOK, tmp_path / "handbook.docx")
    load = load_corpus(tmp_path)
    assert load.skipped == []
    (handbook,) = load.documents
    assert handbook.title == "Lantern Operations Handbook"
    assert handbook.url is None
    assert [(s.label, s.anchor) for s in handbook.sections] == [
        ("Monitoring", None),
        ("Monitoring › Alerts", None),
        ("Upgrades", None),
    ]
    assert "Disk usage | 90 percent | Prune old backups\n" in handbook.text
    assert handbook.text.startswith("Lantern Operations Handbook\n\nThis handbook is for")
    passages = split_passages(handbook)
    alerts = [p for p in passages if "Disk usage" in p.text]
    assert [p.section.label for p in alerts if p.section] == ["Monitoring › Alerts"]


def test_without_a_title_property_the_first_heading_is_the_title(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = ""
    document.add_paragraph("An opening line before any heading, about pears.")
    document.add_heading("Pear varieties", level=1)
    document.add_paragraph("Conference and Comice grow well by the river.")
    packed = io.BytesIO()
    document.save(packed)
    documents, skipped = load_beside_a_good_file(tmp_path, "pears.docx", packed.getvalue())
    assert skipped == []
    assert documents[0].title == "Pear varieties"


def test_a_damaged_zip_or_another_zip_is_one_clear_warning(tmp_path: Path) -> None:
    whole = HANDBOOK.read_bytes()
    (tmp_path / "truncated.docx").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "noise.docx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "not a Word document")
    documents, skipped = load_beside_a_good_file(tmp_path, "other.docx", other.getvalue())
    assert documents == []
    reasons = dict(skipped)
    assert sorted(reasons) == ["noise.docx", "other.docx", "truncated.docx"]
    assert reasons["truncated.docx"].startswith("not a valid Word document (damaged zip: ")
    assert reasons["noise.docx"].startswith("not a valid Word document (damaged zip: ")
    assert reasons["other.docx"] == "not a valid Word document (a zip, but no Word document in it)"


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    padding = b" " * 5_000_000  # deflates to a few kilobytes
    bomb = rewritten(
        "word/document.xml", lambda xml: xml.replace(b"<w:body>", b"<w:body>" + padding, 1)
    )
    assert len(bomb) < 100_000
    started = time.perf_counter()
    documents, skipped = load_beside_a_good_file(
        tmp_path, "bomb.docx", bomb, FileRules(max_file_bytes=1_000_000)
    )
    assert time.perf_counter() - started < 5
    assert documents == []
    ((path, reason),) = skipped
    assert path == "bomb.docx"
    assert reason.startswith("expands to 5,")
    assert reason.endswith("over MAX_FILE_BYTES=1,000,000 (a zip bomb, or a document too large)")


def test_an_entity_bomb_in_the_document_xml_is_never_expanded(tmp_path: Path) -> None:
    entities = '<!ENTITY lol "lol lol lol lol lol lol lol lol lol lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )

    def laugh(xml: bytes) -> bytes:
        declaration, _, rest = xml.partition(b"?>")
        rest = rest.replace(b"Upgrades happen", b"&lol9; Upgrades happen", 1)
        return declaration + b"?>" + f"<!DOCTYPE w:document [{entities}]>".encode() + rest

    started = time.perf_counter()
    documents, skipped = load_beside_a_good_file(
        tmp_path, "laughs.docx", rewritten("word/document.xml", laugh)
    )
    assert time.perf_counter() - started < 5
    # python-docx parses with resolve_entities=False, and libxml2 stops at its amplification
    # limit ("Maximum entity amplification factor exceeded") before any expansion.
    assert documents == []
    assert skipped == [("laughs.docx", "not a valid Word document (malformed XML)")]
