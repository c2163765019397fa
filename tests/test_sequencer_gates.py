"""FlowSequencer rules: gate order per mode, sequence ids, auto-tare, watchdog, auto-off,
release on sleep, steam to temperature (devices-and-sequencing E.4, E.5, F.1, F.2, C.10)."""

from __future__ import annotations

from dataclasses import replace

from support.seqscript import Script, espresso_to_pour, make_rules

from pyde1.events import AutoTareNotification, SequencerGateNotification, StopAtNotification
from pyde1.sequencer import (DeviceFollow, EndSteam, FollowDE1, GATE_ORDER, SleepDE1, Tare,
                             ThermometerRate, patch_controls)

ALL_GATES = [g.value for g in GATE_ORDER]


def finish_espresso(s: Script) -> Script:
    return s.to("Espresso", "Flush").advance(1.5).to("Idle", "NoState").advance(3.5)


def test_espresso_gates_in_documented_order():
    s = finish_espresso(espresso_to_pour(Script()))
    assert s.gates("clear") == ALL_GATES
    assert s.gates("set") == ALL_GATES   # start, flow begin, expect drops, exit preinfuse,
    # flow end, flow state exit, last drops, complete
    ids = {e.sequence_id for e in s.events(SequencerGateNotification)}
    assert ids == {"seq-1"}               # seq-0 is the placeholder made at start-up
    assert {e.active_state for e in s.events(SequencerGateNotification)} == {"Espresso"}


def test_clears_then_stop_ats_then_auto_tare_then_start():
    s = Script().to("Espresso", "HeatWaterHeater")
    kinds = [type(a.event).__name__ + ":" + getattr(a.event, "action").value
             for a in s.actions if hasattr(a, "event")]
    assert kinds[:8] == ["SequencerGateNotification:clear"] * 8
    assert kinds[8:13] == ["StopAtNotification:disabled"] * 5
    assert kinds[13:] == ["AutoTareNotification:enabled", "SequencerGateNotification:set"]
    assert s.commands() == []      # the scale actor holds at tare, following the notification


def test_last_drops_waits_for_the_minimum_time_after_flow_end():
    s = espresso_to_pour(Script()).to("Espresso", "Flush").clear()
    s.advance(1.0).to("Idle", "NoState")
    assert s.gates() == ["sequence_flow_state_exit"]
    s.advance(1.9)
    assert "sequence_last_drops" not in s.gates()
    s.advance(0.2)
    assert s.gates() == ["sequence_flow_state_exit", "sequence_last_drops", "sequence_complete"]


def test_steam_gate_order():
    s = Script().to("Steam", "HeatWaterHeater").advance(0.5).to("Steam", "Steaming")
    s.advance(1).to("Steam", "PausedSteam").advance(1).to("Steam", "Steaming")
    s.advance(10).to("Steam", "SteamPuff").advance(2).to("Idle", "NoState")
    assert s.gates() == ["sequence_start", "sequence_flow_begin", "sequence_flow_end",
                         "sequence_last_drops", "sequence_flow_state_exit", "sequence_complete"]
    assert s.stop_ats("time") == [("time", "de1 controlled")]
    assert AutoTareNotification in {type(e) for e in s.events(AutoTareNotification)}
    assert [e.action.value for e in s.events(AutoTareNotification)] == ["disabled"]


def test_hot_water_expects_drops_at_flow_begin_and_ends_auto_tare():
    # pyDE1 never set expect_drops for hot water, so auto-tare held through the pour.
    s = Script().to("HotWater", "HeatWaterHeater").advance(0.5).to("HotWater", "Pour")
    s.advance(10).to("Idle", "NoState")
    assert s.gates() == ["sequence_start", "sequence_flow_begin", "sequence_expect_drops",
                         "sequence_flow_end", "sequence_last_drops", "sequence_flow_state_exit",
                         "sequence_complete"]
    assert [e.action.value for e in s.events(AutoTareNotification)] == ["enabled", "disabled"]
    assert ("weight", "enabled") in s.stop_ats("weight")
    assert s.stop_ats("volume") == [("volume", "de1 controlled")]


def test_flush_gate_order_and_no_auto_tare():
    s = Script().to("HotWaterRinse", "HeatWaterHeater").advance(0.5).to("HotWaterRinse", "Pour")
    s.advance(5).to("Idle", "NoState")
    assert s.gates() == ["sequence_start", "sequence_flow_begin", "sequence_flow_end",
                         "sequence_last_drops", "sequence_flow_state_exit", "sequence_complete"]
    assert [e.action.value for e in s.events(AutoTareNotification)] == ["disabled"]
    assert s.commands(Tare) == []


