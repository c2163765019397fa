"""pyde1/ is the pure core: it must not import the runtime packages."""

import ast
import pathlib

import pytest

FORBIDDEN = {"pykka", "threading", "socket", "bleak", "paho", "bottle", "waitress", "peewee",
             "asyncio", "multiprocessing", "sqlite3"}
CORE = pathlib.Path(__file__).resolve().parent.parent / "pyde1"


def _imported_top_level_names(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def test_core_package_exists():
    assert (CORE / "__init__.py").is_file()


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_no_runtime_package(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = [(line, name) for line, name in _imported_top_level_names(tree) if name in FORBIDDEN]
    assert not bad, f"{path} imports runtime packages: {bad}"


def test_detector_catches_a_forbidden_import():
    # The check above must be able to fail: feed it a module that imports pykka lazily.
    tree = ast.parse("def f():\n    import pykka.actor\nfrom threading import Lock\n")
    assert {name for _, name in _imported_top_level_names(tree)} == {"pykka", "threading"}
