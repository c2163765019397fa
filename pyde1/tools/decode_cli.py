"""pyde1-decode: decode one DE1 packet, e.g. from a log or a Bluetooth capture.

    pyde1-decode CHARACTERISTIC HEX [--json] [--write]

CHARACTERISTIC is a short UUID (``a00d``), a full UUID or a name (``ShotSample``). HEX may contain
spaces, colons or a ``0x`` prefix, and may be split over several arguments. ``--json`` prints one
JSON object: pyDE1's MQTT event field names for ShotSample, StateInfo and WaterLevels, the
reference's field names otherwise. ``--write`` decodes the payload a client writes (this matters
for ReadFromMMR: a request instead of a response). A bad packet exits with status 2 and one line
on stderr naming the characteristic, the length and the reason.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any, Sequence

from pyde1.protocol.errors import DecodeError, UnknownCharacteristicError
from pyde1.protocol.registry import (
    decode_notification, decode_write, packet_to_dict, packet_to_event_dict,
)
from pyde1.protocol.uuids import characteristic

PROG = "pyde1-decode"


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        sys.stderr.write(f"{PROG}: {message}\n")
        raise SystemExit(2)


def _parse_hex(parts: Sequence[str]) -> bytes:
    text = "".join(parts)
    text = re.sub(r"0x", "", text, flags=re.IGNORECASE)
    text = re.sub(r"[\s:,\-]", "", text)
    if len(text) % 2:
        raise ValueError(f"odd number of hex digits ({len(text)})")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError("not hexadecimal: " + "".join(parts)) from None


def _bytes(count: int) -> str:
    return f"{count} byte" if count == 1 else f"{count} bytes"


def _format_text(value: Any, indent: int = 2) -> list[str]:
    pad = " " * indent
    lines = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines.extend(_format_text(item, indent + 2))
        elif isinstance(item, list) and item and isinstance(item[0], dict):
            lines.append(f"{pad}{key}:")
            for i, element in enumerate(item):
                lines.append(f"{pad}  [{i}]")
                lines.extend(_format_text(element, indent + 4))
        else:
            lines.append(f"{pad}{key}: {item}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = _ArgumentParser(prog=PROG, description="Decode one DE1 Bluetooth packet.")
    parser.add_argument("characteristic", help="a00d, a full UUID or a name such as ShotSample")
    parser.add_argument("hex", nargs="+", help="packet bytes in hexadecimal")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--write", action="store_true",
                        help="decode as written by a client (ReadFromMMR request)")
    args = parser.parse_args(argv)

    try:
        char = characteristic(args.characteristic)
    except UnknownCharacteristicError as exc:
        sys.stderr.write(f"{PROG}: {exc}\n")
        return 2
    label = f"{char.name} ({char.short})"
    try:
        data = _parse_hex(args.hex)
    except ValueError as exc:
        sys.stderr.write(f"{PROG}: {label}: bad hex: {exc}\n")
        return 2
    try:
        packet = (decode_write if args.write else decode_notification)(char, data)
    except DecodeError as exc:
        sys.stderr.write(f"{PROG}: {label}: {_bytes(len(data))}: {exc.reason}\n")
        return 2

    if args.json:
        print(json.dumps(packet_to_event_dict(packet)))
    else:
        kind = type(packet).__name__
        print(f"{label}, {_bytes(len(data))}: {kind}")
        print("\n".join(_format_text(packet_to_dict(packet))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