def test_aborted_before_flow_completes_at_once():
    s = Script().to("Espresso", "HeatWaterHeater").advance(0.5).to("Idle", "NoState")
    assert s.gates() == ["sequence_start", "sequence_flow_state_exit", "sequence_complete"]
    # every stop type that was waiting gets its final "disabled", auto-tare is released
    assert [e.action.value for e in s.events(AutoTareNotification)] == ["enabled", "disabled"]
    assert s.stop_ats("weight") == [("weight", "disabled"), ("weight", "disabled")]


def test_stopped_during_preinfuse():
    s = Script().to("Espresso", "HeatWaterHeater").advance(0.5).to("Espresso", "PreInfuse")
    s.advance(3).to("Espresso", "Flush").advance(1).to("Idle", "NoState").advance(3)
    assert s.gates() == ["sequence_start", "sequence_flow_begin", "sequence_exit_preinfuse",
                         "sequence_flow_end", "sequence_flow_state_exit", "sequence_last_drops",
                         "sequence_complete"]


def test_new_sequence_while_one_runs_aborts_it_first():
    s = Script().to("Espresso", "HeatWaterHeater").advance(0.5).to("Espresso", "PreInfuse")
    s.state = ("Idle", "NoState")   # a missed StateUpdate: the DE1 went idle unseen
    s.clear().to("Steam", "HeatWaterHeater")
    sets = [(e.name.value, e.sequence_id) for e in s.events(SequencerGateNotification)
            if e.action.value == "set"]
    assert sets == [("sequence_complete", "seq-1"), ("sequence_start", "seq-2")]
    assert any("still running" in m for m in s.logs("warning"))


def test_watchdog_ends_a_sequence_that_never_finishes():
    s = Script(rules=make_rules(watchdog_timeout=270.0))
    s.to("Espresso", "HeatWaterHeater").advance(0.5).to("Espresso", "Pour")
    s.advance(269.0)
    assert "sequence_complete" not in s.gates()
    s.advance(1.0)
    assert s.gates()[-1] == "sequence_complete"
    assert any("270" in m for m in s.logs("warning"))
    # later state changes of that sequence publish nothing
    s.clear().to("Espresso", "Flush").to("Idle", "NoState")
    assert s.gates(None) == []


def test_disable_auto_tare_is_honoured():
    rules = make_rules(tare_while_holding=True)
    rules.set_controls(patch_controls(rules.controls, "espresso", {"disable_auto_tare": True}))
    s = Script(rules=rules).to("Espresso", "HeatWaterHeater")
    assert [e.action.value for e in s.events(AutoTareNotification)] == ["disabled"]
    assert s.commands(Tare) == []


def test_auto_tare_holds_the_scale_at_zero_until_drops_are_expected():
    # for a scale that does not follow AutoTareNotification itself
    s = Script(rules=make_rules(tare_while_holding=True)).to("Espresso", "HeatWaterHeater").clear()
    s.advance(0.1).weight(0.02, 0.0)
    assert s.commands(Tare) == []                 # within the threshold
    s.advance(0.1).weight(3.2, 0.0)               # cup put down 0.2 s after the start's tare
    assert s.commands(Tare) == []                 # rate limit: once per 0.25 s
    s.advance(0.1).weight(3.2, 0.0)
    assert s.commands(Tare) == [Tare()]
    s.advance(0.1).weight(3.2, 0.0)
    assert s.commands(Tare) == [Tare()]
    s.advance(0.2).weight(3.2, 0.0)
    assert len(s.commands(Tare)) == 2
    s.to("Espresso", "PreInfuse").sample(pressure=0.3, flow=4.0)
    assert [e.action.value for e in s.events(AutoTareNotification)] == ["disabled"]
    s.advance(0.5).weight(5.0, 1.0)
    assert len(s.commands(Tare)) == 2


def test_no_auto_tare_notifications_without_a_scale_role():
    rules = make_rules()
    rules.scale_exists = False
    s = Script(rules=rules).to("Espresso", "HeatWaterHeater")
    assert s.events(AutoTareNotification) == []
    assert s.commands(Tare) == []


def test_first_drops_threshold_null_never_expects_drops():
    rules = make_rules()
    rules.set_controls(patch_controls(rules.controls, "espresso", {"first_drops_threshold": None}))
    s = espresso_to_pour(Script(rules=rules))
    assert "sequence_expect_drops" not in s.gates()


