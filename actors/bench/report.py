"""``python -m actors.bench.report bench.json``: a ``scripts/bench --json`` document as Markdown
tables (one per benchmark: figure, unit, runs, min / median / max, note), for
docs/performance.md. Copying figures by hand is how a table and its JSON drift apart."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:,}" if isinstance(value, int) else str(value)


def render(doc: dict) -> str:
    machine = doc.get("machine", {})
    lines = [f"Run of {doc.get('started', '?')}, git `{doc.get('git_revision', '?')}`, "
             f"{machine.get('cpus', '?')} CPUs, {machine.get('memory_mb', '?')} MB, "
             f"Python {machine.get('python', '?')}, {machine.get('platform', '?')}.", ""]
    for name, bench in doc.get("benchmarks", {}).items():
        lines.append(f"### `{name}`: {bench.get('description', '')}")
        lines.append("")
        if "error" in bench:
            lines += [f"Failed: `{bench['error']}`", ""]
            continue
        lines.append(f"{bench.get('seconds', '?')} s.")
        lines.append("")
        lines.append("| figure | unit | runs | min | median | max | note |")
        lines.append("|---|---|---|---|---|---|---|")
        for f in bench.get("figures", []):
            note = str(f.get("note", "")).replace("|", "/")
            lines.append(f"| {f['figure']} | {f['unit']} | {f['runs']} | {_number(f['min'])} | "
                         f"{_number(f['median'])} | {_number(f['max'])} | {note} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m actors.bench.report BENCH.json", file=sys.stderr)
        return 2
    try:
        doc = json.loads(Path(args[0]).read_text())
    except (OSError, ValueError) as exc:
        print(f"cannot read {args[0]}: {exc}", file=sys.stderr)
        return 1
    print(render(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
