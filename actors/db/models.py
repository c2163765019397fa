"""peewee models for every schema-3 table, built for one database object at run time.

The tables themselves are created from the DDL text in ``pyde1.db.schema`` (so the file's
schema is exactly the documented one); these models only read and write them. Every
column is a ``BareField``: values go to SQLite untouched and its column affinity stores
them as pyDE1 does (e.g. ``bluedot_update.alarm_byte`` "00" becomes the integer 0).
"""

from __future__ import annotations

import peewee as pw

from pyde1.db import schema

PRIMARY_KEYED = {"profile": "id", "sequence": "id"}


def build_models(database: pw.Database) -> dict[str, type[pw.Model]]:
    """Table name -> model class bound to ``database`` (which may still be uninitialised)."""
    models: dict[str, type[pw.Model]] = {}
    for table, columns in schema.tables(schema.SCHEMA_VERSION).items():
        pk = PRIMARY_KEYED.get(table)
        attrs: dict[str, object] = {}
        for column in columns:
            if column.name == pk:
                attrs[column.name] = pw.BareField(column_name=column.name, primary_key=True)
            else:
                attrs[column.name] = pw.BareField(column_name=column.name, null=True)
        meta = {"database": database, "table_name": table}
        if pk is None:
            meta["primary_key"] = False
        attrs["Meta"] = type("Meta", (), meta)
        class_name = "".join(part.title() for part in table.split("_")) + "Row"
        models[table] = type(class_name, (pw.Model,), attrs)
    return models
