"""Web pages, Word documents and PDFs through the real bot: /ask cites the section a passage is
in (a PDF's page) and links to its anchor, /source shows it; a broken file is one warning and
the rest answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.e2e.helpers import BOT_ARGV, bot_env, results_of, wait_for_rows
from tests.fakediscord.harness import fake_and_bot

pytest_plugins = ["tests.fakediscord.pytest_plugin"]
pytestmark = pytest.mark.timeout(90)

HOSTILE_PAGE = """<html><head><title>Free nitro</title>
<link rel="canonical" href="javascript:alert(document.cookie)"></head><body>
<script>steal()</script><main><h2 id="claim">Claim the nitro giveaway</h2>
<p>The nitro giveaway closes on Friday; the moderators draw the winner in the voice channel
while everyone watches, and the prize is sent by direct message within a day.</p></main>
</body></html>"""


async def test_pages_word_documents_and_pdfs_are_cited_by_section(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(DATA / "formats", corpus)
    (corpus / "giveaway.html").write_text(HOSTILE_PAGE, encoding="utf-8")
    (corpus / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    shutil.copy(DATA / "pdf" / "scan.pdf", corpus / "scan.pdf")
    database = tmp_path / "log.db"
    env = bot_env(corpus, database, passage_min_words=80, passage_max_words=250)
    async with fake_and_bot(BOT_ARGV, env, name="formats") as (fake, bot):
        await bot.wait_for_output(r"corpus: 6 documents, \d+ passages, \d+ terms; skipped 2: ")
        assert "broken.docx is not a valid Word document (damaged zip" in bot.output
        assert "scan.pdf: no text: scanned?" in bot.output

        ask = await fake.send_command("ask", {"question": "install Lantern on Linux with apt"})
        answer = await ask.wait_for_message()
        first_quote, first_citation = answer.embeds[0]["description"].split("\n\n")[0].splitlines()
        assert "**apt**" in first_quote
        assert first_citation.startswith(
            "— [Installation - Lantern Server Guide › Installation › Linux]"
            "(https://docs.lantern.example/install.html#linux) · `install#2` · score "
        )
        row = (await wait_for_rows(database, 1, "interaction_id = ?", (int(ask.id),)))[0]
        assert results_of(row)[0]["id"] == "install#2"

        press = await fake.send_component(answer, "cb:open:install#2")
        [embed] = (await press.wait_for_message()).embeds
        assert embed["url"] == "https://docs.lantern.example/install.html#linux"
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["Section"] == "Installation › Linux"
        assert fields["Source"] == "`https://docs.lantern.example/install.html#linux`"

        word = await fake.send_command("ask", {"question": "disk usage threshold", "results": 1})
        text = (await word.wait_for_message()).embeds[0]["description"]
        assert "— Lantern Operations Handbook › Monitoring › Alerts · `handbook#3`" in text

        pdf = await fake.send_command("ask", {"question": "how long may a moderator mute voice"})
        pdf_answer = await pdf.wait_for_message()
        text = pdf_answer.embeds[0]["description"]
        assert "— Lantern Community Rulebook › p. 3 · `rulebook#3`" in text.split("\n\n")[0]
        press = await fake.send_component(pdf_answer, "cb:open:rulebook#3")
        [embed] = (await press.wait_for_message()).embeds
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert (fields["Section"], fields["Source"]) == ("p. 3", "`rulebook.pdf`")
        assert "thirty minutes" in embed["description"]

        hostile = await fake.send_command("ask", {"question": "nitro giveaway winner"})
        text = (await hostile.wait_for_message()).embeds[0]["description"]
        assert "— Free nitro › Claim the nitro giveaway · `giveaway#1`" in text
        assert "javascript" not in text and "steal" not in text
        source = await fake.send_command("source", {"id": "giveaway#1"})
        [embed] = (await source.wait_for_message()).embeds
        assert "url" not in embed
        assert {f["name"]: f["value"] for f in embed["fields"]}["Source"] == "`giveaway.html`"
