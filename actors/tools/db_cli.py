"""``pyde1-db``: look at, export and import recorded sequences.

    pyde1-db [-c C] [-d DATABASE] list [--limit N] [--offset N]
    pyde1-db [-c C] [-d DATABASE] export --sequence ID|last [--format json|csv|shot] [--table T] [-o FILE]
    pyde1-db [-c C] [-d DATABASE] import FILE
    pyde1-db [-c C] [-d DATABASE] migrate
    pyde1-db schema [--version 1|2|3]

The database is ``database.FILENAME`` of pyde1.conf (``-c``), or ``-d``. ``list`` and
``export`` open it read-only; ``import`` and ``migrate`` write (after creating or migrating
it as the service would, with a backup). Exit status: 0 ok, 1 a problem (on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from actors.db.importer import SequenceExistsError, import_sequence
from actors.db.opening import prepare_database
from actors.db.reader import last_sequence_id, list_sequences, open_readonly, read_sequence, shot_file_text
from pyde1.db import schema
from pyde1.db.errors import DatabaseOpenError, IncompleteSequenceError, SequenceNotFoundError
from pyde1.db.export import ExportFormatError, from_json, to_csv, to_json
from pyde1.db.mapping import TABLE_COLUMNS

PROBLEMS = (DatabaseOpenError, SequenceNotFoundError, IncompleteSequenceError, ExportFormatError,
            SequenceExistsError, OSError)


class UsageError(ValueError):
    pass


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyde1-db", description="Look at, export and import recorded sequences.")
    p.add_argument("-c", metavar="C", help="pyde1 config file (for database.FILENAME)")
    p.add_argument("-d", "--database", metavar="FILE", help="database file (overrides the config)")
    sub = p.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="recorded sequences, newest first")
    ls.add_argument("--limit", type=int, default=20)
    ls.add_argument("--offset", type=int, default=0)
    ex = sub.add_parser("export", help="one sequence as JSON, CSV or a legacy shot file")
    ex.add_argument("--sequence", "-s", required=True, metavar="ID", help="sequence id, or 'last'")
    ex.add_argument("--format", "-f", choices=("json", "csv", "shot"), default="json")
    ex.add_argument("--table", default="shot_sample_with_volume_update",
                    help="table for --format csv (default shot_sample_with_volume_update; 'sequence' for the "
                         "master row)")
    ex.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    im = sub.add_parser("import", help="add a sequence exported with --format json")
    im.add_argument("file", metavar="FILE")
    sub.add_parser("migrate", help="create or migrate the database as pyde1-run would")
    sc = sub.add_parser("schema", help="print the DDL of a schema version")
    sc.add_argument("--version", type=int, choices=schema.KNOWN_VERSIONS, default=schema.SCHEMA_VERSION)
    return p


def database_path(args: argparse.Namespace) -> str:
    if args.database:
        return args.database
    from pyde1.config import load_config

    return load_config(args.c).database.FILENAME


def run(args: argparse.Namespace) -> str:
    """Do the command; return what goes to stdout."""
    if args.command == "schema":
        return schema.script(schema.create_statements(args.version))
    path = database_path(args)
    if args.command == "migrate":
        report = prepare_database(path)
        if report.created:
            return f"created {path} (schema {report.version})\n"
        if report.actions:
            return f"{path}: {'; '.join(report.actions)}; backup in {report.backup}\n"
        return f"{path}: schema {report.version}, nothing to do\n"
    if args.command == "import":
        seq = from_json(_export_text(Path(args.file)))
        added = import_sequence(path, seq)
        return f"imported sequence {seq.sequence_id}: {added} rows\n"
    conn = open_readonly(path)
    try:
        if args.command == "list":
            if not (0 <= args.limit < 2**63 and 0 <= args.offset < 2**63):  # SQLite's integers are 64-bit
                raise UsageError("--limit and --offset must be >= 0 and below 2**63")
            rows = list_sequences(conn, args.limit, args.offset)
            return "".join(_list_line(r) for r in rows) or "no sequences\n"
        sid = args.sequence
        if sid == "last":
            sid = last_sequence_id(conn)
            if sid is None:
                raise SequenceNotFoundError("last")
        if args.format == "shot":
            return shot_file_text(conn, sid)
        if args.format == "csv":
            if args.table == "sequence":
                return to_csv("sequence", [read_sequence(conn, sid, ()).master])
            if args.table not in TABLE_COLUMNS:
                raise UsageError(f"--table: unknown table {args.table!r} (known: sequence, {', '.join(TABLE_COLUMNS)})")
            return to_csv(args.table, read_sequence(conn, sid, (args.table,)).tables[args.table])
        return to_json(read_sequence(conn, sid))
    finally:
        conn.close()


def _export_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExportFormatError("document", f"{path} is not UTF-8 text (byte {exc.start}): "
                                "not a pyde1 sequence export") from None


def _list_line(row: dict) -> str:
    start = row.get("start_sequence")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(start)) if start else "-" * 19
    flow = (row["end_flow"] - row["start_flow"]) if row.get("end_flow") and row.get("start_flow") else None
    flow_text = f"{flow:6.1f} s" if flow is not None else "       -"
    return f"{row['id']}  {when}  {row.get('active_state') or '-':<14} {flow_text}  {row.get('profile_id')}\n"


def main(argv: list[str] | None = None) -> int:
    from pyde1.config import ConfigError

    args = build_parser().parse_args(argv)
    try:
        out = run(args)
        if getattr(args, "output", None):
            Path(args.output).write_text(out, encoding="utf-8")
        else:
            sys.stdout.write(out)
    except ConfigError as exc:
        print(f"pyde1-db: configuration has problems:\n{exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"pyde1-db: {exc}", file=sys.stderr)
        return 2
    except PROBLEMS as exc:
        print(f"pyde1-db: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
