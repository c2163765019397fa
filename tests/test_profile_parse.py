"""Reading JSON v2 profiles: accepted forms, leniencies (warned), and precise errors."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from pyde1.profile import (
    ExitCondition, ExitType, ProfileError, Pump, Sensor, TooManyFramesError, Transition,
    parse_profile,
)

BASE = {
    "version": "2.1", "title": "T", "author": "A", "notes": "N", "beverage_type": "espresso",
    "steps": [
        {"name": "a", "pump": "flow", "flow": 4, "transition": "fast", "temperature": 92,
         "sensor": "coffee", "seconds": 20, "volume": 100, "weight": 4.5,
         "exit": {"type": "pressure", "condition": "over", "value": 4}},
        {"name": "b", "pump": "pressure", "pressure": 9, "transition": "smooth",
         "temperature": 90.5, "sensor": "water", "seconds": 40, "volume": 0,
         "limiter": {"value": 3.5, "range": 0.6}},
    ],
    "target_volume": 0, "target_weight": 36, "target_volume_count_start": 1,
    "tank_temperature": 0,
}


def _source(document) -> bytes:
    return json.dumps(document).encode()


def _changed(change) -> bytes:
    document = copy.deepcopy(BASE)
    change(document)
    return _source(document)


def test_reads_every_field():
    source = _source(BASE)
    profile = parse_profile(source)
    assert profile.id == hashlib.sha1(source).hexdigest()
    assert (profile.version, profile.title, profile.author, profile.notes,
            profile.beverage_type) == ("2.1", "T", "A", "N", "espresso")
    first, second = profile.steps
    assert (first.pump, first.setpoint, first.transition, first.sensor) == (
        Pump.FLOW, 4.0, Transition.FAST, Sensor.COFFEE)
    assert (first.exit.type, first.exit.condition, first.exit.value) == (
        ExitType.PRESSURE, ExitCondition.OVER, 4.0)
    assert (first.temperature, first.seconds, first.volume, first.weight) == (92, 20, 100, 4.5)
    assert first.limiter is None
    assert (second.pump, second.setpoint, second.exit, second.weight) == (
        Pump.PRESSURE, 9.0, None, None)
    assert (second.limiter.value, second.limiter.range) == (3.5, 0.6)
    assert (profile.target_volume, profile.target_weight, profile.target_volume_count_start,
            profile.tank_temperature) == (0.0, 36.0, 1, 0.0)
    assert profile.move_on_weight == (4.5,)
    assert profile.warnings == ()


def test_numbers_written_as_strings_read_the_same():
    def stringify(value):
        if isinstance(value, dict):
            return {k: stringify(v) for k, v in value.items()}
        if isinstance(value, list):
            return [stringify(v) for v in value]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f" {value} "
        return value

    as_strings = parse_profile(_source(stringify(BASE)))
    as_numbers = parse_profile(_source(BASE))
    assert as_strings.steps == as_numbers.steps
    assert as_strings.target_weight == as_numbers.target_weight


@pytest.mark.parametrize("version", ["2", "2.0", "2.1", 2, 2.1])
def test_version_2_forms(version):
    assert parse_profile(_changed(lambda d: d.update(version=version))).warnings == ()


def test_missing_version_is_read_as_2_with_a_warning():
    profile = parse_profile(_changed(lambda d: d.pop("version")))
    assert profile.version is None
    assert profile.warnings == ("version: missing; read as a version 2 profile",)


def test_missing_volume_and_count_start_are_warned():
    def change(d):
        del d["steps"][1]["volume"]
        del d["target_volume_count_start"]
    profile = parse_profile(_changed(change))
    assert profile.steps[1].volume == 0
    assert profile.target_volume_count_start == 0
    assert [w.split(":")[0] for w in profile.warnings] == ["steps[1].volume",
                                                           "target_volume_count_start"]


def test_unused_setpoint_and_empty_limiter_are_ignored():
    def change(d):
        d["steps"][0]["pressure"] = ""            # a flow step: pressure is never sent
        d["steps"][1]["flow"] = "nonsense"
        d["steps"][0]["limiter"] = {"value": "0", "range": ""}
        d["steps"][1]["limiter"] = {"value": "", "range": "0.6"}
    profile = parse_profile(_changed(change))
    assert [s.limiter for s in profile.steps] == [None, None]


def test_weight_zero_or_negative_is_no_move_on_weight():
    def change(d):
        d["steps"][0]["weight"] = "0.0"
        d["steps"][1]["weight"] = 2
    assert parse_profile(_changed(change)).move_on_weight == (None, 2.0)
    assert parse_profile(_changed(lambda d: d["steps"][0].update(weight=-1))).move_on_weight == ()


def test_targets_absent_null_and_present():
    def change(d):
        del d["target_weight"]
        d["target_volume"] = None
        del d["tank_temperature"]
    profile = parse_profile(_changed(change))
    assert (profile.target_weight, profile.target_volume, profile.tank_temperature) == (
        None, 0.0, None)


def test_count_start_rounds_half_away_from_zero():
    assert parse_profile(_changed(lambda d: d.update(target_volume_count_start="1.5"))
                         ).target_volume_count_start == 2


def test_extra_keys_and_bom_are_accepted():
    source = b"\xef\xbb\xbf" + _changed(lambda d: d.update(hidden="0", lang="en", creator={}))
    assert len(parse_profile(source).steps) == 2


def _drop(*keys):
    def change(d):
        target = d
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]
    return change


def _set(value, *keys):
    def change(d):
        target = d
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


@pytest.mark.parametrize("change, path, reason", [
    (_set("3.0", "version"), "version", "only version 2 profiles are supported, got '3.0'"),
    (_set(True, "version"), "version", "must be a version string"),
    (_drop("steps"), "steps", "is required"),
    (_set([], "steps"), "steps", "at least one step"),
    (_set({}, "steps"), "steps", "must be a list of steps, got an object"),
    (_set([1], "steps"), "steps[0]", "a step must be an object, got the number 1"),
    (_drop("steps", 0, "pump"), "steps[0].pump", "is required"),
    (_set("Flow", "steps", 0, "pump"), "steps[0].pump",
     "must be one of 'pressure', 'flow'; got 'Flow'"),
    (_drop("steps", 0, "flow"), "steps[0].flow", "is required"),
    (_set("", "steps", 1, "pressure"), "steps[1].pressure", "got an empty string"),
    (_set("9 bar", "steps", 1, "pressure"), "steps[1].pressure",
     "must be a number, got the string '9 bar'"),
    (_set(None, "steps", 1, "temperature"), "steps[1].temperature", "must be a number, got null"),
    (_set(True, "steps", 1, "seconds"), "steps[1].seconds", "got a boolean"),
    (_set("nan", "steps", 1, "seconds"), "steps[1].seconds", "must be a finite number"),
    (_set("inf", "steps", 1, "volume"), "steps[1].volume", "must be a finite number"),
    (_set("slow", "steps", 1, "transition"), "steps[1].transition", "got 'slow'"),
    (_set("basket", "steps", 1, "sensor"), "steps[1].sensor", "got 'basket'"),
    (_set([], "steps", 0, "exit"), "steps[0].exit", "must be an object"),
    (_drop("steps", 0, "exit", "value"), "steps[0].exit.value", "is required"),
    (_set("weight", "steps", 0, "exit", "type"), "steps[0].exit.type", "got 'weight'"),
    (_set("above", "steps", 0, "exit", "condition"), "steps[0].exit.condition", "got 'above'"),
    (_set("x", "steps", 0, "exit", "value"), "steps[0].exit.value", "must be a number"),
    (_drop("steps", 1, "limiter", "range"), "steps[1].limiter.range", "is required when"),
    (_set("fast", "steps", 1, "limiter"), "steps[1].limiter", "must be an object"),
    (_set("x", "steps", 1, "weight"), "steps[1].weight", "must be a number"),
    (_set(5, "steps", 1, "name"), "steps[1].name", "must be a string"),
    (_set(7, "title"), "title", "must be a string, got the number 7"),
    (_set("abc", "target_weight"), "target_weight", "must be a number"),
    (_set({}, "target_volume"), "target_volume", "must be a number, got an object"),
    (_set(-1, "target_volume_count_start"), "target_volume_count_start", "must not be negative"),
    (_set("hot", "tank_temperature"), "tank_temperature", "must be a number"),
])
def test_errors_name_the_field_and_the_reason(change, path, reason):
    with pytest.raises(ProfileError) as info:
        parse_profile(_changed(change))
    assert info.value.path == path
    assert reason in info.value.reason
    assert str(info.value) == f"{path}: {info.value.reason}"


def test_too_many_frames():
    document = copy.deepcopy(BASE)
    document["steps"] = document["steps"] * 10 + document["steps"][:1]
    with pytest.raises(TooManyFramesError) as info:
        parse_profile(_source(document))
    assert info.value.path == "steps"
    assert info.value.reason == "has 21 steps; a DE1 runs at most 20 frames"


@pytest.mark.parametrize("source, reason", [
    (b"", "invalid JSON at line 1 column 1"),
    (b'{"version": "2",', "invalid JSON at line 1 column"),
    (b"\xff\xfe{}", "not UTF-8 text"),
    (b"[1, 2]", "a profile must be a JSON object, got a list"),
    (b"[" * 100000, "nested too deeply"),
])
def test_document_level_errors(source, reason):
    with pytest.raises(ProfileError) as info:
        parse_profile(source)
    assert info.value.path == "$"
    assert reason in info.value.reason


def test_text_is_refused_because_the_id_needs_bytes():
    with pytest.raises(TypeError):
        parse_profile(_source(BASE).decode())


# --- robustness: anything gives a Profile or a ProfileError, never another exception ----------

from hypothesis import given, settings, strategies as st  # noqa: E402

from pyde1.profile import plan_upload  # noqa: E402

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                     st.floats(allow_nan=False), st.text(max_size=8),
                     st.sampled_from(["", "2", "9.5", "-1", "1e400", "flow", "over", "water"]))
_json = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12)
_step_keys = ["pump", "pressure", "flow", "transition", "temperature", "sensor", "seconds",
              "volume", "weight", "exit", "limiter", "name"]


def _plan_or_error(source: bytes) -> None:
    try:
        plan_upload(parse_profile(source))
    except ProfileError as error:
        assert error.path and error.reason


@settings(max_examples=200)
@given(st.binary(max_size=64))
def test_random_bytes(data):
    _plan_or_error(data)


@settings(max_examples=300)
@given(st.data())
def test_mutated_profiles(data):
    document = copy.deepcopy(BASE)
    for _ in range(data.draw(st.integers(1, 3))):
        step = document["steps"][data.draw(st.integers(0, 1))]
        if not isinstance(step, dict):
            break  # an earlier mutation replaced the steps themselves
        where = data.draw(st.sampled_from(["top", "step", "exit", "limiter"]))
        value = data.draw(_json)
        if where == "top":
            document[data.draw(st.sampled_from(sorted(BASE)))] = value
        elif where == "step":
            step[data.draw(st.sampled_from(_step_keys))] = value
        else:
            target = step.setdefault(where, {})
            if isinstance(target, dict):
                target[data.draw(st.sampled_from(["type", "condition", "value", "range"]))] = value
        if not isinstance(document.get("steps"), list) or len(document["steps"]) < 2:
            break
    _plan_or_error(json.dumps(document).encode())
