"""Scale codecs: byte vectors from devices-and-sequencing.md part A, identification, and
random bytes into every decoder (a reading or a ScaleDecodeError, nothing else)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyde1.scales import (AcaiaCodec, AcaiaStream, AcaiaTransport, BatteryReading, BookooCodec,
                          ButtonReading, DecentCodec, FelicitaCodec, InfoReading, ScaleCommandError,
                          ScaleDecodeError, ScaleFamily, SkaleCodec, TareAck, TimerReading,
                          WeightReading, codec_for, identify)
from pyde1.scales import acaia, bookoo, decent, felicita, skale

H = bytes.fromhex


def datas(commands) -> list[bytes]:
    return [c.data for c in commands]


# -- Skale (A.1) ----------------------------------------------------------------------------

def test_skale_weight_is_bytes_1_to_3_in_tenths_and_byte_0_ignored():
    c = SkaleCodec()
    assert c.decode(skale.WEIGHT, H("00 6d 01 00 00 6d 01 00")) == [WeightReading(36.5)]
    assert c.decode(skale.WEIGHT, H("7f 6d 01 00")) == [WeightReading(36.5)]
    assert c.decode(skale.WEIGHT, H("00 fb ff ff")) == [WeightReading(-0.5)]


def test_skale_encoder_round_trips_and_puts_zero_in_byte_0():
    data = skale.encode_weight(-12.3)
    assert data[0] == 0 and len(data) == 8
    assert SkaleCodec().decode(skale.WEIGHT, data) == [WeightReading(-12.3)]


def test_skale_button_and_battery():
    c = SkaleCodec()
    assert c.decode(skale.BUTTONS, b"\x01") == [ButtonReading(1)]
    assert c.decode_battery_read(b"\x3f") == BatteryReading(63)
    assert c.decode_battery_read(b"\xff") == BatteryReading(100)


def test_skale_commands():
    c = SkaleCodec()
    assert datas(c.tare()) == [b"\x10"]
    assert datas(c.display(False)) == [b"\xee"]
    assert datas(c.display(True)) == [b"\xed", b"\xec"]
    assert datas(c.init_commands()) == [b"\xec", b"\xed", b"\x03"]
    assert all(cmd.pause > 0 for cmd in c.init_commands())   # the Skale drops back-to-back writes
    assert [datas(c.timer(a)) for a in ("start", "stop", "reset")] == [[b"\xdd"], [b"\xd1"], [b"\xd0"]]
    assert {cmd.uuid for cmd in c.init_commands()} == {skale.COMMAND}


def test_skale_short_weight_is_a_typed_error():
    with pytest.raises(ScaleDecodeError, match="at least 4 bytes"):
        SkaleCodec().decode(skale.WEIGHT, b"\x00\x01")


# -- Acaia (A.2) ----------------------------------------------------------------------------

def test_acaia_commands_match_the_reference_bytes():
    assert acaia.IDENT_IPS == H("ef dd 0b") + b"\x2d" * 15 + H("68 3b")
    assert acaia.IDENT_PYXIS == H("ef dd 0b 30 31 32 33 34 35 36 37 38 39 30 31 32 33 34 9a 6d")
    assert acaia.NOTIFICATION_REQUEST == H("ef dd 0c 09 00 01 01 02 02 05 03 04 15 06")
    assert acaia.HEARTBEAT == H("ef dd 00 02 00 02 00")
    assert acaia.TARE_SHORT == H("ef dd 04 00 00 00")
    assert acaia.TARE == H("ef dd 04") + bytes(15) + H("00 00")
    assert acaia.GET_SETTINGS == H("ef dd 06") + bytes(16) + H("00 00")
    assert acaia.timer_command("start", 3) == H("ef dd 0d 03 00 03 00")
    assert acaia.timer_command("reset", 3) == H("ef dd 0d 03 01 03 01")
    assert acaia.timer_command("stop", 3) == H("ef dd 0d 03 02 03 02")
    assert acaia.config_command(0, 2, 0) == H("ef dd 0a 00 00 02 02 00")
    assert acaia.config_command(0, 5, 0) == H("ef dd 0a 00 00 05 05 00")
    assert acaia.config_command(5, 1, 1) == H("ef dd 0a 01 05 01 02 05")


def test_acaia_worked_weight_example_and_checksum():
    frame = H("ef dd 0c 08 05 2d 00 00 00 02 02 37 07")
    assert acaia.weight_event(-0.45) == frame
    c = AcaiaCodec(AcaiaTransport.IPS)
    assert c.decode(acaia.IPS_CHAR, frame) == [WeightReading(-0.45, stable=True)]


def test_acaia_captured_ack_with_weight_record_and_bare_timer_ack():
    c = AcaiaCodec(AcaiaTransport.PYXIS)
    assert c.decode(acaia.PYXIS_NOTIFY, H("ef dd 0c 0b 0b 00 01 05 2d 00 00 00 02 02 12 3b")) == \
        [WeightReading(-0.45, stable=True)]
    assert c.decode(acaia.PYXIS_NOTIFY, H("ef dd 0c 04 0b 01 21 05 2c")) == []


def test_acaia_weight_flags_exponents_and_24_bit_magnitude():
    body = (1234567).to_bytes(3, "little") + bytes([0, 3, 0x01])
    assert acaia.decode_weight_body(body) == WeightReading(1234.567, stable=False)
    assert acaia.decode_weight_body(H("10 27 00 00 01 00")) == WeightReading(1000.0, stable=True)
    with pytest.raises(ScaleDecodeError, match="exponent"):
        acaia.decode_weight_body(H("10 27 00 00 05 00"))


def test_acaia_weight_event_length_variants_carry_battery_and_timer():
    c = AcaiaCodec()
    with_battery = acaia.weight_event(12.34, battery=77)      # L = 0A (Lunar)
    assert with_battery[3] == 0x0A and len(with_battery) == 15
    assert c.decode(acaia.PYXIS_NOTIFY, with_battery) == [WeightReading(12.34, True), BatteryReading(77)]
    longer = acaia.weight_event(1.0, battery=50, timer=(1, 2, 3))   # L = 0E
    assert longer[3] == 0x0E
    assert c.decode(acaia.PYXIS_NOTIFY, longer) == [WeightReading(1.0, True), BatteryReading(50),
                                                    TimerReading(62.3)]


def test_acaia_settings_key_info_and_odd_frames():
    c = AcaiaCodec()
    assert c.decode(acaia.PYXIS_NOTIFY, acaia.settings_frame(64, timer_running=True)) == [BatteryReading(64)]
    assert c.decode(acaia.PYXIS_NOTIFY, acaia.key_event(acaia.KEY_TARE)) == [ButtonReading(0)]
    info = c.decode(acaia.PYXIS_NOTIFY, acaia.NOT_CONNECTED_INFO)
    assert len(info) == 1 and isinstance(info[0], InfoReading)
    assert c.decode(acaia.PYXIS_NOTIFY, H("ef dd 20 0c 0c 00") + acaia.weight_event(2.0)) == \
        [InfoReading("power", "efdd200c0c00"), WeightReading(2.0, True)]


def test_acaia_stream_reassembles_split_and_packed_frames():
    c = AcaiaCodec()
    a, b = acaia.weight_event(1.5), acaia.weight_event(2.5)
    stream = a + b
    out = []
    for i in range(0, len(stream), 3):
        out += c.decode(acaia.PYXIS_NOTIFY, stream[i:i + 3])
    assert out == [WeightReading(1.5, True), WeightReading(2.5, True)]
    assert c.decode(acaia.PYXIS_NOTIFY, a + b) == [WeightReading(1.5, True), WeightReading(2.5, True)]


def test_acaia_short_frame_is_never_read_into_the_next_one():
    """A.2.11 quirk 5: a truncated frame followed by a good one must not give a bogus weight."""
    c = AcaiaCodec()
    cut = acaia.weight_event(36.0)[:9]
    with pytest.raises(ScaleDecodeError) as info:
        c.decode(acaia.PYXIS_NOTIFY, cut + acaia.weight_event(36.1))
    assert info.value.readings == (WeightReading(36.1, True),)
    assert c.decode(acaia.PYXIS_NOTIFY, acaia.weight_event(36.2)) == [WeightReading(36.2, True)]


def test_acaia_junk_between_frames_is_skipped_and_a_trailing_ef_kept():
    c = AcaiaCodec()
    frame = acaia.weight_event(3.0)
    assert c.decode(acaia.PYXIS_NOTIFY, b"\x01\x02" + frame + b"\xef") == [WeightReading(3.0, True)]
    assert c.decode(acaia.PYXIS_NOTIFY, frame[1:]) == [WeightReading(3.0, True)]
    assert c.stream.discarded_bytes == 2


def test_acaia_scale_without_checksums_is_accepted_after_a_run_of_mismatches():
    stream = AcaiaStream()
    bad = acaia.weight_event(5.0)[:-2] + b"\x00\x00"
    results = [stream.feed(bad) for _ in range(acaia.LENIENT_AFTER)]
    assert all(r[1] for r in results[:-1])
    assert results[-1][0] == [WeightReading(5.0, True)] and not stream.verify


def test_acaia_codec_layouts_commands_and_handshake():
    ips, pyxis = AcaiaCodec(AcaiaTransport.IPS), AcaiaCodec(AcaiaTransport.PYXIS)
    assert ips.layout().notify == (acaia.IPS_CHAR,) and ips.layout().command == acaia.IPS_CHAR
    assert pyxis.layout().command == acaia.PYXIS_WRITE
    assert not ips.WRITE_RESPONSE and pyxis.WRITE_RESPONSE
    assert datas(ips.init_commands()) == [acaia.IDENT_IPS, acaia.NOTIFICATION_REQUEST, acaia.HEARTBEAT]
    assert datas(pyxis.init_commands())[0] == acaia.IDENT_PYXIS
    assert datas(pyxis.tare()) == [acaia.TARE] * 3
    assert acaia.HEARTBEAT in datas(ips.heartbeat()) and acaia.GET_SETTINGS in datas(ips.heartbeat())
    with pytest.raises(ScaleCommandError):
        pyxis.display(True)


def test_acaia_transport_by_services_before_name():
    assert acaia.transport_for("ACAIAL1") is AcaiaTransport.IPS
    assert acaia.transport_for("PROCHBT001") is AcaiaTransport.IPS
    assert acaia.transport_for("LUNAR-1") is AcaiaTransport.PYXIS
    assert acaia.transport_for("ACAIA", [acaia.PYXIS_SERVICE.upper()]) is AcaiaTransport.PYXIS
    assert acaia.transport_for("PYXIS", [acaia.IPS_SERVICE]) is AcaiaTransport.IPS


# -- Felicita (A.3) -------------------------------------------------------------------------

BEANCONQUEROR_SAMPLE = H("01 02 2b 30 30 30 30 30 30 20 67 53 4f 30 22 89 0d 0a")


def test_felicita_sample_frame_from_the_reference():
    c = FelicitaCodec()
    assert c.decode(felicita.CHAR, BEANCONQUEROR_SAMPLE) == [WeightReading(0.0), BatteryReading(28)]


def test_felicita_negative_weight_ounces_and_battery_clamp():
    c = FelicitaCodec()
    frame = bytearray(felicita.encode_weight(-18.52, battery=100))
    assert c.decode(felicita.CHAR, bytes(frame)) == [WeightReading(-18.52), BatteryReading(100)]
    frame[15] = 200
    assert c.decode(felicita.CHAR, bytes(frame))[1] == BatteryReading(100)
    oz = felicita.decode_notification(felicita.encode_weight(28.35, ounces=True))
    assert abs(oz[0].grams - 28.35) < 0.01


@pytest.mark.parametrize("data, reason", [
    (BEANCONQUEROR_SAMPLE[:17], "exactly 18"),
    (b"\x01\x03" + BEANCONQUEROR_SAMPLE[2:], "header"),
    (BEANCONQUEROR_SAMPLE[:4] + b"x" + BEANCONQUEROR_SAMPLE[5:], "six ASCII digits"),
])
def test_felicita_bad_frames_are_typed_errors(data, reason):
    with pytest.raises(ScaleDecodeError, match=reason):
        FelicitaCodec().decode(felicita.CHAR, data)


def test_felicita_commands():
    c = FelicitaCodec()
    assert datas(c.tare()) == [b"T"]
    assert [datas(c.timer(a)) for a in ("start", "stop", "reset")] == [[b"R"], [b"S"], [b"C"]]
    assert c.layout().command == c.layout().notify[0] == felicita.CHAR


# -- Decent Scale (A.4) ---------------------------------------------------------------------

def test_decent_commands_match_the_reference():
    c = DecentCodec()
    assert datas(c.tare()) == [H("03 0f 00 00 00 01 0d")]
    assert decent.LED_ON_NO_HEARTBEAT == H("03 0a 01 01 00 00 09")
    assert decent.LED_OFF == H("03 0a 00 00 00 00 09")
    assert decent.OLED_WAKE == H("03 0a 04 00 00 00 0d")
    assert decent.POWER_OFF_CMD == H("03 0a 02 00 00 00 0b")
    assert datas(c.timer("start")) == [H("03 0b 03 00 00 00 0b")]
    assert datas(c.timer("stop")) == [H("03 0b 00 00 00 00 08")]
    assert datas(c.timer("reset")) == [H("03 0b 02 00 00 00 0a")]
    assert datas(c.init_commands())[0][5] == 0   # turns the Half Decent Scale's heartbeat off


def test_decent_keep_alive_never_lights_a_dark_display():
    c = DecentCodec()
    assert datas(c.heartbeat()) == [decent.LED_ON_NO_HEARTBEAT]
    c.display(False)
    assert datas(c.heartbeat()) == [decent.LED_OFF]


def test_decent_weight_status_button_and_tare_ack():
    c = DecentCodec()
    assert c.decode(decent.DATA, H("03 ce 01 6d 00 00 00")) == [WeightReading(36.5, stable=True)]
    assert c.decode(decent.DATA, H("03 ca ff fb 01 02 03 00 00 00")) == [WeightReading(-0.5, stable=False)]
    assert c.decode(decent.DATA, decent.encode_status(55)) == [BatteryReading(55)]
    assert c.decode(decent.DATA, decent.encode_status(0xFF)) == [BatteryReading(None, charging=True)]
    assert c.decode(decent.DATA, decent.encode_button(2, long_press=True)) == [ButtonReading(2, True)]
    assert c.decode(decent.DATA, decent.encode_tare_ack()) == [TareAck()]


def test_decent_wrong_weight_length_and_unknown_type_are_typed_errors():
    with pytest.raises(ScaleDecodeError, match="7 or 10"):
        DecentCodec().decode(decent.DATA, H("03 ce 01 6d 00"))
    with pytest.raises(ScaleDecodeError, match="unknown frame type"):
        DecentCodec().decode(decent.DATA, H("03 77 00 00 00 00 00"))


# -- Bookoo (A.5) ---------------------------------------------------------------------------

def test_bookoo_commands_follow_the_xor_rule():
    c = BookooCodec()
    assert datas(c.tare()) == [H("03 0a 01 00 00 08")]
    assert datas(c.timer("start")) == [H("03 0a 04 00 00 0d")]
    assert datas(c.timer("stop")) == [H("03 0a 05 00 00 0c")]
    assert datas(c.timer("reset")) == [H("03 0a 06 00 00 0f")]
    assert bookoo.parse_command(H("03 0a 04 00 00 0a")) == bookoo.OP_TIMER_START   # vendor-printed
    assert bookoo.parse_command(H("03 0a 04 00 00 0b")) is None


def test_bookoo_weight_packet_and_its_checks():
    c = BookooCodec()
    frame = bookoo.encode_weight(-1234.56, battery=88)
    assert c.decode(bookoo.DATA, frame) == [WeightReading(-1234.56), BatteryReading(88)]
    bad = frame[:19] + bytes([frame[19] ^ 1])
    with pytest.raises(ScaleDecodeError, match="checksum"):
        c.decode(bookoo.DATA, bad)
    no_battery = bytearray(bookoo.encode_weight(1.0, battery=101))
    assert c.decode(bookoo.DATA, bytes(no_battery)) == [WeightReading(1.0)]
    with pytest.raises(ScaleDecodeError, match="exactly 20"):
        c.decode(bookoo.DATA, frame[:19])


# -- identification (A.0.1, A.0.2) ----------------------------------------------------------

@pytest.mark.parametrize("name, family, model", [
    ("Skale", ScaleFamily.SKALE, "AtomaxSkaleII"), ("Skale2", ScaleFamily.SKALE, "AtomaxSkaleII"),
    ("ACAIAL1234", ScaleFamily.ACAIA, "AcaiaAcaia"), ("PROCHBT001", ScaleFamily.ACAIA, "AcaiaProch"),
    ("LUNAR-AB12", ScaleFamily.ACAIA, "AcaiaLunar"), ("ACAIA LUNAR", ScaleFamily.ACAIA, "AcaiaLunar"),
    ("PEARLS1", ScaleFamily.ACAIA, "AcaiaPearlS"), ("PEARL-S", ScaleFamily.ACAIA, "AcaiaPearlS"),
    ("acaia pearl", ScaleFamily.ACAIA, "AcaiaPearlS"), ("PYXIS-01", ScaleFamily.ACAIA, "AcaiaPyxis"),
    ("CINCO1", ScaleFamily.ACAIA, "AcaiaCinco"),
    ("FELICITA", ScaleFamily.FELICITA, "FelicitaArc"), ("Felicita Arc", ScaleFamily.FELICITA, "FelicitaArc"),
    ("Decent Scale", ScaleFamily.DECENT, "DecentScale"),
    ("BOOKOO_SC 01", ScaleFamily.BOOKOO, "BookooScale"), ("Bookoo Mini", ScaleFamily.BOOKOO, "BookooScale"),
])
def test_identify_by_name(name, family, model):
    found = identify(name)
    assert (found.family, found.model) == (family, model)
    assert codec_for(found).FAMILY is family


@pytest.mark.parametrize("name", ["DE1", "BlueDOT", "BOOKOO_EM 1", "UMBRA-1", "another", "", None,
                                  "Eureka Precisa"])
def test_identify_rejects_other_devices(name):
    assert identify(name) is None


def test_identify_by_services_only_without_a_name_and_never_by_shared_fff0():
    assert identify(None, [acaia.PYXIS_SERVICE]).transport is AcaiaTransport.PYXIS
    assert identify("", [skale.SERVICE]).family is ScaleFamily.SKALE
    assert identify(None, [decent.SERVICE]) is None
    assert identify("LUNAR", [acaia.IPS_SERVICE]).transport is AcaiaTransport.IPS


# -- random bytes: a value or a typed error, nothing else ------------------------------------

CODECS = [(SkaleCodec, skale.WEIGHT), (SkaleCodec, skale.BUTTONS), (FelicitaCodec, felicita.CHAR),
          (DecentCodec, decent.DATA), (BookooCodec, bookoo.DATA),
          (lambda: AcaiaCodec(AcaiaTransport.IPS), acaia.IPS_CHAR),
          (lambda: AcaiaCodec(AcaiaTransport.PYXIS), acaia.PYXIS_NOTIFY)]
READING_TYPES = (WeightReading, ButtonReading, BatteryReading, TimerReading, TareAck, InfoReading)


@pytest.mark.parametrize("make, uuid", CODECS)
@settings(max_examples=300, deadline=None)
@given(packets=st.lists(st.binary(max_size=40), min_size=1, max_size=6))
def test_random_bytes_give_readings_or_a_typed_error(make, uuid, packets):
    codec = make()
    for data in packets:
        try:
            readings = codec.decode(uuid, data)
        except ScaleDecodeError as exc:
            readings = list(exc.readings)
            assert str(exc)
        assert all(isinstance(r, READING_TYPES) for r in readings)
        for r in readings:
            if isinstance(r, WeightReading):
                assert math.isfinite(r.grams) and abs(r.grams) < 2e6


@settings(max_examples=200, deadline=None)
@given(grams=st.floats(-600, 600), junk=st.binary(max_size=12), cut=st.integers(1, 12))
def test_acaia_good_frames_survive_leading_junk_and_any_split(grams, junk, cut):
    codec = AcaiaCodec()
    frame = acaia.weight_event(grams)
    stream = junk.replace(b"\xef", b"") + frame
    out = []
    for i in range(0, len(stream), cut):
        try:
            out += codec.decode(acaia.PYXIS_NOTIFY, stream[i:i + cut])
        except ScaleDecodeError as exc:
            out += exc.readings
    weights = [r for r in out if isinstance(r, WeightReading)]
    assert weights and weights[-1].grams == pytest.approx(grams, abs=0.0051)   # hundredths


@pytest.mark.parametrize("codec", [BookooCodec(), FelicitaCodec(), DecentCodec()], ids=lambda c: c.FAMILY.value)
def test_single_stream_codecs_refuse_other_characteristics_and_timer_actions(codec):
    other = "0000ffff-0000-1000-8000-00805f9b34fb"
    with pytest.raises(ScaleDecodeError, match="unexpected characteristic 0000ffff"):
        codec.decode(other, b"\x00" * 20)
    assert [c.uuid for c in codec.timer("start")] == [codec.layout().command]
    with pytest.raises(ScaleCommandError, match="'start', 'stop' or 'reset', not 'pause'"):
        codec.timer("pause")
