"""Writes the PDFs of ``tests/data/formats/`` and ``tests/data/pdf/`` with fpdf2, as a
typesetting tool saves them:

- ``formats/rulebook.pdf``: four pages of two columns under a running header and footer
  ("Page 2 of 4"), words hyphenated at line ends as a justifying typesetter breaks them;
- ``pdf/scan.pdf``: a page that is only an image, as a scanner makes;
- ``pdf/locked.pdf``: encrypted, opened only with a password (RC4, so no extra package);
- ``pdf/restricted.pdf``: encrypted with an owner password only, which every reader opens;
- ``pdf/nested.pdf``, ``pdf/pages.pdf``: bombs written by hand (objects nested 50,000 deep;
  a page tree of 2,500 pages).

    .venv/bin/python tests/data/formats-src/make_rulebook_pdfs.py
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import EncryptionMethod

DATA = Path(__file__).resolve().parent.parent
TITLE = "Lantern Community Rulebook"
HEADER = f"{TITLE} - 2026 edition"
FONT_SIZE = 10
LINE_MM = 5.0
MARGIN_MM = 18.0
GUTTER_MM = 8.0
TOP_MM = 28.0
BOTTOM_MM = 270.0
# The rulebook's text, page by page, paragraph by paragraph.
PAGES: tuple[tuple[str, ...], ...] = (
    (
        "Welcome to the Lantern community. These rules describe how members, moderators and "
        "administrators work together in the server, and what happens when somebody breaks "
        "them. Every member accepts the rules when joining, and the moderators apply them "
        "consistently to everyone, including long-standing members and well-known creators.",
        "Membership is open to anybody aged thirteen or older. New members receive the "
        "newcomer role automatically and can read every public channel immediately, but "
        "posting in the marketplace requires the verified role, which a moderator grants "
        "after the newcomer has introduced themselves in the introductions channel.",
        "The administrators maintain the server's configuration, the moderation bots and the "
        "permission structure. They appoint moderators after a public nomination period of "
        "fourteen days, during which members may comment on each candidate's suitability.",
    ),
    (
        "Conversations in the text channels stay friendly and on topic. Harassment, "
        "discrimination, threats and deliberately inflammatory messages are removed "
        "immediately, and the author receives a written warning from the moderation team.",
        "Advertising is allowed only in the self-promotion channel, once a week per member. "
        "Unsolicited direct messages advertising servers, products or giveaways are treated "
        "as spam, and repeated spamming results in a permanent ban without further warning.",
        "Sharing personal information about other people, including their addresses, "
        "photographs or employment details, is forbidden. Spoilers for recently released "
        "films and games belong inside spoiler tags for two weeks after the release date.",
    ),
    (
        "Voice channels follow the same conduct rules as text channels. A moderator may "
        "temporarily mute a disruptive member in voice for up to thirty minutes without "
        "consulting anyone; longer restrictions need the agreement of a second moderator.",
        "Community events, such as quiz evenings, tournaments and listening parties, are "
        "announced in the events channel at least three days beforehand. The organizer "
        "reserves the stage channel, explains the event's rules at the beginning and records "
        "the results afterwards so that the administrators can distribute prizes fairly.",
        "Recording voice conversations requires the explicit permission of everybody present. "
        "Streams of games are welcome in the streaming channels, provided the audio contains "
        "no copyrighted music that could get the community's recordings taken down.",
    ),
    (
        "Members who disagree with a moderation decision may appeal within fourteen days by "
        "opening a ticket with the appeals bot. A different moderator, never the one who made "
        "the original decision, reviews the evidence and answers within seven days.",
        "The administrators publish an anonymised summary of moderation statistics every "
        "quarter, listing warnings, temporary mutes, kicks and bans, so that members can "
        "judge whether the rules are applied consistently. These rules themselves are "
        "reviewed every year in an open discussion, and the updated rulebook is published "
        "in the announcements channel before it takes effect, a long-standing tradition.",
    ),
)


class Rulebook(FPDF):
    """The rulebook's pages: its header on top, "Page n of N" at the bottom."""

    def header(self) -> None:
        self.set_font("Helvetica", "I", 9)
        self.set_xy(MARGIN_MM, 12)
        self.cell(0, 6, HEADER, align="C")

    def footer(self) -> None:
        self.set_font("Helvetica", "I", 9)
        self.set_xy(MARGIN_MM, 280)
        self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="C")


