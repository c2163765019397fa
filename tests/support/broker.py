"""The private mosquitto used by tests lives beside the benchmarks that also need it."""

from actors.bench.broker import MosquittoBroker, find_mosquitto, free_port  # noqa: F401
