"""The pure DE1 firmware model, driven with an explicit clock (no threads, no loop)."""

from __future__ import annotations

import pytest

from pyde1.profile import plan_source
from pyde1.protocol.enums import CalCommand, CalTarget, MachineState as S, Substate as Sub
from pyde1.protocol.firmware import FirmwareHeader
from pyde1.protocol.mmr_packets import MMRReadRequest, MMRReadResponse, MMRWrite
from pyde1.protocol.packets import Calibration, FWMapRequest, ShotSample, StateInfo, WaterLevels
from pyde1.sim.de1 import U, DE1Model


def states(notes):
    return [(StateInfo.decode(n.data).state, StateInfo.decode(n.data).substate)
            for n in notes if n.uuid == U["StateInfo"]]


def samples(notes):
    return [ShotSample.decode(n.data) for n in notes if n.uuid == U["ShotSample"]]


def run(model, seconds, step=0.05):
    out = []
    for _ in range(round(seconds / step)):
        model.advance(step)
        out += model.drain()
    return out


def request(model, state):
    model.write(U["RequestedState"], bytes([state]))


def test_wake_heats_then_ready_and_sleep_goes_through_going_to_sleep():
    m = DE1Model(start_state=S.Sleep, wake_seconds=2.0)
    request(m, S.Idle)
    notes = m.drain() + run(m, 3)
    assert states(notes) == [(S.Idle, Sub.HeatWaterHeater), (S.Idle, Sub.NoState)]
    request(m, S.Sleep)
    notes = m.drain() + run(m, 1)
    assert states(notes) == [(S.GoingToSleep, Sub.NoState), (S.Sleep, Sub.NoState)]
    request(m, S.Espresso)  # not from Sleep: ignored
    assert states(m.drain() + run(m, 1)) == []


def test_shot_sample_rate_counter_and_sleep_rate():
    m = DE1Model(start_state=S.Idle, line_frequency=60)
    got = samples(run(m, 10))
    assert 47 <= len(got) <= 49  # 120 half-cycles/s / 25 = 4.8 per second
    assert {(b.sample_time - a.sample_time) % 65536 for a, b in zip(got, got[1:])} == {25}
    asleep = DE1Model(start_state=S.Sleep, line_frequency=50)
    slow = samples(run(asleep, 10))
    assert 12 <= len(slow) <= 14  # a third of 4 per second
    m.half_cycles = 65530.0
    m._next_sample = 65550.0
    wrapped = samples(run(m, 1))
    assert any(s.sample_time < 100 for s in wrapped)  # the counter wraps at 65536


def test_same_seed_same_shot():
    def shot(seed):
        m = DE1Model(start_state=S.Idle, seed=seed)
        request(m, S.Espresso)
        return [n.data for n in run(m, 20) if n.uuid == U["ShotSample"]]
    assert shot(7) == shot(7)
    assert shot(7) != shot(8)


def test_profile_frames_exit_on_pressure_and_end_the_shot():
    source = (b'{"version": "2", "title": "t", "target_volume_count_start": 1, "steps": ['
              b'{"name": "a", "pump": "flow", "flow": 4, "transition": "fast", "temperature": 90,'
              b' "sensor": "coffee", "seconds": 20, "volume": 0,'
              b' "exit": {"type": "pressure", "condition": "over", "value": 2.5}},'
              b'{"name": "b", "pump": "pressure", "pressure": 6, "transition": "fast", "temperature": 90,'
              b' "sensor": "coffee", "seconds": 3, "volume": 0}]}')
    m = DE1Model(start_state=S.Idle)
    for write in plan_source(source).writes:
        m.write(write.uuid, write.payload)
    request(m, S.Espresso)
    notes = run(m, 30)
    shot = samples(notes)
    frame0 = [s for s in shot if s.frame_number == 0 and s.set_group_flow == 4]
    assert frame0 and max(s.group_pressure for s in frame0) < 3.0
    first_frame1 = next(s for s in shot if s.frame_number == 1)
    # frame 0 ended by its exit (pressure > 2.5) long before its 20 s
    assert (first_frame1.sample_time - shot[0].sample_time) / 120 < 15
    assert [st for st in states(notes) if st[0] == S.Espresso][-2:] == [(S.Espresso, Sub.Pour),
                                                                      (S.Espresso, Sub.Flush)]
    assert states(notes)[-1] == (S.Idle, Sub.NoState) and m.shots_completed == 1
    assert m.puck.through_ml > 3 and m.cup_ml == pytest.approx(max(0.0, m.puck.through_ml - m.puck.absorbed_ml))


def test_stop_takes_effect_after_the_stop_delay_and_skip_to_next():
    m = DE1Model(start_state=S.Idle, stop_delay=0.5)
    request(m, S.Espresso)
    run(m, 3)
    assert m.substate == Sub.PreInfuse
    request(m, S.SkipToNext)
    run(m, 0.1)
    assert m.runner.frame == 1 and m.substate == Sub.Pour
    request(m, S.Idle)
    run(m, 0.3)
    assert m.substate == Sub.Pour  # not yet: the machine needs its stop delay
    notes = run(m, 0.5)
    assert (S.Espresso, Sub.Flush) in states(notes)


