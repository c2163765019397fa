"""Benchmarks of the pure core (codecs, profile plans), repeated to give min/median/max."""

from __future__ import annotations

from actors.bench.figures import Figure


def codecs(runs: int = 5) -> list[Figure]:
    from pyde1.protocol.bench import shot_sample_codec_throughput

    dec = Figure("shot_sample_decode", "packets/s")
    enc = Figure("shot_sample_encode", "packets/s")
    for _ in range(runs):
        r = shot_sample_codec_throughput(50_000)
        dec.values.append(r["decode_ops_per_s"])
        enc.values.append(r["encode_ops_per_s"])
    return [dec, enc]


def profile_plan(runs: int = 5) -> list[Figure]:
    from pyde1.profile.bench import plan_throughput

    fig = Figure("profile_parse_and_plan", "plans/s", note="7-step profile with limiters, numbers as strings")
    for _ in range(runs):
        fig.values.append(plan_throughput(500)["plans_per_second"])
    return [fig]
