"""The log as a file: CSV for spreadsheets (formulas made inert) or JSON lines for scripts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import IO, Any, Literal

from bot.querylog.backends import stream_rows
from bot.querylog.dialect import LogConnection, dialect_of
from bot.querylog.filters import Filters
from bot.querylog.records import EXPORT_COLUMNS, ROW_COLUMNS
from bot.querylog.scope import Scope, both

ExportFormat = Literal["csv", "jsonl"]


def export_rows(conn: LogConnection, scope: Scope, filters: Filters) -> Iterator[tuple[Any, ...]]:
    """Every row in ``scope`` matching ``filters`` as a tuple in ``EXPORT_COLUMNS`` order,
    oldest first.

    Rows are fetched a batch at a time and never built into objects: 100k rows take a second.
    """
    where, params = both(scope.where(), filters.where(dialect_of(conn)))
    sql = f"SELECT {ROW_COLUMNS} FROM queries q WHERE {where} ORDER BY q.id"
    yield from stream_rows(conn, sql, params)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: a member's question or name opening with ``=``,
    ``+``, ``-`` or ``@`` would be run as a formula by whoever opens the export, so it gets a
    leading ``'`` (OWASP's advice). Numbers are left alone; JSON lines are for scripts, as is."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def export(
    conn: LogConnection, scope: Scope, filters: Filters, fmt: ExportFormat, out: IO[bytes]
) -> int:
    """Write the rows in ``scope`` matching ``filters`` to ``out`` as CSV (with a header,
    formulas made inert) or JSON lines; returns how many."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    count = 0
    try:
        if fmt == "csv":
            writer = csv.writer(text)
            writer.writerow(EXPORT_COLUMNS)
            for row in export_rows(conn, scope, filters):
                writer.writerow([_inert_cell(value) for value in row])
                count += 1
        else:
            results = EXPORT_COLUMNS.index("results")
            for row in export_rows(conn, scope, filters):
                values = dict(zip(EXPORT_COLUMNS, row, strict=True))
                values["results"] = json.loads(row[results])
                text.write(json.dumps(values, ensure_ascii=False) + "\n")
                count += 1
        text.flush()
    finally:
        text.detach()
    return count
