"""The bridge over TLS to a private mosquitto with a throw-away CA, and a clear error when
the TLS files are wrong."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from actors.mqtt import MqttLinkState, MqttSettingsError
from actors.mqtt.link import Link
from pyde1.events import WaterLevelUpdate
from support.broker import ConfiguredBroker, find_mosquitto, free_port
from test_mqtt_helpers import Subscriber, fast_settings, start_bridge


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def tls_broker(tmp_path):
    binary = find_mosquitto()
    if binary is None or shutil.which("openssl") is None:
        pytest.skip("mosquitto and openssl are needed for the TLS test")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=pyde1 test CA",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=tmp_path)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
             "-out", "server.csr", cwd=tmp_path)
    (tmp_path / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "1", "-extfile", "san.ext", "-out", "server.pem", cwd=tmp_path)
    tls = free_port()
    broker = ConfiguredBroker(str(tmp_path), [
        "allow_anonymous true", f"listener {tls} 127.0.0.1",
        f"cafile {tmp_path / 'ca.pem'}", f"certfile {tmp_path / 'server.pem'}",
        f"keyfile {tmp_path / 'server.key'}"], wait_port=tls).start()
    yield {"plain": broker.port, "tls": tls, "ca": str(tmp_path / "ca.pem")}
    broker.stop()


def test_events_over_tls(runtime, tls_broker):
    settings = fast_settings("127.0.0.1", tls_broker["tls"], tls=True, tls_ca_certs=tls_broker["ca"],
                             status_roles=())
    root = settings.topic_root
    sub = Subscriber("127.0.0.1", tls_broker["plain"], [f"{root}/#"]).wait_subscribed()
    try:
        _, proxy = start_bridge(runtime, settings)
        runtime.extras["recorder"].wait_for(MqttLinkState, lambda e: e.link == "notification" and e.connected)
        event = WaterLevelUpdate(level=42.0, start_fill_level=5.0)
        runtime.bus.publish(event)
        assert sub.wait_for(lambda m: m.topic == f"{root}/WaterLevelUpdate").text == event.to_json()
    finally:
        sub.close()


def test_untrusted_server_certificate_is_retried_not_fatal(runtime, tls_broker):
    # No CA given: the system CAs do not know our test CA, so the handshake fails.
    settings = fast_settings("127.0.0.1", tls_broker["tls"], tls=True, status_roles=(), log_feed=False)
    _, proxy = start_bridge(runtime, settings)
    down = runtime.extras["recorder"].wait_for(MqttLinkState, lambda e: not e.connected)
    assert down.link == "notification"
    health = proxy.health().get(timeout=5)
    assert health["alive"] and not health["connected"]


def test_missing_ca_file_is_a_clear_start_error(tmp_path):
    settings = fast_settings("127.0.0.1", 1, tls=True, tls_ca_certs=str(tmp_path / "nope.pem"))
    link = Link("notification", settings, lambda m: None)
    with pytest.raises(MqttSettingsError, match="mqtt.TLS: .*TLS_CA_CERTS") as info:
        link.start()
    assert "nope.pem" in str(info.value) or "No such file" in str(info.value)


def test_tools_report_a_missing_ca_file_like_the_bridge(tmp_path):
    from actors.tools.mqttclient import ToolClient

    settings = fast_settings("127.0.0.1", 1, tls=True, tls_ca_certs=str(tmp_path / "nope.pem"))
    with pytest.raises(MqttSettingsError, match="mqtt.TLS: .*TLS_CA_CERTS"):
        ToolClient(settings)
