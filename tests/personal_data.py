"""Helpers for the tests of a person's data (docs/privacy.md): read the downloaded archive, and
look through the whole database for what could still name someone."""

import io
import json
import zipfile

from django.apps import apps
from django.db import connection, models

from lms.export import EXPORT_HTML_NAME, EXPORT_JSON_NAME

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)  # EmailField, SlugField… are CharFields


def read_export(response) -> tuple[dict, str]:
    """The JSON data and the readable HTML page of a "Mes données" download."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == sorted([EXPORT_HTML_NAME, EXPORT_JSON_NAME])
        return json.loads(archive.read(EXPORT_JSON_NAME)), archive.read(EXPORT_HTML_NAME).decode()


def text_columns() -> list[tuple[type[models.Model], models.Field]]:
    """Every text, char and JSON column of every concrete model of every installed app (each column
    once, in the table that holds it: a child model of multi-table inheritance lists only its own)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        found += [(model, f) for f in model._meta.local_concrete_fields if isinstance(f, TEXT_FIELDS)]
    return found


def traces_of(values: list[str]) -> list[str]:
    """`table.column: value` for each stored value that contains one of `values` (case-insensitive).
    Columns are read as the database stores them (JSON as its text), so nothing escapes a lookup."""
    needles = [v.casefold() for v in values if v]
    tables = set(connection.introspection.table_names())
    found = []
    with connection.cursor() as cursor:
        for model, field in text_columns():
            table, column = model._meta.db_table, field.column
            if table not in tables:
                continue
            qn = connection.ops.quote_name
            cursor.execute(f"SELECT {qn(column)} FROM {qn(table)} WHERE {qn(column)} IS NOT NULL")
            for (stored,) in cursor.fetchall():
                text = stored if isinstance(stored, str) else json.dumps(stored, ensure_ascii=False)
                # JSON may store "é" as \u00e9: read it both ways.
                readable = text
                if isinstance(field, models.JSONField):
                    try:
                        readable = json.dumps(json.loads(text), ensure_ascii=False)
                    except ValueError:
                        pass
                folded = (text + "\n" + readable).casefold()
                for needle in needles:
                    if needle in folded:
                        found.append(f"{table}.{column}: {text[:120]!r}")
    return found
