"""Throughput of reading and planning a profile, for the benchmark runner (scripts/bench)."""

from __future__ import annotations

import time

from pyde1.profile.parse import parse_profile
from pyde1.profile.plan import plan_upload

# A realistic 7-step profile written the way de1app writes JSON (every number a string),
# with exits, limiters, move-on weights and a tank temperature.
FIXTURE_PROFILE = (
    b'{"version":"2","title":"Bench","author":"pyde1","notes":"","beverage_type":"espresso",'
    b'"steps":['
    b'{"name":"prefill","pump":"flow","flow":"8.0","pressure":"3.0","transition":"fast",'
    b'"temperature":"93.00","sensor":"coffee","seconds":"5.00","volume":"100","weight":"0.0",'
    b'"limiter":{"value":"0","range":"0.6"}},'
    b'{"name":"fill","pump":"flow","flow":"8.0","transition":"fast","temperature":"93.00",'
    b'"sensor":"coffee","seconds":"12.00","volume":"100","weight":"0.0",'
    b'"exit":{"type":"pressure","condition":"over","value":"3.00"}},'
    b'{"name":"compress","pump":"pressure","pressure":"3.0","transition":"fast",'
    b'"temperature":"88.00","sensor":"coffee","seconds":"12.00","volume":"100","weight":"0",'
    b'"exit":{"type":"flow","condition":"under","value":"3.00"}},'
    b'{"name":"drip","pump":"pressure","pressure":"0.1","flow":"","transition":"fast",'
    b'"temperature":"88.00","sensor":"coffee","seconds":"6.00","volume":"0","weight":"4.0"},'
    b'{"name":"pressurize","pump":"pressure","pressure":"11.0","transition":"smooth",'
    b'"temperature":"88.00","sensor":"coffee","seconds":"6.00","volume":"100","weight":"0.0",'
    b'"exit":{"type":"pressure","condition":"over","value":"8.80"},'
    b'"limiter":{"value":"3.5","range":"0.6"}},'
    b'{"name":"extract","pump":"flow","flow":"1.8","transition":"smooth",'
    b'"temperature":"88.00","sensor":"water","seconds":"60.00","volume":"100","weight":"0.0",'
    b'"limiter":{"value":"9.5","range":"0.6"}},'
    b'{"name":"end","pump":"pressure","pressure":"0","transition":"fast",'
    b'"temperature":"88.00","sensor":"coffee","seconds":"1.0","volume":"0","weight":"0.0"}],'
    b'"target_volume":"36","target_weight":"36.0","target_volume_count_start":"2",'
    b'"tank_temperature":"0.0","type":"advanced","lang":"en"}'
)


def plan_throughput(n: int = 1000) -> dict:
    """Read and plan the fixture profile ``n`` times; return the rate in plans per second."""
    if n < 1:
        raise ValueError("n must be at least 1")
    start = time.perf_counter()
    for _ in range(n):
        plan = plan_upload(parse_profile(FIXTURE_PROFILE))
    elapsed = time.perf_counter() - start
    return {
        "name": "profile plan (parse + plan, 7 steps)",
        "plans": n,
        "seconds": elapsed,
        "plans_per_second": n / elapsed if elapsed > 0 else float("inf"),
        "writes_per_plan": len(plan.writes),
    }
