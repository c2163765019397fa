"""de1app Tcl → JSON v2.1: hand-made fixtures with known output, the fixed pyDE1 quirks, errors."""

import datetime
import json
from pathlib import Path

import pytest

import pyde1
from pyde1.profile.tcl import TclProfileError, tcl_to_json_profile

DATA = Path(__file__).resolve().parent / "data" / "tcl"
WHEN = datetime.datetime(2024, 5, 6, 7, 8, 9,
                         tzinfo=datetime.timezone(datetime.timedelta(hours=2)))


def _expected(name: str) -> dict:
    expected = json.loads((DATA / name).read_text(encoding="utf-8"))
    expected["creator"]["version"] = pyde1.__version__
    return expected


def _convert(name: str, **options) -> dict:
    return tcl_to_json_profile((DATA / name).read_text(encoding="utf-8"),
                               created_at=WHEN, **options)


@pytest.mark.parametrize("tcl, expected, options", [
    ("hand_advanced.tcl", "hand_advanced.json", {"reference_file": "hand_advanced.tcl"}),
    ("hand_pressure.tcl", "hand_pressure.json", {}),
    ("hand_flow.tcl", "hand_flow.json", {}),
])
def test_hand_made_fixture_converts_to_the_known_json(tcl, expected, options):
    result = _convert(tcl, **options)
    assert result == _expected(expected)
    # key order is part of the format (pyDE1's order)
    assert list(result) == list(_expected(expected))
    for got, want in zip(result["steps"], _expected(expected)["steps"]):
        assert list(got) == list(want)


def test_number_formatting_top_level_as_parsed_steps_rounded():
    result = _convert("hand_advanced.tcl")
    assert result["tank_temperature"] == 88.0 and isinstance(result["tank_temperature"], float)
    assert result["target_volume"] == 0 and isinstance(result["target_volume"], int)
    first = result["steps"][0]
    assert first["temperature"] == 92 and isinstance(first["temperature"], int)   # 92.00
    assert first["seconds"] == 4.5                                                # 4.50
    assert result["steps"][2]["flow"] == 0.3333                                   # 4 decimals


def test_author_option_replaces_the_author():
    assert _convert("hand_advanced.tcl", author="Me")["author"] == "Me"


def test_creator_timestamp_defaults_to_now_with_offset():
    before = datetime.datetime.now().astimezone().replace(microsecond=0)
    stamp = tcl_to_json_profile((DATA / "hand_flow.tcl").read_text())["creator"]["timestamp"]
    parsed = datetime.datetime.fromisoformat(stamp)
    assert parsed.tzinfo is not None
    assert before <= parsed <= datetime.datetime.now().astimezone()


def test_every_step_keeps_volume_and_seconds_even_when_zero():
    # pyDE1 dropped zero volume/seconds, and its own uploader then rejected the file.
    for name in ("hand_advanced.tcl", "hand_pressure.tcl", "hand_flow.tcl"):
        for step in _convert(name)["steps"]:
            assert "volume" in step and "seconds" in step


def test_zero_weight_and_zero_limiter_are_left_out():
    first = _convert("hand_advanced.tcl")["steps"][0]
    assert "weight" not in first and "limiter" not in first


def test_simple_profile_without_preinfusion_still_gets_its_steps_and_type():
    result = _convert("hand_flow.tcl")
    assert [s["name"] for s in result["steps"]] == ["rise and hold", "decline"]
    assert result["type"] == "flow"
    assert result["target_weight"] == 42          # from final_desired_shot_weight


def test_pressure_decline_goes_to_pressure_end():
    steps = _convert("hand_pressure.tcl")["steps"]
    assert steps[-1]["pressure"] == 5.5 and steps[-2]["pressure"] == 9


def _pressure_text(**changes) -> str:
    pairs = dict(line.split(" ", 1) for line in
                 (DATA / "hand_pressure.tcl").read_text().splitlines())
    for key, value in changes.items():
        if value is None:
            pairs.pop(key, None)
        else:
            pairs[key] = value
    return "\n".join(f"{k} {v}" for k, v in pairs.items())


def test_equal_first_temperatures_make_a_single_preinfusion_step():
    result = tcl_to_json_profile(_pressure_text(espresso_temperature_0="92.0"))
    assert [s["name"] for s in result["steps"][:2]] == ["preinfuse", "rise and hold"]
    assert result["steps"][0]["seconds"] == 7.3
    assert result["target_volume_count_start"] == 1


def test_short_preinfusion_is_all_temperature_step():
    result = tcl_to_json_profile(_pressure_text(preinfusion_time="1.5"))
    assert [(s["name"], s["seconds"]) for s in result["steps"][:2]] == [
        ("temperature adj", 1.5), ("rise and hold", 10)]
    assert result["target_volume_count_start"] == 1


def test_missing_limits_mean_no_limiter_as_in_de1app():
    result = tcl_to_json_profile(_pressure_text(maximum_flow=None, maximum_flow_range_default=None))
    assert all("limiter" not in step for step in result["steps"])


def test_missing_limit_range_uses_de1app_default():
    result = tcl_to_json_profile(_pressure_text(maximum_flow_range_default=None))
    assert result["steps"][-1]["limiter"] == {"value": 4.5, "range": 1}


