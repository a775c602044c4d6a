"""CSV as spreadsheets may open it safely: every cell neutralised against formula injection.

OWASP "CSV Injection": a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is
taken as a formula by spreadsheet programs; such a cell gets a leading `'`, which they show as
text. Every CSV the services emit is written through `csv_text`.

A cell that already starts with quotes before such a character gets one more, so `restore_cell`
(what `crosslink import` applies to every CSV cell) gives back exactly the text that was written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

__all__ = ["FORMULA_STARTS", "csv_text", "restore_cell", "safe_cell"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell as text, with a leading `'` when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text  # a number is data; "-3" stays a number
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def restore_cell(text: str) -> str:
    """The text `safe_cell` was given: one leading `'` dropped before a formula character."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A whole CSV document (header first), every cell through `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
