"""The benchmark hook used by scripts/bench."""

from pyde1.profile import plan_source
from pyde1.profile.bench import FIXTURE_PROFILE, plan_throughput


def test_plan_throughput_reports_a_rate():
    result = plan_throughput(20)
    assert result["plans"] == 20
    assert result["plans_per_second"] > 50       # thousands on a laptop; a loose floor
    assert result["writes_per_plan"] == len(plan_source(FIXTURE_PROFILE).writes) == 12


def test_bench_fixture_plans_without_warnings():
    plan = plan_source(FIXTURE_PROFILE)
    assert plan.warnings == ()
    assert plan.move_on_weight == (None, None, None, 4.0)
