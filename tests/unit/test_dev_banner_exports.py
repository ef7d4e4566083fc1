"""`make run` (partnerships dev) tells a CLI in another terminal how to reach a moved stack."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from rich.console import Console

from settings import load_settings
from tools.dev import Stack, banner, cli_exports


def shown(stack: Stack) -> str:
    console = Console(width=200, record=True)
    console.print(banner(stack))
    return console.export_text()


def exported(lines: list[str]) -> dict[str, str]:
    """The variables `export` lines set, read as the shell reads them (comments dropped)."""
    variables: dict[str, str] = {}
    for line in lines:
        words = shlex.split(line, comments=True)
        assert words[0] == "export"
        for word in words[1:]:
            name, _, value = word.partition("=")
            variables[name] = value
    return variables


def test_a_stack_on_the_defaults_needs_no_exports() -> None:
    stack = Stack(Path(".data"), 7233, 8233, "default", api_port=8000, metrics_port=0)
    assert cli_exports(stack) == []
    assert "export" not in shown(stack)


def test_the_cli_given_the_exports_reads_the_moved_stack_s_store_keys_and_issuer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = Stack(tmp_path / "elsewhere", 7300, 8300, "default", api_port=8100)
    for name, value in exported(cli_exports(stack)).items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.temporal_address == stack.address
    assert settings.database_url == stack.database_url
    assert Path(settings.data_dir) == stack.data_dir
    assert settings.dev_issuer_url == "http://127.0.0.1:8100/dev/"
    assert settings.partnerships_api == "http://127.0.0.1:8100"


def test_another_api_port_alone_is_named_in_the_banner() -> None:
    text = shown(Stack(Path(".data"), 7233, 8233, "default", api_port=8100))
    assert "export DEV_ISSUER_URL=http://127.0.0.1:8100/dev/" in text
    assert "export PARTNERSHIPS_API=http://127.0.0.1:8100" in text
    assert "export DATABASE_URL" not in text


def test_another_data_directory_alone_names_the_data_directory_for_the_cli_s_keys(
    tmp_path: Path,
) -> None:
    text = shown(Stack(tmp_path / "d", 7233, 8233, "default", api_port=8000))
    assert f"export DATA_DIR={tmp_path / 'd'}" in text
    assert "export DEV_ISSUER_URL" not in text
