"""Writes ``tests/data/formats/handbook.docx`` with python-docx: a titled Word document with
headings, paragraphs and a table, as an office tool saves one.

    .venv/bin/python tests/data/formats-src/make_handbook_docx.py

The HTML pages beside it are a MkDocs 1.6 build of ``mkdocs.yml`` and ``docs/`` here (its
default theme: navigation, header, footer, search box and scripts around the content):
``mkdocs build`` in this folder, then the three pages copied from ``site/``.
"""

from pathlib import Path

import docx

TARGET = Path(__file__).resolve().parent.parent / "formats" / "handbook.docx"


def main() -> None:
    document = docx.Document()
    document.core_properties.title = "Lantern Operations Handbook"
    document.add_heading("Lantern Operations Handbook", level=0)
    document.add_paragraph(
        "This handbook is for the volunteers who run the community's Lantern server. It covers "
        "monitoring the server, the alerts it raises and how upgrades are scheduled."
    )
    document.add_heading("Monitoring", level=1)
    document.add_paragraph(
        "The server exposes its health on the status page, which the monitoring robot reads "
        "every minute. A volunteer on call watches the dashboard during the evening hours."
    )
    document.add_heading("Alerts", level=2)
    document.add_paragraph(
        "An alert is raised when a measurement stays past its threshold for five minutes. The "
        "on-call volunteer acknowledges the alert in the chat channel before working on it."
    )
    table = document.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ("Measurement", "Threshold", "Action"), strict=True):
        cell.text = text
    for row in (
        ("Disk usage", "90 percent", "Prune old backups"),
        ("Response time", "2 seconds", "Restart the worker pool"),
        ("Failed logins", "50 per hour", "Block the address range"),
    ):
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    document.add_heading("Upgrades", level=1)
    document.add_paragraph(
        "Upgrades happen on the first Sunday of the month, after the nightly backup has "
        "finished. The volunteer announces the maintenance window a week ahead in the news "
        "channel and keeps the previous package ready to roll back."
    )
    document.save(TARGET)


if __name__ == "__main__":
    main()
