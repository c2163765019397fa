"""BlueDOT codec (devices-and-sequencing.md B.1) and its simulator model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyde1 import bluedot
from pyde1.bluedot import BlueDOTError, BlueDOTReport, decode_update, encode_update
from pyde1.events import TemperatureUnit
from pyde1.sim.bluedot import SimBlueDOT

H = bytes.fromhex


def test_update_layout_from_the_reference():
    #          status temp=21    alarm=65    sil dis units ?  address            alarm
    data = H("00 15 00 00 00 41 00 00 00 00 01 00 00 aa bb cc dd ee ff 01")
    r = decode_update(data)
    assert r == BlueDOTReport(probe_status=0, temperature=21, high_alarm=65, alarm_silenced=False,
                              alarm_disabled=True, units=TemperatureUnit.CELSIUS,
                              device_address="AA:BB:CC:DD:EE:FF", alarm_byte=1)
    assert r.probe_connected and r.alarm_hex == "01"


def test_fahrenheit_negative_and_no_probe():
    data = encode_update(-4, 150, TemperatureUnit.FAHRENHEIT, "01:02:03:04:05:06", probe_connected=False)
    r = decode_update(data)
    assert (r.temperature, r.high_alarm, r.units, r.probe_connected) == (-4, 150, TemperatureUnit.FAHRENHEIT, False)
    assert r.probe_status == 3 and len(data) == bluedot.UPDATE_LENGTH


def test_short_update_and_bad_units_are_typed_errors():
    with pytest.raises(BlueDOTError, match="needs 20 bytes"):
        decode_update(bytes(19))
    bad = bytearray(encode_update(20, 60))
    bad[11] = 7
    with pytest.raises(BlueDOTError, match="units byte 11"):
        decode_update(bytes(bad))


def test_writes_are_one_unsigned_byte_in_range():
    assert bluedot.encode_interval(1) == b"\x01"
    assert bluedot.encode_interval(59.6) == b"\x3c"
    assert bluedot.encode_high_alarm(149.4) == b"\x95"
    assert bluedot.freezing(TemperatureUnit.FAHRENHEIT) == 32 and bluedot.freezing(TemperatureUnit.CELSIUS) == 0
    for bad in (-1, 256, "hot", float("nan")):
        with pytest.raises(BlueDOTError):
            bluedot.encode_high_alarm(bad)
    with pytest.raises(BlueDOTError, match="at least 1"):
        bluedot.encode_interval(0.2)


def test_name_recognition():
    assert bluedot.is_bluedot_name("BlueDOT") and bluedot.is_bluedot_name("BlueDOT-2")
    assert not bluedot.is_bluedot_name("bluedot") and not bluedot.is_bluedot_name(None)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_random_bytes_decode_or_raise_the_typed_error(data):
    try:
        r = decode_update(data)
    except BlueDOTError:
        return
    assert isinstance(r.temperature, int) and r.units in TemperatureUnit


def _run(model: SimBlueDOT, seconds: float, dt: float = 0.05) -> list[BlueDOTReport]:
    out = []
    for _ in range(round(seconds / dt)):
        model.advance(dt)
        out += [decode_update(n.data) for n in model.drain() if n.uuid == bluedot.UPDATES]
    return out


def test_sim_reports_at_the_written_interval_only_while_connected():
    m = SimBlueDOT()
    assert _run(m, 3) == []
    m.on_connect()
    assert len(_run(m, 10)) in (9, 10, 11)
    m.write(bluedot.INTERVAL, b"\x05")
    assert len(_run(m, 20)) in (3, 4, 5)


def test_sim_milk_heats_while_steaming_and_the_alarm_sounds_at_the_target():
    steaming = [False]
    m = SimBlueDOT(steaming=lambda: steaming[0], high_alarm=60)
    m.on_connect()
    cold = _run(m, 2)[-1]
    steaming[0] = True
    reports = _run(m, 40)
    assert cold.temperature <= 7
    temps = [r.temperature for r in reports]
    assert temps[-1] >= 60 and all(b >= a - 1 for a, b in zip(temps, temps[1:]))
    first_hot = next(r for r in reports if r.temperature >= 60)
    assert first_hot.alarm_byte == 1
    assert 20 <= reports.index(first_hot) <= 40          # ~1.5-2 °C/s from the fridge


def test_sim_high_alarm_write_is_reported_back_and_bad_writes_refused():
    from pyde1.sim.peripheral import GattError
    m = SimBlueDOT(units=TemperatureUnit.FAHRENHEIT)
    m.on_connect()
    assert _run(m, 1.1)[-1].high_alarm == 149
    m.write(bluedot.HIGH_ALARM, bluedot.encode_high_alarm(32))
    assert _run(m, 1.1)[-1].high_alarm == 32
    with pytest.raises(GattError):
        m.write(bluedot.HIGH_ALARM, b"\x01\x02")
