"""Enums, flow phases and the codec benchmark entry point."""

import pytest

from pyde1.protocol.bench import shot_sample_codec_throughput
from pyde1.protocol.enums import (
    FLOW_STATES, FlowPhase, FrameFlag, MachineState, Substate, flow_phase, is_error_state,
    machine_state_from_code, substate_from_code,
)


def test_names_and_codes_match_pyde1():
    assert [(s.name, s.value) for s in MachineState][:3] == [("Sleep", 0), ("GoingToSleep", 1),
                                                             ("Idle", 2)]
    assert MachineState.SchedIdle == 21 and MachineState.UNKNOWN == -1
    assert Substate.SteamPuff == 20 and Substate.Error_BootFill == 216
    assert Substate.UNKNOWN == 199 and Substate.ERROR_UNKNOWN == 299
    assert {s.name for s in FLOW_STATES} == {"Espresso", "Steam", "HotWater", "HotWaterRinse"}


def test_unknown_codes():
    assert machine_state_from_code(0x16) is MachineState.UNKNOWN
    assert machine_state_from_code(-1) is MachineState.UNKNOWN
    assert substate_from_code(21) is Substate.UNKNOWN
    assert substate_from_code(224) is Substate.ERROR_UNKNOWN
    assert substate_from_code(199) is Substate.UNKNOWN
    assert substate_from_code(5) is Substate.Pour


@pytest.mark.parametrize("state,substate,phase", [
    (MachineState.Espresso, Substate.NoState, FlowPhase.before),
    (MachineState.Espresso, Substate.HeatWaterHeater, FlowPhase.before),
    (MachineState.Espresso, Substate.PreInfuse, FlowPhase.during),
    (MachineState.Espresso, Substate.Pour, FlowPhase.during),
    (MachineState.Steam, Substate.Steaming, FlowPhase.during),
    (MachineState.Steam, Substate.PausedSteam, FlowPhase.during),
    (MachineState.Espresso, Substate.Flush, FlowPhase.after),
    (MachineState.Idle, Substate.Pour, None),
    (MachineState.Clean, Substate.CleanGroup, None),
])
def test_flow_phase(state, substate, phase):
    assert flow_phase(state, substate) is phase


def test_error_state():
    assert is_error_state(MachineState.FatalError, Substate.NoState)
    assert is_error_state(MachineState.Idle, Substate.Error_DIP)
    assert not is_error_state(MachineState.Idle, Substate.NoState)
    assert Substate.Error_NaN.is_error and not Substate.Pour.is_error


def test_frame_flags_compose_like_the_reference():
    pressure_over = FrameFlag.IgnoreLimit | FrameFlag.DoCompare | FrameFlag.DC_GT
    assert int(pressure_over) == 0x46
    assert int(FrameFlag.CtrlF | FrameFlag.DoCompare | FrameFlag.DC_CompF | FrameFlag.TMixTemp
               | FrameFlag.Interpolate | FrameFlag.IgnoreLimit) == 0x7B


def test_bench_reports_throughput():
    result = shot_sample_codec_throughput(500)
    assert result["n"] == 500
    assert result["decode_ops_per_s"] > 0 and result["encode_ops_per_s"] > 0
    with pytest.raises(ValueError):
        shot_sample_codec_throughput(0)