def test_mmr_reads_multiword_and_writes_are_trimmed():
    m = DE1Model(build=1333)
    m.write(U["ReadFromMMR"], MMRReadRequest(0x803808, 23).encode())
    words = {}
    for n in m.drain():
        words.update(MMRReadResponse.decode(n.data).words())
    assert len(words) == 23 and words[0x803834] == 230 and words[0x803860] == 0
    m.write(U["WriteToMMR"], MMRWrite.register("FAN_THRESHOLD", 75).encode())
    assert m.regs.word(0x803808) == 60
    m.write(U["WriteToMMR"], MMRWrite.register("TANK_TEMP", 85).encode())
    assert m.regs.word(0x80380C) == 85


def test_old_firmware_hangs_on_the_hazardous_registers():
    m = DE1Model(build=1250)
    m.write(U["ReadFromMMR"], MMRReadRequest(0x803808, 23).encode())
    assert m.drain() == [] and m.mmr_hung
    m.write(U["ReadFromMMR"], MMRReadRequest(0x800010, 1).encode())
    assert m.drain() == []  # hung until power-cycled, as the real firmware


def test_water_falls_during_flow_and_refills_with_the_kit():
    m = DE1Model(start_state=S.Idle, refill_kit=True)
    m.level_mm = 6.0
    request(m, S.HotWater)
    run(m, 20)
    assert m.level_mm < 6.0 or m.state == S.Refill
    m.level_mm = 1.0
    notes = run(m, 1)
    assert (S.Refill, Sub.NoState) in states(notes) or m.state == S.Refill
    run(m, 30)
    assert m.state == S.Idle and m.level_mm >= m.full_mm
    levels = [WaterLevels.decode(n.data) for n in run(m, 1) if n.uuid == U["WaterLevels"]]
    assert levels and levels[-1].start_fill_level == 5.0


def test_calibration_read_write_and_refusal():
    m = DE1Model()

    def ask(packet):
        m.write(U["Calibration"], packet.encode())
        return Calibration.decode(m.drain()[-1].data)

    assert ask(Calibration.read(CalTarget.CalFlow)).calibration == 1.0
    assert ask(Calibration.write(CalTarget.CalFlow, 1.0, 1.1)).calibration == pytest.approx(1.1, abs=1e-4)
    assert ask(Calibration.read(CalTarget.CalFlow, factory=True)).calibration == 1.0
    refused = ask(Calibration(0, CalCommand.Write, CalTarget.CalFlow, 1.0, 2.0))  # no write key
    assert refused.is_error


def _image(body: int = 200) -> bytes:
    header = FirmwareHeader(checksum=1, board_marker=0xDE100001, version=1352, byte_count=body,
                            cpu_bytes=body, unused=0, dc_sum=2, iv=b"\x01" * 32, h_sum=3)
    return header.encode() + bytes(range(256))[:body] * 1


def test_firmware_erase_write_and_verify():
    m = DE1Model()
    image = _image(200)
    m.write(U["FWMapRequest"], FWMapRequest.erase().encode())
    assert FWMapRequest.decode(m.drain()[-1].data).fw_to_erase == 1
    done = [FWMapRequest.decode(n.data) for n in run(m, 3) if n.uuid == U["FWMapRequest"]]
    assert done and done[-1].fw_to_erase == 0
    for offset in range(0, len(image), 16):
        if offset == 160:
            continue  # one block never written
        m.write(U["WriteToMMR"], MMRWrite.firmware_chunk(offset, image[offset:offset + 16]).encode())
    m.write(U["FWMapRequest"], FWMapRequest.report_first_error().encode())
    assert FWMapRequest.decode(m.drain()[-1].data).first_error == 160
    m.write(U["WriteToMMR"], MMRWrite.firmware_chunk(160, image[160:176]).encode())
    m.write(U["FWMapRequest"], FWMapRequest.report_first_error().encode())
    assert FWMapRequest.decode(m.drain()[-1].data).verified_ok
    assert m.flash.installed_version == 1352


def test_flow_goal_held_by_the_pressure_limiter_pumps_what_the_puck_takes():
    """A flow frame whose pressure limiter caps the pressure: the pump cannot push more than
    the puck lets through (before, it reported its goal flow while the water went nowhere)."""
    import random

    from pyde1.sim.shot import Puck

    puck = Puck(random.Random(1))
    pumped = 0.0
    for _ in range(int(20 / 0.02)):
        puck.step(0.02, "flow", 7.0, 2.0)
        pumped += puck.pump_flow * 0.02
    assert puck.pressure == pytest.approx(2.0, abs=0.05)
    assert puck.pump_flow == pytest.approx(puck.puck_flow, rel=0.05)
    assert pumped < puck.through_ml + puck.headspace_ml + 2.0
    free = Puck(random.Random(1))
    for _ in range(int(10 / 0.02)):
        free.step(0.02, "flow", 2.0, 0.0)
    assert free.pump_flow == pytest.approx(2.0, rel=0.02)   # no limiter: the goal flow
