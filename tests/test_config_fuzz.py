"""Whatever the file or the environment holds, loading gives a config or one ConfigError."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyde1.config import SCHEMAS, ConfigError, ConfigFile, ConfigProblem, load_config_text
from pyde1.config.fields import walk

ROOT = Path(__file__).resolve().parent.parent
SECTION_NAMES = sorted({e.path.split(".")[0] for s in SCHEMAS for e in walk(s)})
SUB_SECTION_NAMES = sorted({e.name for s in SCHEMAS for e in walk(s)
                            if e.section is not None and "." in e.path})
KEY_NAMES = sorted({e.name for s in SCHEMAS for e in walk(s) if e.section is None})

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-10, 70000),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from(["tcp", "INFO", "debug", "skale", "simulator", "/", "", "::1", "50"]),
    st.dates(),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(KEY_NAMES)), inner, max_size=4),
), max_leaves=12)
keys = st.one_of(st.sampled_from(KEY_NAMES + SUB_SECTION_NAMES), st.text(max_size=12),
                 st.integers(0, 3))
sections = st.one_of(
    st.dictionaries(keys, st.one_of(values, st.dictionaries(keys, values, max_size=4)), max_size=6),
    scalars,
)
documents = st.one_of(
    st.dictionaries(st.one_of(st.sampled_from(SECTION_NAMES), st.text(max_size=10)), sections,
                    max_size=6),
    values,
)
env_names = st.builds(
    lambda prefix, section, key: f"{prefix}{section}__{key}",
    st.sampled_from([s.ENV_PREFIX for s in SCHEMAS] + ["PYDE1_X"]),
    st.one_of(st.sampled_from([n.upper() for n in SECTION_NAMES]), st.text(max_size=6)),
    st.one_of(st.sampled_from(KEY_NAMES), st.text(max_size=6)),
)
environments = st.dictionaries(env_names, st.text(max_size=16), max_size=4)


def check_outcome(text: str, schema: type[ConfigFile], environ: dict[str, str]) -> None:
    line_count = text.count("\n") + 2
    try:
        config = load_config_text(text, filename="fuzz.conf", schema=schema, environ=environ)
    except ConfigError as error:
        assert error.problems, "a ConfigError must say what is wrong"
        for problem in error.problems:
            assert isinstance(problem, ConfigProblem) and problem.message
            assert problem.line is None or 1 <= problem.line <= line_count
        assert len(str(error).splitlines()) == len(error.problems)
    else:
        assert isinstance(config, schema)
        hash(tuple(str(w) for w in config.warnings))


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(documents, st.sampled_from(SCHEMAS), environments)
def test_random_documents_load_or_raise_config_error(document, schema, environ):
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    check_outcome(text, schema, environ)


@FUZZ
@given(st.text(max_size=200), st.sampled_from(SCHEMAS))
def test_random_text_loads_or_raises_config_error(text, schema):
    check_outcome(text, schema, {})


EXAMPLE = (ROOT / "conf" / "pyde1.conf").read_text()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(EXAMPLE)), st.integers(0, 40),
                          st.text(alphabet=" :-[]{}\n#'\"&*!|>%@`,?x1", max_size=4)),
                min_size=1, max_size=4))
def test_damaged_example_file_loads_or_raises_config_error(edits):
    text = EXAMPLE
    for position, cut, insert in edits:
        text = text[:position] + insert + text[position + cut:]
    check_outcome(text, SCHEMAS[0], {})
