"""pyde1-decode: output for each packet kind, JSON field names, and the error contract."""

import json
import subprocess
import sys

import pytest

from pyde1.tools.decode_cli import main

SHOT = "12 34 90 00 20 00 5C 80 5D 40 00 5C 00 5D 00 90 00 02 96"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("char", ["a00d", "A00D", "ShotSample", "shotsample",
                                  "0000a00d-0000-1000-8000-00805f9b34fb"])
def test_shot_sample_json_uses_pyde1_event_names(capsys, char):
    code, out, err = run(capsys, char, SHOT, "--json")
    assert code == 0 and err == ""
    obj = json.loads(out)
    assert obj == {"sample_time": 4660, "group_pressure": 9.0, "group_flow": 2.0,
                   "mix_temp": 92.5, "head_temp": 93.25, "set_mix_temp": 92.0,
                   "set_head_temp": 93.0, "set_group_pressure": 9.0, "set_group_flow": 0.0,
                   "frame_number": 2, "steam_temp": 150}
    assert out.count("\n") == 1


def test_state_and_water_level_json(capsys):
    code, out, _ = run(capsys, "a00e", "0405", "--json")
    assert code == 0
    assert json.loads(out) == {"state": "Espresso", "substate": "Pour", "is_error_state": False}
    code, out, _ = run(capsys, "WaterLevels", "0F800500", "--json")
    assert json.loads(out) == {"level": 15.5, "start_fill_level": 5.0}


def test_other_packets_use_the_reference_names(capsys):
    _, out, _ = run(capsys, "a00b", "00A07855323CC85C00", "--json")
    assert json.loads(out)["TargetSteamTemp"] == 160
    _, out, _ = run(capsys, "Versions", "040A01230012345670040C04E6023BF4BC91", "--json")
    assert json.loads(out)["BLE"]["APIVersion"] == 4
    _, out, _ = run(capsys, "a005", "0C8000084C040000040000003A05000000000000", "--json")
    assert json.loads(out) == {"CPU_BOARD_MODEL": 1.1, "V13_MODEL": "DE1XL",
                               "CPU_FIRMWARE_BUILD": 1338}
    _, out, _ = run(capsys, "a005", "16803808" + "00" * 16, "--json", "--write")
    assert json.loads(out)["Words"] == 23
    _, out, _ = run(capsys, "a006", "0480383C1A040000" + "00" * 12, "--json")
    assert json.loads(out)["CAL_FLOW_EST"] == 1.05
    _, out, _ = run(capsys, "a012", "CAFEF00D0100000100000001 0CCD", "--json")
    assert json.loads(out)["CalCommand"] == "Write"
    _, out, _ = run(capsys, "a009", "00000001FFFFFD", "--json")
    assert json.loads(out)["FirstError"] == "NoneFound"
    _, out, _ = run(capsys, "a00a", "5C80960 05D0014005C00A0005D400000", "--json")
    assert json.loads(out)["Current"]["SteamHeater"] == 150.0
    _, out, _ = run(capsys, "a00f", "0103020060", "--json")
    assert json.loads(out)["NumberOfPreinfuseFrames"] == 2
    _, out, _ = run(capsys, "a010", "22900A0000000000", "--json")
    assert json.loads(out)["MaxFlowOrPressure"] == 9.0


def test_text_output_lists_fields(capsys):
    code, out, _ = run(capsys, "a00d", *SHOT.split())
    assert code == 0
    assert out.splitlines()[0].startswith("ShotSample (a00d), 19 bytes")
    assert "  GroupPressure: 9.0" in out.splitlines()


@pytest.mark.parametrize("argv,needle", [
    (["a00d", "1234", "--json"], "ShotSample (a00d): 2 bytes: expected 19 bytes"),
    (["StateInfo", ""], "StateInfo (a00e): 0 bytes: expected 2 bytes"),
    (["a012", "00000000090000000000000000 00"], "Calibration (a012): 14 bytes: unknown CalCommand 9"),
    (["a005", "11803808" + "00" * 16], "ReadFromMMR (a005): 20 bytes: Len 17"),
    (["a004", "00"], "ShotDirectory (a004): 1 byte: no payload layout"),
    (["a00d", "zz"], "ShotSample (a00d): bad hex"),
    (["a00d", "123"], "odd number of hex digits"),
    (["bogus", "00"], "unknown DE1 characteristic 'bogus'"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and needle in err and err.startswith("pyde1-decode: ")


def test_missing_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["a00d"])
    assert info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_runs_as_a_program():
    done = subprocess.run([sys.executable, "-m", "pyde1.tools.decode_cli", "a00e", "0B CF",
                           "--json"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["substate"] == "Error_DIP"
    bad = subprocess.run([sys.executable, "-m", "pyde1.tools.decode_cli", "a00e", "0B"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and bad.stderr.strip() == \
        "pyde1-decode: StateInfo (a00e): 1 byte: expected 2 bytes"
