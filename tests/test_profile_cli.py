"""pyde1-profile plan: JSON output shape, text output, one-line errors with exit status 2."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pyde1.tools import profile_cli

DATA = Path(__file__).parent / "data" / "profiles"
FIXTURE = DATA / "hand_derived.json"
SHARED = Path(__file__).resolve().parents[2] / "shared"
TCL_CORPUS = SHARED / "corpus" / "profiles-tcl"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = profile_cli.main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_json_output_is_exactly_one_object_with_the_contract_keys():
    status, out, err = run("plan", str(FIXTURE), "--json")
    assert (status, err) == (0, "")
    document = json.loads(out)               # one object, nothing else on stdout
    assert list(document) == ["id", "fingerprint", "title", "number_of_preinfuse_frames",
                              "target_weight", "target_volume", "move_on_weight", "writes"]
    assert document["title"] == "Hand-derived fixture"
    assert document["number_of_preinfuse_frames"] == 1
    assert (document["target_weight"], document["target_volume"]) == (36.0, 0.0)
    assert document["move_on_weight"] == [3.5]
    assert [w["uuid"][4:8] for w in document["writes"]] == ["a00f"] + ["a010"] * 6 + ["a006"]
    assert document["writes"][1] == {"uuid": "0000a010-0000-1000-8000-00805f9b34fb",
                                     "hex": "004760bb8d210465"}


def test_text_output_lists_the_writes():
    status, out, _ = run("plan", str(FIXTURE))
    assert status == 0
    assert "fingerprint:      217135e97451ba448ac91e2e9b4cac30cc24589e" in out
    assert "00 47 60 bb 8d 21 04 65  frame 0: flow 6 ml/s fast 93.5 °C coffee" in out
    assert "TANK_TEMP = 31 °C" in out


def test_warnings_go_to_stderr_and_do_not_fail(tmp_path):
    document = json.loads(FIXTURE.read_bytes())
    document["steps"][0]["seconds"] = 300
    path = tmp_path / "long.json"
    path.write_text(json.dumps(document))
    status, out, err = run("plan", str(path), "--json")
    assert status == 0 and json.loads(out)["writes"][1]["hex"] == "004760bbff210465"
    assert err == f"{path}: warning: steps[0].seconds: 300 s does not fit the DE1's field; " \
                  f"clamped to 127 s\n"


@pytest.mark.parametrize("content, line_end", [
    (b'{"version": "2", "steps": [{"pump": "flow"}]}', "steps[0].flow: is required"),
    (b'{"version": "2", "steps": 3', "$: invalid JSON at line 1 column 28: "
                                      "Expecting ',' delimiter"),
    (b'{"version": "2", "steps": [{"pump": "pressure", "pressure": 17, "transition": "fast", '
     b'"temperature": 90, "sensor": "coffee", "seconds": 3, "volume": 0}]}',
     "steps[0].pressure: 17 bar is more than a DE1 frame can hold (at most 15.9375 bar)"),
])
def test_invalid_file_gives_status_2_and_one_line(tmp_path, content, line_end):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    status, out, err = run("plan", str(path), "--json")
    assert (status, out) == (2, "")
    assert err == f"{path}: {line_end}\n"


def test_missing_file(tmp_path):
    path = tmp_path / "nothing.json"
    status, out, err = run("plan", str(path))
    assert (status, out, err) == (2, "", f"{path}: cannot read: No such file or directory\n")


def test_tcl_without_the_converter_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyde1.profile.tcl", None)   # makes the import fail
    path = tmp_path / "p.tcl"
    path.write_text("advanced_shot {} profile_title x\n")
    status, _, err = run("plan", str(path))
    assert (status, err) == (2, f"{path}: Tcl support not available\n")


def test_tcl_profile_is_converted_then_planned_with_a_repeatable_id():
    pytest.importorskip("pyde1.profile.tcl", reason="the Tcl converter is not in this tree")
    sources = sorted(TCL_CORPUS.glob("*.tcl")) if TCL_CORPUS.is_dir() else []
    if not sources:
        pytest.skip(f"../shared is absent ({TCL_CORPUS} not found)")
    status, out, err = run("plan", str(sources[0]), "--json")
    assert status == 0, err
    again = json.loads(run("plan", str(sources[0]), "--json")[1])
    assert json.loads(out)["id"] == again["id"]
    assert json.loads(out)["writes"][0]["uuid"].startswith("0000a00f")


def test_console_script_exit_status():
    # The installed entry point (setup.cfg) runs main() and passes its status on.
    result = subprocess.run([sys.executable, "-c",
                             "import sys; from pyde1.tools.profile_cli import main; "
                             "sys.exit(main())", "plan", "/nonexistent/x.json"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr == "/nonexistent/x.json: cannot read: No such file or directory\n"


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as info:
        run("frobnicate")
    assert info.value.code == 2
