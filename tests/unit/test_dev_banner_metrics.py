"""`make run` (partnerships dev) says where the worker's and the API's metrics are."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from tools.dev import Stack, banner


def shown(stack: Stack) -> str:
    console = Console(width=100, record=True)
    console.print(banner(stack))
    return console.export_text()


def test_the_banner_names_the_worker_metrics_health_and_the_api_metrics() -> None:
    text = shown(Stack(Path(".data"), 7233, 8233, "default", api_port=8001, metrics_port=9470))
    assert "http://127.0.0.1:9470/metrics (worker; also /healthz, /readyz)" in text
    assert "http://127.0.0.1:8001/metrics (API)" in text


def test_without_a_worker_endpoint_the_banner_names_the_api_metrics_only() -> None:
    text = shown(Stack(Path(".data"), 7233, 8233, "default", api_port=8001, metrics_port=0))
    assert "http://127.0.0.1:8001/metrics (API)" in text
    assert "(worker;" not in text
