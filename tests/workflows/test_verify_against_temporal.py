"""Temporal's histories hold a second copy of the chain's heads: every append's result carries
the head hash, and `verify --against-temporal` compares them with the log. The worker signs a
checkpoint every CHECKPOINT_EVERY appends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner, Result

from activities.checkpoints import compare_with_log, kept
from activities.database import create_engine_from_url
from app.checkpoint_signing import checkpoint_key
from app.temporal_heads import compare_with_temporal, reported_heads
from interfaces.cli import store_commands
from settings import Settings
from tests.integration.tamper import delete_stream, rewrite_chain
from tests.workflows.harness import Harness, member, unique_task_queue
from worker import build_worker, wire

CV, MD = "partnership-CV/1", "partnership-MD/1"

app = typer.Typer()
store_commands.register(app)


@app.callback()
def _root() -> None:
    """Keeps sub-commands addressed by name, as under `partnerships`."""


async def answer(harness: Harness, country: str, *states: str) -> None:
    handle = await harness.propose(country)
    for ms in states:
        await harness.update(
            handle,
            "respond_to_consultation",
            member(ms),
            member_state=ms,
            position="interested",
            offers=["legal_migration"],
        )


async def test_each_append_reports_its_head_hash_into_the_history(harness: Harness) -> None:
    await answer(harness, "CV", "FR", "PT")
    [handle] = harness.handles
    description = await handle.describe()
    heads = await reported_heads(harness.client, handle.id, description.run_id or "")
    stored = harness.store().read_stream(CV)
    assert [(h.stream_id, h.version, h.head_hash) for h in heads] == [
        (CV, e.stream_version, e.hash) for e in stored
    ]


async def test_a_rewritten_chain_disagrees_with_the_histories(harness: Harness) -> None:
    await answer(harness, "CV", "FR", "PT")
    await answer(harness, "MD", "DE")
    settings = Settings(database_url=harness.database_url)
    engine = create_engine_from_url(harness.database_url)
    try:
        compared = await compare_with_temporal(settings, engine, client=harness.client)
        assert compared.ok, compared.breaks
        assert (compared.workflows, compared.heads) == (2, 5)
        rewrite_chain(engine, CV, 2, {"rewritten": True})
        assert harness.store().verify().ok  # the insider kept the chain consistent
        compared = await compare_with_temporal(settings, engine, client=harness.client)
    finally:
        engine.dispose()
    [problem] = compared.breaks
    assert (problem.stream_id, problem.stream_version) == (CV, 2)
    assert "the history of partnership-CV" in problem.reason


async def test_verify_against_temporal_names_a_deleted_stream_the_dev_server_still_lists(
    dev_harness: Harness,
) -> None:
    await answer(dev_harness, "CV", "FR")
    await answer(dev_harness, "MD")
    env = {
        "DATABASE_URL": dev_harness.database_url,
        "TEMPORAL_ADDRESS": dev_harness.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": dev_harness.client.namespace,
        "COLUMNS": "200",
    }
    runner = CliRunner()

    async def verify(*args: str) -> Result:
        # On a thread of its own: the command runs its own event loop, and this one serves
        # the worker meanwhile.
        return await asyncio.to_thread(lambda: runner.invoke(app, ["verify", *args], env=env))

    result = await verify("--against-temporal")
    assert result.exit_code == 0, result.output
    assert "agrees with 3 head(s) reported by appends in 2 workflow history(ies)" in (result.output)
    engine = create_engine_from_url(dev_harness.database_url)
    try:
        delete_stream(engine, MD)
    finally:
        engine.dispose()
    assert (await verify()).exit_code == 0
    result = await verify("--against-temporal")
    assert result.exit_code == 1, result.output
    assert f"BROKEN {MD} at version 1: the history of partnership-MD" in result.output
    assert "the log lacks it" in result.output


async def test_the_worker_signs_a_checkpoint_every_n_appends(
    skipping_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=database_url,
        task_queue=unique_task_queue(),
        checkpoint_every=2,
        data_dir=str(tmp_path / "data"),
    )
    wiring = wire(settings)
    async with build_worker(skipping_env.client, wiring, settings.task_queue):
        harness = Harness(skipping_env.client, settings.task_queue, database_url, skipping_env)
        await answer(harness, "CV", "FR", "PT", "DE", "ES")  # five appends
    wiring.executor.shutdown(wait=True)
    engine = create_engine_from_url(database_url)
    try:
        key = checkpoint_key(settings).public_key()
        good, bad = kept(engine, key)
        assert not bad
        signed = [(g.checkpoint.events, g.checkpoint.heads[CV][0]) for g in good]
        # The log's events include the programme's SlotTaken for CV's proposal (issue 13).
        assert signed == [(3, 2), (5, 4)]
        with engine.connect() as conn:
            assert compare_with_log(conn, [g.checkpoint for g in good]).ok
    finally:
        engine.dispose()
