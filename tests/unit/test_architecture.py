"""Dependencies point one way (DESIGN.md §4): no import runs back up.

    domain ← activities ← workflows ← settings ← migrations ← app ← worker, the front doors

`interfaces/terminal.py` (the exit codes and the one error mapping) serves both the CLI and the
developers' tools; the HTTP API (`interfaces/api/`) stands on the core alone; the local stack in
`tools/` serves it; the CLI offers the tools (`partnerships dev`, `demo`), the API
(`partnerships api`) and wraps the worker.
Every import counts, at module level or inside a function, and so does `import x.y`.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each layer of the project, and the project's layers it may import (besides itself).
BELOW: dict[str, set[str]] = {
    "domain": set(),
    "activities": {"domain"},
    "workflows": {"domain", "activities"},
    "settings": {"domain", "workflows"},
    "migrations": {"domain", "activities", "settings"},
    "app": {"domain", "activities", "workflows", "settings", "migrations"},
    "worker": {"domain", "activities", "workflows", "settings", "migrations", "app"},
    "terminal": {"domain", "activities", "workflows", "settings", "migrations", "app"},
    # The console's pages stand on the core alone; the API's app factory mounts them.
    "console": {"domain", "activities", "workflows", "settings", "migrations", "app"},
    "api": {"domain", "activities", "workflows", "settings", "migrations", "app", "console"},
    "tools": {
        "domain",
        "activities",
        "workflows",
        "settings",
        "migrations",
        "app",
        "worker",
        "terminal",
        "api",
        "console",
    },
    "cli": {
        "domain",
        "activities",
        "workflows",
        "settings",
        "migrations",
        "app",
        "worker",
        "terminal",
        "api",
        "console",
        "tools",
    },
}


def layer_of(module: str) -> str | None:
    """The layer a dotted module name belongs to, or None outside the project."""
    parts = module.split(".")
    if parts[0] == "interfaces":
        if parts[1:2] in (["terminal"], ["api"], ["console"]):
            return parts[1]
        return "cli"
    return parts[0] if parts[0] in BELOW else None


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_sources() -> list[Path]:
    sources = [ROOT / "worker.py", ROOT / "settings.py"]
    for package in (
        "domain",
        "activities",
        "workflows",
        "migrations",
        "app",
        "interfaces",
        "tools",
    ):
        sources += sorted((ROOT / package).rglob("*.py"))
    return sources


def imported(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, with the line, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = (
        module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    )
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
    return found


def violations(sources: list[Path]) -> list[str]:
    """`file:line imports module` for every import that runs back up a layer."""
    found: list[str] = []
    for path in sources:
        own = layer_of(module_name(path))
        assert own is not None, path
        for line, target in imported(path):
            theirs = layer_of(target)
            if theirs is None or theirs == own:
                continue
            if theirs not in BELOW[own]:
                found.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {target} ({theirs})")
    return found


def test_no_import_in_the_project_runs_back_up() -> None:
    assert violations(project_sources()) == []


def test_the_worker_imports_nothing_from_the_front_doors() -> None:
    targets = {target for _, target in imported(ROOT / "worker.py")}
    assert not {t for t in targets if t.split(".")[0] in {"interfaces", "tools"}}


def test_the_activities_do_not_import_the_migrations() -> None:
    found = [
        f"{path.name} imports {target}"
        for path in sorted((ROOT / "activities").rglob("*.py"))
        for _, target in imported(path)
        if target.split(".")[0] == "migrations"
    ]
    assert found == []


def test_an_import_that_runs_back_up_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A domain module that reaches for the store, and an activity that reaches for the CLI.
    fake_root = tmp_path
    (fake_root / "domain").mkdir()
    (fake_root / "activities").mkdir()
    (fake_root / "domain" / "rules.py").write_text("from activities.eventstore import EventStore\n")
    (fake_root / "activities" / "store.py").write_text(
        "def f() -> None:\n    import interfaces.cli.app\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", fake_root)
    found = violations([fake_root / "domain" / "rules.py", fake_root / "activities" / "store.py"])
    assert found == [
        "domain/rules.py:1 (domain) imports activities.eventstore (activities)",
        "activities/store.py:2 (activities) imports interfaces.cli.app (cli)",
    ]


def test_no_two_modules_in_the_project_share_a_name() -> None:
    names: dict[str, list[str]] = {}
    for path in [*project_sources(), *sorted((ROOT / "bench").glob("*.py"))]:
        if path.name != "__init__.py" and "versions" not in path.parts:
            names.setdefault(path.stem, []).append(str(path.relative_to(ROOT)))
    shared = {name: paths for name, paths in names.items() if len(paths) > 1}
    assert shared == {}


def test_every_module_opens_with_a_docstring() -> None:
    missing = [
        str(path.relative_to(ROOT))
        for path in project_sources()
        if ast.get_docstring(ast.parse(path.read_text())) is None
        and path.read_text().strip()  # an empty __init__.py marks a package, nothing more
    ]
    assert missing == []
