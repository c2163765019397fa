"""Codec micro-benchmarks, called by the coordinator's bench runner."""

from __future__ import annotations

import time

from pyde1.protocol.packets import ShotSample

_SAMPLE = bytes.fromhex("1234 9000 2000 5C80 5D4000 5C00 5D00 90 00 02 96")


def shot_sample_codec_throughput(n: int = 100_000) -> dict:
    """Decode and re-encode a ShotSample ``n`` times each; report operations per second."""
    if n <= 0:
        raise ValueError("n must be positive")
    decode = ShotSample.decode
    start = time.perf_counter()
    for _ in range(n):
        sample = decode(_SAMPLE)
    decode_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(n):
        payload = sample.encode()
    encode_s = time.perf_counter() - start
    if payload != _SAMPLE:
        raise AssertionError("ShotSample round trip changed the bytes")
    return {
        "name": "shot_sample_codec",
        "n": n,
        "decode_ops_per_s": n / decode_s if decode_s else float("inf"),
        "encode_ops_per_s": n / encode_s if encode_s else float("inf"),
        "decode_s": decode_s,
        "encode_s": encode_s,
    }