def main() -> None:
    (DATA / "pdf").mkdir(exist_ok=True)
    rulebook().output(str(DATA / "formats" / "rulebook.pdf"))
    scan().output(str(DATA / "pdf" / "scan.pdf"))
    for name, user_password in (("locked.pdf", "lantern"), ("restricted.pdf", "")):
        document = plain_document("Only the owner of this file may change it.")
        document.set_encryption(
            owner_password="owner-secret",
            user_password=user_password,
            encryption_method=EncryptionMethod.RC4,
        )
        document.output(str(DATA / "pdf" / name))
    (DATA / "pdf" / "nested.pdf").write_bytes(nested_bomb(50_000))
    (DATA / "pdf" / "pages.pdf").write_bytes(many_pages(2_500))


def rulebook() -> FPDF:
    """Two columns a page, filled line by line as a typesetter fills them."""
    pdf = Rulebook(format="A4")
    pdf.set_title(TITLE)
    pdf.set_auto_page_break(False)
    width = (210 - 2 * MARGIN_MM - GUTTER_MM) / 2
    for paragraphs in PAGES:
        pdf.add_page()
        pdf.set_font("Helvetica", size=FONT_SIZE)
        lines: list[str | None] = []  # None: the space between paragraphs
        for paragraph in paragraphs:
            lines.extend(wrap(pdf, paragraph, width))
            lines.append(None)
        per_column = int((BOTTOM_MM - TOP_MM) / LINE_MM)
        half = min(per_column, (len(lines) + 1) // 2)
        while lines[half - 1] is not None and half < len(lines):  # a column ends a paragraph
            half += 1
        assert half <= per_column, "a page's text does not fit its two columns"
        for column, chunk in enumerate((lines[:half], lines[half:])):
            x = MARGIN_MM + column * (width + GUTTER_MM)
            y = TOP_MM
            for line in chunk:
                if line is not None:
                    pdf.text(x, y, line)
                y += LINE_MM
    return pdf


def wrap(pdf: FPDF, paragraph: str, width: float) -> list[str]:
    """Lines of at most ``width``; a word that does not fit is broken at its hyphen, or, when
    long, after a few letters with a hyphen added, as hyphenation does."""
    lines: list[str] = []
    line = ""
    for word in paragraph.split():
        candidate = f"{line} {word}".strip()
        if pdf.get_string_width(candidate) <= width:
            line = candidate
            continue
        head, tail = _break(pdf, line, word, width)
        if head:
            lines.append(f"{line} {head}".strip())
            line = tail
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def _break(pdf: FPDF, line: str, word: str, width: float) -> tuple[str, str]:
    """Where ``word`` breaks to end ``line``: ("self-", "promotion"), ("infor-", "mation")."""
    if "-" in word:
        first, _, rest = word.partition("-")
        if pdf.get_string_width(f"{line} {first}-") <= width:
            return f"{first}-", rest
        return "", word
    letters = len(word.rstrip(".,;:'"))
    if letters < 8:
        return "", word
    for cut in range(letters - 3, 3, -1):
        if pdf.get_string_width(f"{line} {word[:cut]}-") <= width:
            return f"{word[:cut]}-", word[cut:]
    return "", word


def scan() -> FPDF:
    """A page that is only a picture of text: what a scanner without OCR saves."""
    from PIL import Image, ImageDraw

    picture = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(picture)
    for row in range(40):
        draw.rectangle((40, 40 + row * 18, 560 - (row * 37) % 200, 50 + row * 18), fill=30)
    pdf = FPDF(format="A4")
    pdf.add_page()
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    pdf.image(buffer, x=10, y=10, w=190)
    return pdf


def plain_document(text: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 6, text)
    return pdf


def nested_bomb(depth: int) -> bytes:
    """A one-page PDF whose page holds an array nested ``depth`` deep."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Bomb "
            + b"[" * depth
            + b"]" * depth
            + b" >>",
        ]
    )


def many_pages(count: int) -> bytes:
    """A PDF of ``count`` empty pages: a small file, a long page tree."""
    kids = b" ".join(f"{3 + n} 0 R".encode() for n in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(count).encode() + b" >>",
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * count
    return _pdf(objects)


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file of ``objects`` (numbered from 1, the first the catalog), with a correct
    cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


if __name__ == "__main__":
    main()