def test_first_drops_threshold_waits_for_pressure():
    rules = make_rules()
    rules.set_controls(patch_controls(rules.controls, "espresso", {"first_drops_threshold": 2.0}))
    s = Script(rules=rules).to("Espresso", "HeatWaterHeater").to("Espresso", "PreInfuse")
    s.sample(pressure=1.9, flow=4.0)
    assert "sequence_expect_drops" not in s.gates()
    s.sample(pressure=2.1, flow=4.0)
    assert s.gates()[-1] == "sequence_expect_drops"


def test_steam_to_temperature_ends_steam_ahead_of_the_target():
    s = Script().bluedot(20.0, high_alarm=60.0)
    s.to("Steam", "HeatWaterHeater").advance(0.5).to("Steam", "Steaming")
    assert s.stop_ats("steam to temperature") == [("steam to temperature", "enabled")]
    assert s.commands(ThermometerRate) == [ThermometerRate(1.0)]
    temperature = 20.0
    ended_at = None
    for _ in range(40):                            # 2.5 °C/s, a report every second
        s.advance(1.0)
        if s.commands(EndSteam):
            ended_at = s.commands(EndSteam)[0].trigger_time
            break
        temperature += 2.5
        s.bluedot(temperature, high_alarm=60.0)
    assert ended_at is not None
    # the line reaches 60 °C 16 s after the first report; stop lag 1 s
    first_report = 1000.5
    assert abs(ended_at - (first_report + 16.0 - 1.0)) < 1e-6
    assert ("steam to temperature", "triggered") in s.stop_ats()
    s.to("Steam", "SteamPuff")
    assert s.stop_ats()[-1] == ("steam to temperature", "disabled")
    assert s.commands(ThermometerRate)[-1] == ThermometerRate(10.0)


def test_steam_to_temperature_never_triggers_on_a_falling_temperature():
    s = Script().bluedot(70.0, high_alarm=60.0)
    s.to("Steam", "HeatWaterHeater").to("Steam", "Steaming")
    for i in range(10):
        s.advance(1.0).bluedot(70.0 - i, high_alarm=60.0)
    assert s.commands(EndSteam) == []


def test_steam_skips_the_first_seconds():
    s = Script().bluedot(64.0, high_alarm=65.0)
    s.to("Steam", "HeatWaterHeater").to("Steam", "Steaming")
    s.advance(1.0).bluedot(66.0, high_alarm=65.0).advance(1.0).bluedot(68.0, high_alarm=65.0)
    assert s.commands(EndSteam) == []
    s.advance(2.1)
    assert len(s.commands(EndSteam)) == 1          # at 4 s, not before


def test_auto_off_sleeps_after_idle_minutes_but_not_during_a_sequence():
    rules = make_rules()
    rules.set_controls(replace(rules.controls, auto_off_time=30.0))
    s = Script(rules=rules).to("Idle", "NoState")
    s.advance(29 * 60)
    assert s.commands(SleepDE1) == []
    s.advance(61)
    assert s.commands(SleepDE1) == [SleepDE1(via_idle=False)]
    s.advance(30)
    assert len(s.commands(SleepDE1)) == 1          # not repeated within the retry interval
    rules.set_controls(replace(rules.controls, auto_off_time=1.0))
    s.clear().to("Steam", "Steaming").advance(200)
    assert s.commands(SleepDE1) == []              # never in the middle of a sequence


def test_auto_off_disabled_by_default_and_asks_idle_first_from_other_states():
    s = Script().to("Idle", "NoState").advance(24 * 3600)
    assert s.commands(SleepDE1) == []
    rules = make_rules(default_auto_off_minutes=1.0)
    s = Script(rules=rules).to("Descale", "DescaleInit").advance(61)
    assert s.commands(SleepDE1) == [SleepDE1(via_idle=True)]


def test_scale_and_thermometer_follow_the_de1_to_sleep_and_back():
    s = Script().to("GoingToSleep").to("Sleep")
    assert s.commands(FollowDE1) == [FollowDE1(DeviceFollow.RELEASE)]
    s.clear().to("Idle", "HeatWaterHeater")
    assert s.commands(FollowDE1) == [FollowDE1(DeviceFollow.CAPTURE)]


def test_stop_at_notifications_carry_state_and_frame():
    s = espresso_to_pour(Script())
    enabled = [e for e in s.events(StopAtNotification) if e.action.value == "enabled"]
    assert {e.active_state for e in enabled} == {"Espresso"}
    assert [e.current_frame for e in enabled if e.stop_at.value == "volume"] == [0]
