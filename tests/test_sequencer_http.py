"""The real HTTP gateway talking to the real sequencer actor: de1/control/* and
de1/setting/auto_off_time round trips, and the sequencer's own validation as HTTP 400."""

from __future__ import annotations

import pytest

pytest.importorskip("actors.http", reason="the HTTP gateway is not part of this build")

from test_http_fakes import FakeDE1, start_gateway  # noqa: E402

from actors.sequencer import FlowSequencerActor  # noqa: E402


@pytest.fixture
def gw(runtime):
    gateway = start_gateway(runtime)
    gateway.start("de1", FakeDE1)
    gateway.start("sequencer", FlowSequencerActor)
    gateway.sync()
    yield gateway
    gateway.close()


def test_espresso_controls_round_trip(gw):
    r = gw.patch("/de1/control/espresso", {"stop_at_weight": 36, "move_on_weight": [None, 4.5, 0],
                                           "disable_auto_tare": True})
    assert (r.status, r.json) == (200, [])
    got = gw.get("/de1/control/espresso").json
    assert got["stop_at_weight"] == 36.0
    assert got["move_on_weight"] == [None, 4.5]
    assert got["disable_auto_tare"] is True
    assert got["last_drops_minimum_time"] == 3.0


def test_zero_clears_a_limit_and_negative_is_refused(gw):
    gw.patch("/de1/control/espresso", {"stop_at_volume": 40})
    assert gw.patch("/de1/control/espresso", {"stop_at_volume": 0}).status == 200
    assert gw.get("/de1/control/espresso").json["stop_at_volume"] is None
    r = gw.patch("/de1/control/espresso", {"stop_at_weight": -1})
    assert r.status == 400 and "stop_at_weight" in r.text


def test_sequencer_errors_answer_400_naming_the_key(gw):
    # The gateway validates first (types, ranges), so this is the answer for anything that
    # still reaches the sequencer and is refused there.
    from pyde1.api.errors import from_exception
    from pyde1.sequencer import ControlError
    error = from_exception(ControlError("espresso:stop_at_time", "expected a finite number"))
    assert error.status == 400
    assert error.body == "ControlError('espresso:stop_at_time: expected a finite number')"
    r = gw.patch("/de1/control/espresso", {"stop_at_weight": 30, "stop_at_time": -2})
    assert r.status == 400
    assert gw.get("/de1/control/espresso").json["stop_at_weight"] is None   # nothing applied


def test_auto_off_time_and_rinse_time(gw):
    assert gw.patch("/de1/setting/auto_off_time", {"time": 30}).status == 200
    assert gw.get("/de1/setting/auto_off_time").json == {"time": 30.0}
    assert gw.patch("/de1/control/hot_water_rinse", {"stop_at_time": 4.5}).status == 200
    assert gw.get("/de1/control/hot_water_rinse").json["stop_at_time"] == 4.5
