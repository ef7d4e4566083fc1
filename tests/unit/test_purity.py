"""`domain/` is pure (DESIGN.md §4): it imports only the standard library, pydantic and
pycountry, and uses no clock, no randomness and no I/O."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "domain"
SOURCES = sorted(DOMAIN.rglob("*.py"))

ALLOWED_THIRD_PARTY = {"pydantic", "pydantic_core", "pycountry", "domain"}
FORBIDDEN_PACKAGES = (
    "temporalio",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "activities",
    "workflows",
    "interfaces",
    "worker",
    "typer",
    "rich",
)
# Standard-library modules that bring a clock, randomness or I/O with them.
IMPURE_STDLIB = {
    "asyncio",
    "http",
    "io",
    "logging",
    "os",
    "pathlib",
    "random",
    "secrets",
    "shutil",
    "socket",
    "sqlite3",
    "subprocess",
    "sys",
    "tempfile",
    "threading",
    "time",
    "urllib",
    "uuid",
}
CLOCK_AND_CHANCE_CALLS = {
    "now",
    "today",
    "utcnow",
    "fromtimestamp",
    "monotonic",
    "perf_counter",
    "time_ns",
    "uuid1",
    "uuid4",
    "urandom",
    "randint",
    "random",
    "choice",
    "shuffle",
    "token_hex",
}
IO_BUILTINS = {"open", "print", "input", "exec", "eval", "__import__", "breakpoint"}


def _imported_modules(path: Path) -> set[str]:
    """Top-level names of every module `path` imports (relative imports count as domain)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add("domain" if node.level else (node.module or "").split(".")[0])
    return modules


def test_the_domain_package_has_sources_to_check() -> None:
    names = {path.name for path in SOURCES}
    assert {"__init__.py", "decide.py", "evolve.py", "events.py", "countries.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_a_domain_module_imports_only_the_standard_library_pydantic_and_pycountry(
    path: Path,
) -> None:
    imported = _imported_modules(path)
    outside = imported - set(sys.stdlib_module_names) - ALLOWED_THIRD_PARTY
    assert outside == set(), f"{path.name} imports {sorted(outside)}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_a_domain_module_imports_nothing_that_brings_a_clock_randomness_or_io(
    path: Path,
) -> None:
    assert _imported_modules(path) & IMPURE_STDLIB == set()


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_a_domain_module_reads_no_clock_draws_no_chance_and_does_no_io(path: Path) -> None:
    offences = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in CLOCK_AND_CHANCE_CALLS:
            offences.append(f"line {node.lineno}: .{func.attr}()")
        if isinstance(func, ast.Name) and func.id in IO_BUILTINS | CLOCK_AND_CHANCE_CALLS:
            offences.append(f"line {node.lineno}: {func.id}()")
    assert offences == [], f"{path.name}: {offences}"


def test_the_checks_above_would_catch_a_clock_and_a_forbidden_import(tmp_path: Path) -> None:
    impure = tmp_path / "impure.py"
    impure.write_text(
        "import random\nfrom datetime import datetime\nfrom temporalio import workflow\n"
        "def f():\n    return datetime.now(), random.random(), open('x')\n"
    )

    assert {"random", "temporalio"} <= _imported_modules(impure)
    calls = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(ast.parse(impure.read_text()))
        if isinstance(node, ast.Call)
    }
    assert {"now", "random", "open"} <= calls


def test_importing_the_whole_domain_loads_no_temporal_database_or_outer_layer() -> None:
    # A fresh interpreter, so what the test session already imported does not count.
    script = """
import importlib, json, pkgutil, sys
import domain
for module in pkgutil.walk_packages(domain.__path__, "domain."):
    importlib.import_module(module.name)
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps(loaded))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded = set(json.loads(result.stdout))

    assert "domain" in loaded
    assert "pydantic" in loaded
    assert loaded & set(FORBIDDEN_PACKAGES) == set()
