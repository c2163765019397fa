"""The HTTP benchmark helper runs against a real private gateway and reports sane figures."""

from actors.http.bench import requests_per_second


def test_requests_per_second_reports_latency_and_no_errors():
    result = requests_per_second(2, 0.3, "/de1/state")
    assert result["errors"] == 0, result["error_examples"]
    assert result["requests"] > 10
    assert result["requests_per_second"] > 0
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]


def test_requests_per_second_counts_errors():
    result = requests_per_second(1, 0.2, "/nope")
    assert result["requests"] == 0 and result["errors"] > 0
    assert result["error_examples"] == ["HTTP 404"]
