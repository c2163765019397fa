"""The gateway's device view: availability from events, else asked of the actor once (the
gateway starts after the devices and may never see their first event); the StateUpdate's
MQTT text made once per event."""

from __future__ import annotations

from actors.http.devices import DeviceView
from pyde1.events import DeviceAvailability, StateUpdate
from pyde1.lifecycle import ActorLifecycle, LifecycleKind


class _Caller:
    """Counts asks; ``during`` runs inside an ask (to put an event in its way)."""

    def __init__(self, answer: str = "ready", during=None) -> None:
        self.answer, self.during, self.asks = answer, during, 0

    def ask(self, role: str, method: str):
        assert method == "availability"
        self.asks += 1
        if self.during is not None:
            self.during()
        return self.answer


def _availability(state: str) -> DeviceAvailability:
    return DeviceAvailability(sender="DE1", state=state, role="de1", id="D9:B2:48:AA:BB:CC", name="DE1")


def _gone(kind=LifecycleKind.FAILED) -> ActorLifecycle:
    return ActorLifecycle(role="de1", actor_class="DE1", kind=kind, reason="test")


def _state(state: str) -> StateUpdate:
    return StateUpdate(state=state, substate="NoState", previous_state="Idle", previous_substate="NoState",
                       is_error_state=False)


def test_without_an_event_the_actor_is_asked_once():
    view, caller = DeviceView(), _Caller("ready")
    assert [view.availability(caller, "de1") for _ in range(5)] == ["ready"] * 5
    assert caller.asks == 1


def test_an_event_wins_over_what_was_asked():
    view, caller = DeviceView(), _Caller("ready")
    assert view.availability(caller, "de1") == "ready"
    view.on_event(_availability("released"))
    assert view.availability(caller, "de1") == "released"
    assert caller.asks == 1


def test_an_actor_that_is_gone_takes_its_answer_with_it():
    view, caller = DeviceView(), _Caller("ready")
    view.availability(caller, "de1")
    view.on_event(_gone())
    caller.answer = "connecting"
    assert view.availability(caller, "de1") == "connecting"
    assert caller.asks == 2


def test_an_answer_given_while_the_actor_went_away_is_not_kept():
    view = DeviceView()
    caller = _Caller("ready", during=lambda: view.on_event(_gone(LifecycleKind.STOPPED)))
    assert view.availability(caller, "de1") == "ready"   # this request gets what it was told
    caller.during = None
    view.availability(caller, "de1")
    assert caller.asks == 2                              # the next one asks the new actor


def test_state_text_is_made_once_per_event():
    view = DeviceView()
    assert view.state_json() is None
    first = _state("Espresso")
    view.on_event(first)
    text = view.state_json()
    assert text == first.to_json() and view.state_json() is text
    second = _state("Steam")
    view.on_event(second)
    assert view.state_json() == second.to_json() != text
