"""de1/control/* values kept by the sequencer: validation, shapes, profile overrides."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyde1.sequencer import (SEQUENCER_KEYS, ControlError, ControlMode, Controls, ProfileLimits,
                             apply_profile, auto_off_minutes, control_as_dict, patch_controls)
from pyde1.sequencer.params import SequencerParams


def test_defaults_match_pyde1():
    assert control_as_dict(Controls(), "espresso") == {
        "stop_at_time": None, "stop_at_volume": None, "stop_at_weight": None,
        "move_on_weight": [], "disable_auto_tare": False,
        "profile_can_override_stop_limits": True, "profile_can_override_tank_temperature": True,
        "first_drops_threshold": 0.0, "last_drops_minimum_time": 3.0}
    # write-only keys are accepted but never returned
    assert control_as_dict(Controls(), "steam") == {"disable_auto_tare": False}
    assert control_as_dict(Controls(), "hot_water") == {"stop_at_weight": None,
                                                        "disable_auto_tare": False}
    assert control_as_dict(Controls(), "hot_water_rinse") == {"stop_at_time": None,
                                                              "disable_auto_tare": False}


def test_patch_sets_values_and_zero_means_null():
    c = patch_controls(Controls(), "espresso", {"stop_at_weight": 36, "stop_at_volume": 0,
                                                "move_on_weight": [None, 4.5, 0, None]})
    assert c.espresso.stop_at_weight == 36.0
    assert c.espresso.stop_at_volume is None
    assert c.espresso.move_on_weight == (None, 4.5)
    assert Controls().espresso.stop_at_weight is None     # the original is untouched


@pytest.mark.parametrize("mode,patch,key,words", [
    ("espresso", {"stop_at_weight": -1}, "espresso:stop_at_weight", "at least 0"),
    ("espresso", {"stop_at_weight": "36"}, "espresso:stop_at_weight", "expected a number"),
    ("espresso", {"stop_at_weight": True}, "espresso:stop_at_weight", "expected a number"),
    ("espresso", {"stop_at_time": float("nan")}, "espresso:stop_at_time", "finite"),
    ("espresso", {"disable_auto_tare": 1}, "espresso:disable_auto_tare", "true or false"),
    ("espresso", {"first_drops_threshold": 11}, "espresso:first_drops_threshold", "between 0 and 10"),
    ("espresso", {"last_drops_minimum_time": -0.5}, "espresso:last_drops_minimum_time", "at least 0"),
    ("espresso", {"move_on_weight": [1, -2]}, "espresso:move_on_weight[1]", "at least 0"),
    ("espresso", {"move_on_weight": "4"}, "espresso:move_on_weight", "list"),
    ("espresso", {"move_on_weight": [1.0] * 21}, "espresso:move_on_weight", "20 frames"),
    ("espresso", {"temperature": 90}, "espresso:temperature", "not a key"),
    ("steam", {"stop_at_time": 60}, "steam:stop_at_time", "not a key"),
    ("hot_water", {"stop_at_volume": 100}, "hot_water:stop_at_volume", "not a key"),
])
def test_bad_values_raise_typed_errors_naming_the_key(mode, patch, key, words):
    before = Controls()
    with pytest.raises(ControlError) as info:
        patch_controls(before, mode, patch)
    assert info.value.key == key
    assert words in str(info.value)
    assert info.value.http_status == 400


def test_unknown_mode_and_non_mapping():
    with pytest.raises(ControlError, match="unknown mode 'tea'"):
        patch_controls(Controls(), "tea", {})
    with pytest.raises(ControlError, match="expected an object"):
        patch_controls(Controls(), ControlMode.ESPRESSO, [1, 2])


def test_a_bad_key_leaves_nothing_applied():
    with pytest.raises(ControlError):
        patch_controls(Controls(), "espresso", {"stop_at_weight": 30, "stop_at_volume": -1})


def test_sequencer_keys_cover_the_mode_controls():
    assert "move_on_weight" in SEQUENCER_KEYS[ControlMode.ESPRESSO]
    assert set(SEQUENCER_KEYS[ControlMode.HOT_WATER]) == {"stop_at_weight", "disable_auto_tare"}


def test_auto_off_minutes():
    assert auto_off_minutes(None) is None
    assert auto_off_minutes(0) is None
    assert auto_off_minutes(30) == 30.0
    with pytest.raises(ControlError, match="auto_off_time:time"):
        auto_off_minutes(-1)


class FakeProfile:
    def __init__(self, target_weight=None, target_volume=None, weights=()):
        self.target_weight, self.target_volume = target_weight, target_volume
        self._weights = weights

    def move_on_weight(self):
        return self._weights


def test_profile_overrides_stop_limits_when_allowed():
    c = patch_controls(Controls(), "espresso", {"stop_at_weight": 40, "stop_at_volume": 50})
    c = apply_profile(c, ProfileLimits.of_profile(FakeProfile(36.0, None, (None, 3.0))))
    assert c.espresso.stop_at_weight == 36.0
    assert c.espresso.stop_at_volume == 50.0       # key absent: unchanged
    assert c.espresso.move_on_weight == (None, 3.0)
    c = apply_profile(c, ProfileLimits.of_profile(FakeProfile(0.0, 0.0)))
    assert c.espresso.stop_at_weight is None and c.espresso.stop_at_volume is None


def test_profile_cannot_override_when_forbidden_but_move_on_list_is_replaced():
    c = patch_controls(Controls(), "espresso", {"stop_at_weight": 40,
                                                "profile_can_override_stop_limits": False})
    c = apply_profile(c, ProfileLimits.of_profile(FakeProfile(36.0, 30.0, (5.0,))))
    assert c.espresso.stop_at_weight == 40.0 and c.espresso.stop_at_volume is None
    assert c.espresso.move_on_weight == (5.0,)


def test_params_from_config_mapping():
    p = SequencerParams.from_config({"de1": {"SEQUENCE_WATCHDOG_TIMEOUT": 100.0,
                                             "STOP_AT_WEIGHT_ADJUST": 0.1,
                                             "DEFAULT_AUTO_OFF_TIME": 30,
                                             "bump_resist": {"FLOW_THRESHOLD": 8.0}},
                                     "steam": {"STOP_LAG": 0.5}})
    assert (p.watchdog_timeout, p.timing.adjust, p.default_auto_off_minutes) == (100.0, 0.1, 30.0)
    assert p.bump.flow_threshold == 8.0 and p.steam.stop_lag == 0.5
    assert SequencerParams.from_config(None) == SequencerParams()


@given(st.dictionaries(st.sampled_from(SEQUENCER_KEYS[ControlMode.ESPRESSO] + ("x",)),
                       st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True),
                                 st.integers(-5, 50), st.text(max_size=3),
                                 st.lists(st.one_of(st.none(), st.floats(-1, 50)), max_size=25))))
def test_patching_either_succeeds_or_raises_control_error(patch):
    try:
        c = patch_controls(Controls(), "espresso", patch)
    except ControlError as exc:
        assert exc.key.startswith("espresso:")
        return
    for key in ("stop_at_time", "stop_at_volume", "stop_at_weight"):
        value = getattr(c.espresso, key)
        assert value is None or value > 0
    assert all(v is None or v > 0 for v in c.espresso.move_on_weight)