def test_temperature_steps_disabled_use_espresso_temperature():
    result = tcl_to_json_profile(_pressure_text(espresso_temperature_steps_enabled="0"))
    assert {s["temperature"] for s in result["steps"]} == {93}
    assert result["steps"][0]["name"] == "preinfuse"


def test_old_profile_type_names_are_accepted():
    result = tcl_to_json_profile(_pressure_text(settings_profile_type="settings_profile_pressure"))
    assert result["legacy_profile_type"] == "settings_2a" and result["type"] == "pressure"


def test_shot_file_settings_are_used():
    inner = (DATA / "hand_flow.tcl").read_text()
    result = tcl_to_json_profile("clock 1700000000\nsettings {" + inner + "}\n")
    assert result["title"] == "Hand flow/no preinfusion"


def test_advanced_missing_count_start_and_weight_fallback():
    text = (DATA / "hand_advanced.tcl").read_text()
    text = text.replace("final_desired_shot_volume_advanced_count_start 1\n", "")
    text = text.replace("final_desired_shot_weight_advanced 36.5\n", "")
    result = tcl_to_json_profile(text)
    assert result["target_volume_count_start"] == 0
    assert result["target_weight"] == 40   # de1app: final_desired_shot_weight


STEP = ("{name s pump pressure pressure 9 transition fast temperature 90 sensor coffee "
        "exit_if 0 volume 0 seconds 10}")


def _advanced(step: str = STEP, **top) -> str:
    pairs = {"profile_title": "{T}", "settings_profile_type": "settings_2c",
             "advanced_shot": "{" + step + "}", **top}
    return "\n".join(f"{k} {v}" for k, v in pairs.items() if v is not None)


@pytest.mark.parametrize("text, key, reason", [
    ("", "$", "empty input"),
    ("a {b", "$", "unmatched open brace"),
    ("profile_title x lonely", "$", "even number of elements"),
    (_advanced(settings_profile_type=None), "settings_profile_type", "missing"),
    (_advanced(settings_profile_type="settings_9"), "settings_profile_type", "'settings_9'"),
    (_advanced(advanced_shot="{}"), "advanced_shot", "no steps"),
    (_advanced(STEP.replace("pump pressure", "pump steam")), "advanced_shot[0].pump", "'steam'"),
    (_advanced(STEP.replace("pressure 9 ", "")), "advanced_shot[0].pressure", "missing"),
    (_advanced(STEP.replace("pressure 9", "pressure {}")), "advanced_shot[0].pressure", "empty"),
    (_advanced(STEP.replace("pressure 9", "pressure high")), "advanced_shot[0].pressure",
     "expected a number, found 'high'"),
    (_advanced(STEP.replace("exit_if 0", "exit_if 1")), "advanced_shot[0].exit_type", "missing"),
    (_advanced(STEP.replace("exit_if 0", "exit_if 1 exit_type power_over")),
     "advanced_shot[0].exit_type", "'power_over'"),
    (_advanced(STEP.replace("exit_if 0", "exit_if 1 exit_type flow_over")),
     "advanced_shot[0].exit_flow_over", "missing"),
    (_advanced(STEP.replace("exit_if 0", "exit_if maybe")), "advanced_shot[0].exit_if",
     "expected 0 or 1"),
    (_advanced(STEP.replace("sensor coffee", "sensor basket")), "advanced_shot[0].sensor",
     "'basket'"),
    (_advanced(STEP.replace("transition fast", "")), "advanced_shot[0].transition", "missing"),
    (_advanced(STEP + " {name}"), "advanced_shot[1]", "even number"),
    (_advanced(STEP.replace("volume 0", "max_flow_or_pressure 3")),
     "advanced_shot[0].max_flow_or_pressure_range", "missing"),
    (_advanced(final_desired_shot_volume_advanced_count_start="1.5"),
     "final_desired_shot_volume_advanced_count_start", "whole number"),
    (_advanced(tank_desired_water_temperature="nan"), "tank_desired_water_temperature",
     "expected a number"),
    (_pressure_text(espresso_hold_time=None), "espresso_hold_time", "missing"),
    (_pressure_text(pressure_end=None), "pressure_end", "missing"),
    (_pressure_text(preinfusion_time="0", espresso_hold_time="0", espresso_decline_time="0"),
     "preinfusion_time", "no steps"),
])
def test_bad_profiles_raise_a_typed_error_naming_the_key(text, key, reason):
    with pytest.raises(TclProfileError) as caught:
        tcl_to_json_profile(text)
    assert caught.value.key == key
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{key}: ")


def test_exit_flag_accepts_tcl_booleans():
    step = STEP.replace("exit_if 0", "exit_if true exit_type pressure_over exit_pressure_over 2")
    result = tcl_to_json_profile(_advanced(step))
    assert result["steps"][0]["exit"] == {"type": "pressure", "condition": "over", "value": 2}


def test_result_loads_with_the_json_loader():
    try:
        from pyde1.profile import parse_profile
    except ImportError:
        pytest.skip("pyde1.profile.parse_profile (the JSON loader) is not importable yet")
    for name in ("hand_advanced.tcl", "hand_pressure.tcl", "hand_flow.tcl"):
        profile = parse_profile(json.dumps(_convert(name)).encode())
        assert len(profile.steps) == len(_convert(name)["steps"])
