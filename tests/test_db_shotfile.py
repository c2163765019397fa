"""The legacy shot file (api-contract §7) from hand-made rows, line by line."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pyde1.db.errors import IncompleteSequenceError
from pyde1.db.shotfile import build_shot_file, profile_metadata

PST = dt.timezone(dt.timedelta(hours=-8))
START_FLOW = 1637098629.0  # Tue, 16 Nov 2021 13:37:09 -0800
MASTER = {"id": "seq-1", "start_sequence": START_FLOW - 2, "start_flow": START_FLOW,
          "end_flow": START_FLOW + 2.0, "end_sequence": START_FLOW + 4.0, "profile_id": "p1"}
PROFILE = {"id": "p1", "source": b"{}", "source_format": "JSONv2", "fingerprint": "f" * 40, "date_added": 5.0,
           "title": "Best", "author": "Me", "notes": "", "beverage_type": "espresso"}


def sample(t, pressure=9.0, flow=2.0, frame=0, volume=10.0):
    return {"de1_time": START_FLOW + t, "group_pressure": pressure, "group_flow": flow, "head_temp": 90.123,
            "mix_temp": 91.5, "volume_total": volume, "set_mix_temp": 92.0, "set_group_pressure": 9.0,
            "set_group_flow": 0.0, "frame_number": frame}


def weight(t, w, f, median=None):
    return {"current_weight_time": START_FLOW + t, "current_weight": w, "average_flow_time": START_FLOW + t,
            "average_flow": f, "median_weight_time": START_FLOW + t, "median_weight": w if median is None else median}


SAMPLES = [sample(-0.5), sample(0.0, frame=0), sample(1.0, pressure=4.0, flow=0.0, frame=1, volume=25.0),
           sample(2.0, frame=2), sample(2.5)]
WEIGHTS = [weight(-1.0, 99.0, 9.0), weight(0.2, 1.0, 0.5), weight(0.9, 2.0, 1.0), weight(1.5, 3.0, 1.5),
           weight(3.0, 36.04, 2.0), weight(3.5, 36.2, 0.0, median=36.16), weight(5.0, 50.0, 0.0)]


def lines():
    return build_shot_file(MASTER, SAMPLES, WEIGHTS, PROFILE, tz=PST).split("\n")


def test_header_and_de1_series():
    out = lines()
    assert out[0] == "sequence_id seq-1"
    assert out[1] == f"clock {round(START_FLOW)}"
    assert out[2] == "local_time {Tue, 16 Nov 2021 13:37:09 -0800}"
    assert out[3] == "espresso_elapsed {0.000 1.000 2.000}"  # only samples in [start_flow, end_flow]
    assert out[4] == "espresso_pressure {9.00 4.00 9.00}"
    assert out[5] == "espresso_flow {2.00 0.00 2.00}"
    assert out[6] == "espresso_temperature_basket {90.12 90.12 90.12}"
    assert out[7] == "espresso_temperature_mix {91.50 91.50 91.50}"
    assert out[8] == "WARNING {espresso_water_dispensed scaled by 10 for legacy compatibility}"
    assert out[9] == "espresso_water_dispensed {1.00 2.50 1.00}"
    assert out[10:13] == ["espresso_temperature_goal {92.00 92.00 92.00}", "espresso_pressure_goal {9.00 9.00 9.00}",
                          "espresso_flow_goal {0.00 0.00 0.00}"]
    assert out[13] == "espresso_frame_number {0 1 2}"
    assert out[14] == "espresso_state_change {-10000000 10000000 -10000000}"
    assert out[15] == "espresso_resistance {2.25 400000000.00 2.25}"


def test_weights_take_the_sample_just_before_each_de1_sample():
    out = lines()
    # weight rows in [start_flow, end_sequence]: t=0.2, 0.9, 1.5, 3.0, 3.5 (the -1.0 and 5.0 rows are out)
    # DE1 t=0 -> first; t=1 -> last before 1 is 0.9; t=2 -> 1.5
    assert out[16] == "espresso_weight {1.00 2.00 3.00}"
    assert out[17] == "espresso_flow_weight {0.50 1.00 1.50}"


def test_settings_and_profile_block():
    out = lines()
    assert out[18:23] == ["settings {", "\tprofile_title {Best}", "\tdrink_weight 36.2", "\tbeverage_type {espresso}",
                          "}"]
    assert out[23] == "profile {"
    text = "\n".join(out[23:])
    assert text.endswith("}\n")
    block = json.loads(text[len("profile "):])
    assert list(block) == ["id", "source_format", "fingerprint", "date_added", "title", "author", "notes",
                           "beverage_type"]
    assert block["title"] == "Best" and "source" not in block
    assert out[24] == '  "id": "p1",'


def test_no_scale_and_no_profile_degrade_instead_of_failing():
    text = build_shot_file(MASTER, SAMPLES, [], None, tz=PST)
    assert "espresso_weight {}\n" in text and "espresso_flow_weight {}\n" in text
    assert "\tdrink_weight 0.0\n" in text and "\tprofile_title {}\n" in text
    assert text.endswith("profile {}\n")


def test_incomplete_master_row_is_a_typed_error():
    with pytest.raises(IncompleteSequenceError, match="seq-1: the sequence row has no end_flow, end_sequence"):
        build_shot_file({**MASTER, "end_flow": None, "end_sequence": None}, SAMPLES, WEIGHTS, PROFILE)


def test_profile_metadata():
    assert profile_metadata(b'{"title": "T", "author": 3, "beverage_type": "tea"}') == {
        "title": "T", "author": None, "notes": None, "beverage_type": "tea"}
    assert profile_metadata(b"\xff not json")["title"] is None
