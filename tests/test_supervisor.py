"""The runtime: bus delivery by role, start order, restart with backoff, give-up, replace."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pykka
import pytest

from actors.base import ServiceActor
from actors.supervisor import ActorSpec, StartupError, Supervisor, start_order
from pyde1.lifecycle import ActorLifecycle, LifecycleKind, RestartPolicy

FAST = RestartPolicy(max_restarts=3, window=60.0, initial=0.01, maximum=0.05)


@dataclass(frozen=True)
class Ping:
    n: int


@dataclass(frozen=True)
class Boom:
    """Told to an actor: makes it raise outside on_event, as a crashed command would."""


STARTED: list[str] = []
STOPPED: list[str] = []
_log_lock = threading.Lock()


class Echo(ServiceActor):
    subscribes = (Ping,)

    def __init__(self, ctx, role, seen=None, **kw):
        super().__init__(ctx, role)
        self.seen = seen if seen is not None else []

    def on_start(self):
        with _log_lock:
            STARTED.append(self.role)

    def on_stop(self):
        with _log_lock:
            STOPPED.append(self.role)

    def on_receive(self, message):
        if isinstance(message, Boom):
            raise RuntimeError("boom on purpose")
        return super().on_receive(message)

    def on_event(self, event):
        if event.n < 0:
            raise ValueError("negative ping")  # bad input: must not kill the actor
        self.seen.append((type(self).__name__, event.n))

    def count(self):
        return len(self.seen)


class OtherEcho(Echo):
    pass


class FailsOnStart(ServiceActor):
    def on_start(self):
        raise OSError("no adapter")


@pytest.fixture(autouse=True)
def _clear_logs():
    STARTED.clear()
    STOPPED.clear()


def _start(runtime, specs, policy=FAST):
    sup = Supervisor.start(runtime, specs, policy, start_timeout=5, stop_timeout=5).proxy()
    return sup


def test_start_order_is_topological_and_rejects_cycles():
    a = ActorSpec("a", Echo, depends_on=("b",))
    b = ActorSpec("b", Echo, depends_on=("c",))
    c = ActorSpec("c", Echo)
    assert [s.role for s in start_order([a, b, c])] == ["c", "b", "a"]
    with pytest.raises(StartupError, match="cycle"):
        start_order([ActorSpec("x", Echo, depends_on=("y",)), ActorSpec("y", Echo, depends_on=("x",))])
    with pytest.raises(StartupError, match="unknown role"):
        start_order([ActorSpec("x", Echo, depends_on=("nope",))])


def test_starts_in_order_and_stops_in_reverse(runtime):
    sup = _start(runtime, [ActorSpec("db", Echo), ActorSpec("http", Echo, depends_on=("mqtt",)),
                           ActorSpec("mqtt", Echo, depends_on=("db",))])
    assert sup.start_all().get(timeout=10) == {"db": "running", "mqtt": "running", "http": "running"}
    assert STARTED == ["db", "mqtt", "http"]
    sup.stop_all().get(timeout=10)
    assert STOPPED == ["http", "mqtt", "db"]
    assert runtime.roles.get("db") is None


def test_bad_event_is_counted_and_actor_keeps_running(runtime):
    seen = []
    sup = _start(runtime, [ActorSpec("echo", Echo, {"seen": seen})])
    sup.start_all().get(timeout=10)
    runtime.bus.publish(Ping(-1))
    runtime.bus.publish(Ping(7))
    echo = runtime.roles.get("echo").proxy()
    assert echo.count().get(timeout=5) == 1
    health = echo.health().get(timeout=5)
    assert health["event_errors"] == {"Ping:ValueError": 1}
    assert seen == [("Echo", 7)]


def test_crashed_actor_is_restarted_and_keeps_receiving(runtime):
    rec = runtime.extras["recorder"]
    seen = []
    sup = _start(runtime, [ActorSpec("echo", Echo, {"seen": seen}), ActorSpec("bystander", Echo)])
    sup.start_all().get(timeout=10)
    first = runtime.roles.get("echo")
    bystander = runtime.roles.get("bystander")
    first.tell(Boom())
    rec.wait_for(ActorLifecycle, lambda e: e.kind is LifecycleKind.RESTARTED and e.role == "echo", timeout=5)
    second = runtime.roles.get("echo")
    assert second is not None and second is not first and not first.is_alive()
    assert bystander.is_alive() and runtime.roles.get("bystander") is bystander
    runtime.bus.publish(Ping(3))
    assert second.proxy().count().get(timeout=5) == 1  # subscription survived the restart
    status = sup.status().get(timeout=5)
    assert status["echo"]["restarts"] == 1 and "boom on purpose" in status["echo"]["last_error"]


def test_gives_up_after_bounded_restarts(runtime):
    rec = runtime.extras["recorder"]
    policy = RestartPolicy(max_restarts=2, window=60.0, initial=0.01, maximum=0.02)
    sup = _start(runtime, [ActorSpec("echo", Echo)], policy)
    sup.start_all().get(timeout=10)
    for attempt in range(1, 3):
        runtime.roles.get("echo").tell(Boom())
        rec.wait_for(ActorLifecycle, lambda e, a=attempt: e.kind is LifecycleKind.RESTARTED and e.attempt == a)
    runtime.roles.get("echo").tell(Boom())
    gave_up = rec.wait_for(ActorLifecycle, lambda e: e.kind is LifecycleKind.GAVE_UP)
    assert gave_up.role == "echo" and gave_up.attempt == 3
    assert runtime.roles.get("echo") is None
    assert sup.status().get(timeout=5)["echo"]["gave_up"] is True


def test_required_actor_failing_to_start_aborts_and_stops_the_rest(runtime):
    sup = _start(runtime, [ActorSpec("db", Echo), ActorSpec("ble", FailsOnStart, depends_on=("db",))])
    with pytest.raises(StartupError, match="failed to start: OSError: no adapter"):
        sup.start_all().get(timeout=10)
    assert STOPPED == ["db"]


def test_optional_actor_failing_to_start_is_reported_absent(runtime):
    sup = _start(runtime, [ActorSpec("db", Echo), ActorSpec("ble", FailsOnStart, required=False)])
    result = sup.start_all().get(timeout=10)
    assert result["db"] == "running" and result["ble"].startswith("absent:")


def test_replace_swaps_class_and_keeps_subscription(runtime):
    seen = []
    sup = _start(runtime, [ActorSpec("scale", Echo, {"seen": seen})])
    sup.start_all().get(timeout=10)
    runtime.bus.publish(Ping(1))
    old = runtime.roles.get("scale")
    assert old.proxy().count().get(timeout=5) == 1
    assert sup.replace("scale", OtherEcho).get(timeout=10) == "OtherEcho"
    assert not old.is_alive()
    runtime.bus.publish(Ping(2))
    new = runtime.roles.get("scale")
    assert new.proxy().count().get(timeout=5) == 2
    assert seen == [("Echo", 1), ("OtherEcho", 2)]


def test_events_to_a_role_without_actor_are_counted(runtime):
    runtime.bus.subscribe("ghost", (Ping,))
    assert runtime.bus.publish(Ping(1)) == 1  # the recorder callback only
    assert runtime.bus.undeliverable["ghost"] == 1


def test_pykka_registry_is_clean_after_stop_all(runtime):
    sup = _start(runtime, [ActorSpec("a", Echo), ActorSpec("b", Echo)])
    sup.start_all().get(timeout=10)
    sup.stop_all().get(timeout=10)
    alive = [r for r in pykka.ActorRegistry.get_all() if not isinstance(r, type) and r.actor_class is not Supervisor]
    assert alive == []


def test_replace_after_stop_all_starts_nothing(runtime):
    sup = _start(runtime, [ActorSpec("scale", Echo)])
    sup.start_all().get(timeout=10)
    sup.stop_all().get(timeout=10)
    assert sup.replace("scale", OtherEcho).get(timeout=10) == "Echo"
    assert runtime.roles.get("scale") is None
    assert not [r for r in pykka.ActorRegistry.get_by_class(OtherEcho)]


def test_tell_later_delivers_once_and_is_silent_for_a_stopped_actor(runtime):
    from actors.base import tell_later

    seen = []
    ref = Echo.start(runtime, role="later", seen=seen)
    runtime.roles.set("later", ref)
    tell_later(ref, 0.01, Ping(5)).join(timeout=5)
    assert ref.proxy().count().get(timeout=5) == 1 and seen == [("Echo", 5)]
    ref.stop(block=True, timeout=5)
    timer = tell_later(ref, 0.0, Ping(6))  # must not raise in the timer thread
    timer.join(timeout=5)
    assert not timer.is_alive() and seen == [("Echo", 5)]
