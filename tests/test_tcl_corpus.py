"""Every de1app Tcl profile of the shared corpus converts, and the result loads with our loader.

pyDE1 2.0 converts 64 of the 90 (it fails on simple profiles that lack keys added to de1app
later). Files that cannot be converted must be listed in KNOWN_FAILURES with the reason.
"""

import json

import pytest

from pyde1.profile.tcl import TclProfileError, tcl_to_json_profile

pytestmark = pytest.mark.corpus

PYDE1_CONVERTED = 64
# file name → part of the TclProfileError message it must fail with
KNOWN_FAILURES: dict[str, str] = {}


@pytest.fixture(scope="module")
def tcl_files(shared_dir):
    files = sorted((shared_dir / "corpus" / "profiles-tcl").glob("*.tcl"))
    if not files:
        pytest.skip("../shared/corpus/profiles-tcl holds no .tcl files")
    return files


@pytest.fixture(scope="module")
def conversions(tcl_files):
    results = {}
    for path in tcl_files:
        try:
            results[path.name] = tcl_to_json_profile(path.read_text(encoding="utf-8"),
                                                     reference_file=path.name)
        except TclProfileError as error:
            results[path.name] = error
    return results


def test_corpus_converts_at_least_as_many_as_pyde1(conversions):
    converted = [name for name, result in conversions.items() if isinstance(result, dict)]
    failed = {name: str(result) for name, result in conversions.items()
              if not isinstance(result, dict)}
    assert len(conversions) == 90
    assert set(failed) == set(KNOWN_FAILURES), failed
    for name, reason in KNOWN_FAILURES.items():
        assert reason in failed[name]
    assert len(converted) >= PYDE1_CONVERTED
    assert len(converted) == 90 - len(KNOWN_FAILURES)


def test_every_converted_step_is_complete(conversions):
    for name, result in conversions.items():
        if not isinstance(result, dict):
            continue
        assert result["steps"], name
        assert isinstance(result["target_volume_count_start"], int), name
        assert result["type"] in ("advanced", "pressure", "flow"), name
        for step in result["steps"]:
            assert {"pump", "transition", "volume", "seconds", "temperature", "sensor"} <= set(step)
            assert step["pump"] in step, (name, step)


def test_corpus_results_load_with_the_json_loader(conversions):
    try:
        from pyde1.profile import ProfileError, parse_profile, plan_upload
    except ImportError:
        pytest.skip("pyde1.profile.parse_profile (the JSON loader) is not importable yet")
    problems = {}
    for name, result in conversions.items():
        if not isinstance(result, dict):
            continue
        try:
            profile = parse_profile(json.dumps(result).encode())
            plan_upload(profile)
        except ProfileError as error:
            problems[name] = str(error)
            continue
        assert len(profile.steps) == len(result["steps"]), name
        assert profile.target_volume_count_start == result["target_volume_count_start"], name
    assert problems == {}
