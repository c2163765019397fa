"""An MQTT subscriber in a process of its own that stamps every message on arrival, for the
latency benchmarks when the broker's own C client (``mosquitto_sub -F '%U %p'``, which
prints the same lines) is not installed.

    python -m actors.bench.subscriber --port 1883 --topic pyDE1/ShotSampleWithVolumesUpdate

prints ``<time.time() on arrival> <payload>`` per message, one line each, until it is
terminated. It is a process, not a thread of the benchmark, so that the benchmark's own work
never delays the stamp; paho runs in its main thread, alone, and stamps before printing.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time


def main(argv: list[str] | None = None) -> int:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    p = argparse.ArgumentParser(prog="python -m actors.bench.subscriber")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--topic", required=True)
    a = p.parse_args(argv)
    out = sys.stdout

    def on_message(client, userdata, message) -> None:
        now = time.time()
        out.write(f"{now:.6f} {message.payload.decode(errors='replace')}\n")
        out.flush()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pyde1-bench-sub-{time.monotonic_ns()}",
                         protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.on_connect = lambda c, *args: c.subscribe(a.topic, 0)
    signal.signal(signal.SIGTERM, lambda *args: client.disconnect())
    client.connect(a.host, a.port)
    client.loop_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
