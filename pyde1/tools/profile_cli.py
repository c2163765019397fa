"""``pyde1-profile``: check a profile and show the exact writes that load it into a DE1.

    pyde1-profile plan FILE [--json]

FILE is a JSON v2 profile, or a de1app Tcl profile (``.tcl``, or any file that does not start
with ``{``), which is converted first exactly as ``de1-profile-as-json -i FILE`` would convert it.
Exit status: 0 planned (warnings go to stderr), 2 the file is invalid or cannot be read.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import sys
from typing import TextIO

from pyde1.profile import ProfileError, UploadPlan, parse_profile, plan_upload
from pyde1.profile.plan import HEADER_WRITE_UUID, WRITE_TO_MMR_UUID
from pyde1.protocol.enums import FrameFlag
from pyde1.protocol.frames import ShotExtFrame, ShotFrame, ShotTail

PROG = "pyde1-profile"
EXIT_OK = 0
EXIT_INVALID = 2


class _Invalid(Exception):
    """One line for stderr: what is wrong with the file."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Check DE1 profiles and show how they are uploaded.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    plan = commands.add_parser(
        "plan", help="show the writes that load a profile into a DE1",
        description="Read a JSON v2 (or de1app Tcl) profile and print its upload plan.")
    plan.add_argument("file", metavar="FILE", help="profile file (.json, or .tcl)")
    plan.add_argument("--json", action="store_true",
                      help="print one JSON object instead of text")
    return parser


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    args = build_parser().parse_args(argv)
    try:
        plan = load_plan(args.file)
    except _Invalid as error:
        print(f"{args.file}: {error}", file=stderr)
        return EXIT_INVALID
    for warning in plan.warnings:
        print(f"{args.file}: warning: {warning}", file=stderr)
    if args.json:
        stdout.write(json.dumps(plan.as_json()) + "\n")
    else:
        stdout.write(describe(plan))
    return EXIT_OK


def load_plan(file_name: str) -> UploadPlan:
    """Read, convert if Tcl, parse and plan; every failure becomes one ``_Invalid`` line."""
    path = pathlib.Path(file_name)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _Invalid(f"cannot read: {error.strerror or error}") from None
    if _looks_like_tcl(path, data):
        data = _tcl_source(file_name, path, data)
    try:
        return plan_upload(parse_profile(data))
    except ProfileError as error:
        raise _Invalid(f"{error.path}: {error.reason}") from None


def _looks_like_tcl(path: pathlib.Path, data: bytes) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".tcl":
        return True
    if suffix == ".json":
        return False
    return not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _tcl_source(file_name: str, path: pathlib.Path, data: bytes) -> bytes:
    """The JSON bytes ``de1-profile-as-json -i FILE`` writes (the id is their hash). The file's
    modification time stands in for "now" in ``creator.timestamp`` so the id is repeatable."""
    try:
        from pyde1.profile.tcl import TclProfileError, tcl_to_json_profile
    except ImportError:
        raise _Invalid("Tcl support not available") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # old de1app files; every byte maps to a character
    created = datetime.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    try:
        document = tcl_to_json_profile(text, reference_file=file_name, created_at=created)
    except TclProfileError as error:
        raise _Invalid(f"{error.key}: {error.reason} (Tcl profile)") from None
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- text output ------------------------------------------------------------------------------

def _number(value: float) -> str:
    return f"{value:g}"


def _describe_frame(frame: ShotFrame) -> str:
    flags = frame.flags
    is_flow = FrameFlag.CtrlF in flags
    parts = [f"frame {frame.frame_to_write}:",
             f"{'flow' if is_flow else 'pressure'} {_number(frame.set_val)}"
             f"{' ml/s' if is_flow else ' bar'}",
             "smooth" if FrameFlag.Interpolate in flags else "fast",
             f"{_number(frame.temp)} °C {'water' if FrameFlag.TMixTemp in flags else 'coffee'},",
             f"{_number(frame.frame_len)} s"]
    if frame.max_vol:
        parts.append(f"or {frame.max_vol} ml")
    if FrameFlag.DoCompare in flags:
        compare_flow = FrameFlag.DC_CompF in flags
        parts.append(f"or {'flow' if compare_flow else 'pressure'} "
                     f"{'over' if FrameFlag.DC_GT in flags else 'under'} "
                     f"{_number(frame.trigger_val)}{' ml/s' if compare_flow else ' bar'}")
    return " ".join(parts)


def _describe_write(plan: UploadPlan, index: int) -> str:
    write = plan.writes[index]
    if write.uuid == HEADER_WRITE_UUID:
        header = plan.header
        return (f"header: {header.number_of_frames} frames, "
                f"{header.number_of_preinfuse_frames} preinfusion")
    if write.uuid == WRITE_TO_MMR_UUID:
        return f"TANK_TEMP = {plan.tank_temperature} °C"
    record = [*plan.frames, *plan.extension_frames, plan.tail][index - 1]
    if isinstance(record, ShotFrame):
        return _describe_frame(record)
    if isinstance(record, ShotExtFrame):
        return (f"limiter of frame {record.frame_index}: "
                f"{_number(record.max_flow_or_pressure)} ± "
                f"{_number(record.max_flow_or_pressure_range)}")
    assert isinstance(record, ShotTail)
    return "tail"


def describe(plan: UploadPlan) -> str:
    def target(value: float | None, unit: str) -> str:
        if value is None:
            return "not set (the current limit stays)"
        return f"{_number(value)} {unit}" if value > 0 else "none"

    names = {HEADER_WRITE_UUID: "HeaderWrite", WRITE_TO_MMR_UUID: "WriteToMMR"}
    move_on = ", ".join("-" if w is None else _number(w) for w in plan.move_on_weight)
    lines = [
        f"title:            {plan.title if plan.title is not None else '(none)'}",
        f"id:               {plan.id}",
        f"fingerprint:      {plan.fingerprint}",
        f"frames:           {len(plan.frames)} ({plan.number_of_preinfuse_frames} preinfusion),"
        f" {len(plan.extension_frames)} limiter",
        f"target weight:    {target(plan.target_weight, 'g')}",
        f"target volume:    {target(plan.target_volume, 'ml')}",
        f"move-on weight:   {move_on or 'none'}",
        "writes:",
    ]
    for index, write in enumerate(plan.writes):
        name = names.get(write.uuid, "FrameWrite")
        lines.append(f"  {name:<11} {write.uuid[4:8]}  {write.payload.hex(' '):<23}  "
                     f"{_describe_write(plan, index)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
