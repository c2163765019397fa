"""An MQTT subscriber in a process of its own, for latency benchmarks: it stamps every message
on a topic as it arrives and, when its stdin closes, prints them as JSON.

    python -m actors.bench.subscriber --port 1883 --topic pyDE1/ShotSampleWithVolumesUpdate

prints ``ready`` once the broker has acknowledged the subscription, then (at end of input) one
JSON list of ``[received, latency_ms]``: ``received`` is ``time.time()`` on arrival and the
latency is measured from the payload's ``arrival_time`` (the service's Bluetooth-arrival
stamp, also ``time.time()``: one clock for both processes on one machine).

It is a process, not a thread of the benchmark, so that the benchmark's own work (its HTTP
clients above all) never delays the stamp; paho runs in this process's main thread, alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time


def main(argv: list[str] | None = None) -> int:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    p = argparse.ArgumentParser(prog="python -m actors.bench.subscriber")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--topic", required=True)
    a = p.parse_args(argv)

    stamps: list[tuple[float, float]] = []

    def on_message(client, userdata, message) -> None:
        now = time.time()
        try:
            arrival = json.loads(message.payload)["arrival_time"]
            stamps.append((now, 1000 * (now - float(arrival))))
        except (ValueError, KeyError, TypeError):
            pass  # not one of ours

    def on_connect(client, userdata, flags, reason_code, properties) -> None:
        client.subscribe(a.topic, 0)

    def on_subscribe(client, userdata, mid, reason_codes, properties) -> None:
        print("ready", flush=True)

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pyde1-bench-sub-{id(stamps)}",
                         protocol=mqtt.MQTTv5)
    client.on_message, client.on_connect, client.on_subscribe = on_message, on_connect, on_subscribe
    client.connect(a.host, a.port)

    # The end of stdin ends the run; a helper thread only watches for it (it runs once).
    def watch_stdin() -> None:
        sys.stdin.read()
        client.disconnect()

    threading.Thread(target=watch_stdin, daemon=True).start()
    client.loop_forever()
    print(json.dumps([[round(r, 6), round(ms, 4)] for r, ms in stamps]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
