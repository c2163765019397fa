"""``de1-profile-as-json``: convert a de1app Tcl profile to a JSON v2.1 profile.

Same options as pyDE1's program, with its defects fixed: ``-o`` alone writes that file,
``-d`` is honoured for every input (and created when missing).
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import re
import sys
from typing import BinaryIO, TextIO

from pyde1.profile.tcl import TclProfileError, tcl_to_json_profile
from pyde1.profile.visualizer import (
    DEFAULT_BASE_URL, DEFAULT_TIMEOUT, VisualizerError, VisualizerValueError, decode_text,
    download_profile,
)

PROG = "de1-profile-as-json"
EXIT_OK = 0
EXIT_FAILED = 1          # could not read, download or write
EXIT_INVALID = 2         # bad arguments or a profile that cannot be converted

EPILOG = """\
Input is standard input unless -i or -v is given. Output goes to standard output unless -o
or -d is given: -o FILE writes FILE (inside DIR with -d); -d DIR alone writes
DIR/<input name>.json for -i, DIR/<title>.json for -v and standard input.
Exit status: 0 done, 1 read/download/write failed, 2 bad arguments or profile."""


class CliError(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Convert a de1app (Tcl) profile to JSON profile v2.1.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-a", "--author", help="replace the author field")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("-i", "--input", help="read the Tcl profile from this file")
    source.add_argument("-v", "--visualizer",
                        help="a Visualizer share code (4 characters) or profile URL")
    parser.add_argument("-o", "--output", help="output file name")
    parser.add_argument("-d", "--dir", help="output directory")
    parser.add_argument("-f", "--force", action="store_true",
                        help="overwrite an existing output file")
    parser.add_argument("--visualizer-base", default=DEFAULT_BASE_URL, metavar="URL",
                        help=f"Visualizer server for share codes (default {DEFAULT_BASE_URL})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"network timeout for -v (default {DEFAULT_TIMEOUT:g})")
    return parser


def main(argv: list[str] | None = None, *, stdin: BinaryIO | None = None,
         stdout: BinaryIO | None = None, stderr: TextIO | None = None) -> int:
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout.buffer
    stderr = stderr if stderr is not None else sys.stderr
    args = build_parser().parse_args(argv)
    started = datetime.datetime.now().astimezone()
    try:
        text, reference_file, source_name = _read_source(args, stdin)
        try:
            profile = tcl_to_json_profile(text, author=args.author,
                                          reference_file=reference_file, created_at=started)
        except TclProfileError as error:
            raise CliError(f"{source_name}: {_already_json_hint(text) or error}",
                           EXIT_INVALID) from None
        payload = (json.dumps(profile, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        target = _output_path(args, profile)
        if target is None:
            stdout.write(payload)
            stdout.flush()
        else:
            _write_file(target, payload, args.force, stderr)
    except CliError as error:
        print(f"{PROG}: error: {error}", file=stderr)
        return error.status
    return EXIT_OK


def _read_source(args: argparse.Namespace, stdin: BinaryIO) -> tuple[str, str | None, str]:
    """Return (profile text, reference_file value, name used in messages)."""
    if args.input is not None:
        try:
            data = pathlib.Path(args.input).read_bytes()
        except OSError as error:
            raise CliError(f"cannot read {args.input}: {error.strerror or error}",
                           EXIT_FAILED) from None
        return decode_text(data), args.input, args.input
    if args.visualizer is not None:
        try:
            downloaded = download_profile(args.visualizer, base_url=args.visualizer_base,
                                          timeout=args.timeout)
        except VisualizerError as error:
            status = EXIT_INVALID if isinstance(error, VisualizerValueError) else EXIT_FAILED
            raise CliError(f"Visualizer: {error}", status) from None
        return downloaded.text, downloaded.url, downloaded.url
    return decode_text(stdin.read()), None, "<stdin>"


def _already_json_hint(text: str) -> str | None:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if isinstance(document, dict):
        return "this is already a JSON profile, not a de1app Tcl profile"
    return None


def _output_path(args: argparse.Namespace, profile: dict) -> pathlib.Path | None:
    if args.output is None and args.dir is None:
        return None
    if args.output is not None:
        name = pathlib.Path(args.output)
    elif args.input is not None:
        name = pathlib.Path(pathlib.Path(args.input).name).with_suffix(".json")
    else:
        name = pathlib.Path(title_file_name(profile.get("title")))
    return pathlib.Path(args.dir) / name if args.dir is not None else name


def title_file_name(title: object) -> str:
    """``<title with characters other than [A-Za-z0-9_.-] replaced by _>.json``."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", title if isinstance(title, str) else "")
    if not stem.strip("."):
        stem = "profile"
    return f"{stem}.json"


def _write_file(target: pathlib.Path, payload: bytes, force: bool, stderr: TextIO) -> None:
    try:
        if target.parent != pathlib.Path(""):
            target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            if not force:
                raise CliError(f"{target} exists (use -f to overwrite)", EXIT_FAILED)
            _log(stderr, f"Overwriting {target}")
        target.write_bytes(payload)
    except OSError as error:
        raise CliError(f"cannot write {target}: {error.strerror or error}", EXIT_FAILED) from None
    _log(stderr, f"Output written to {target}")


def _log(stderr: TextIO, message: str) -> None:
    stamp = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    print(f"{stamp} {message}", file=stderr)


if __name__ == "__main__":
    sys.exit(main())
