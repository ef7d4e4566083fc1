"""The composition root: read the settings, wire the concrete classes, run the worker.

`python worker.py` (or `partnerships worker`) connects to Temporal and serves the
`pilot-partnerships` task queue until SIGTERM or SIGINT, then shuts down gracefully.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pydantic
from temporalio.client import Client
from temporalio.worker import Worker

from activities.accession_recording import AccessionActivities
from activities.database import redacted
from activities.delivering import DeliveryActivities
from activities.delivery_log import DeliveryLog
from activities.directory_store import DirectoryStore
from activities.eventstore import EventStore
from activities.outbox import Outbox
from activities.partnership import PartnershipActivities
from activities.programme_slots import ProgrammeSlots
from activities.programme_store import ProgrammeStore
from activities.projections import Projections
from activities.smtp_sending import SmtpConfig
from activities.store_errors import StoreError
from activities.webhook_signatures import SigningKeyError, signing_key
from app.activity_context import ActivityLogContext
from app.checkpoint_signing import worker_checkpointer
from app.deliveries import DeliverySweeper, public_url
from app.exceptions import TemporalUnreachable, Unavailable
from app.log_context import configure_logging as configure_log_format
from app.metrics_exposition import install_sdk_metrics
from app.refusal_metrics import RefusalMetrics
from app.temporal import connect
from app.tracing import install_tracing
from app.worker_endpoints import EndpointServer, bind, endpoints_app
from migrations.readiness import open_ready_engine
from settings import TEMPORAL_HINT, Settings, SettingsError, load_settings
from workflows.accession import AccessionWorkflow
from workflows.attestation import AttestationChecks, worker_keys
from workflows.delivery import MilestoneDeliveryWorkflow
from workflows.lifecycle import PilotPartnershipWorkflow
from workflows.registration import ensure_search_attributes

log = logging.getLogger("pilot-partnerships.worker")

GRACEFUL_SHUTDOWN = timedelta(seconds=20)


@dataclass(frozen=True)
class Wiring:
    """The concrete parts a worker runs with."""

    activities: PartnershipActivities
    executor: ThreadPoolExecutor
    attestation: AttestationChecks
    deliveries: DeliveryActivities
    programme: ProgrammeSlots | None = None
    accession: AccessionActivities | None = None


def wire(settings: Settings) -> Wiring:
    """Build the store, read models and activities from `settings`; check the schema first."""
    engine = open_ready_engine(settings.database_url)
    projections = Projections(engine)
    store = EventStore(engine, projections=projections)
    keys = worker_keys(settings.attestation_keys)
    required = settings.attestation_required
    activities = PartnershipActivities(
        store,
        Outbox(engine),
        consultation_period_days=settings.consultation_period_days,
        attestation_keys=keys,
        require_attestation=required,
        checkpoints=worker_checkpointer(settings, engine),  # CHECKPOINT_EVERY appends
    )
    return Wiring(
        activities,
        ThreadPoolExecutor(max_workers=settings.activity_threads),
        AttestationChecks(keys, required=required),
        delivery_activities(settings, store),
        ProgrammeSlots(ProgrammeStore(engine)),
        AccessionActivities(store, attestation_keys=keys, require_attestation=required),
    )


def delivery_activities(settings: Settings, store: EventStore) -> DeliveryActivities:
    """The delivery activities: the delivery log, the directory's subscriptions, the senders."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    smtp = SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        mail_from=settings.mail_from,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=password,
        # An SMTP conversation must end within the attempt, leaving time to log it.
        timeout_s=max(1.0, settings.delivery_attempt_timeout.total_seconds() * 0.8),
    )
    return DeliveryActivities(
        DeliveryLog(store.engine),
        DirectoryStore(store.engine),
        store,
        smtp=smtp,
        public_url=public_url(settings),
        signing_key=webhook_key(settings),
    )


def webhook_key(settings: Settings) -> Callable[[], bytes]:
    """The webhook signing key, read when first needed; in production, checked right now.

    In development the key is made in DATA_DIR on first use, so a worker that never sends a
    webhook writes no key file.
    """

    def key() -> bytes:
        return signing_key(
            settings.webhook_signing_key,
            production=settings.partnerships_env == "production",
            data_dir=settings.data_dir,
        )

    if settings.partnerships_env != "production":
        return functools.cache(key)
    try:
        checked = key()
    except SigningKeyError as error:
        raise SettingsError(str(error)) from None
    return lambda: checked


def build_worker(client: Client, wiring: Wiring, task_queue: str) -> Worker:
    """A worker for `PilotPartnershipWorkflow` and its activities on `task_queue`."""
    acts = wiring.activities
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[PilotPartnershipWorkflow, MilestoneDeliveryWorkflow, AccessionWorkflow],
        # deliver_milestone: the old name of emit_milestone, for runs that scheduled it then.
        activities=[
            acts.open_stream,
            acts.append_events,
            acts.emit_milestone,
            acts.deliver_milestone,
            wiring.deliveries.begin_delivery,
            wiring.deliveries.deliver,
            wiring.deliveries.fail_delivery,
            *(wiring.programme.registered() if wiring.programme else []),
            *(wiring.accession.registered() if wiring.accession else []),
        ],
        activity_executor=wiring.executor,
        # Steps are checked for the API's attestation before their validators run; refusals
        # are counted outside the check; activities log with their workflow, run and stream.
        interceptors=[RefusalMetrics(), wiring.attestation, ActivityLogContext()],
        # On SIGTERM, in-flight activities get this long to finish before they are cancelled:
        # an append waits at most 10 s for the database, and compose allows 30 s to stop.
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        # A payload that fails validation fails the workflow task's caller, not a retry loop.
        workflow_failure_exception_types=[pydantic.ValidationError],
    )


async def serve(settings: Settings, *, ready: asyncio.Event | None = None) -> None:
    """Run a worker until SIGTERM/SIGINT; finish in-flight tasks before returning."""
    install_tracing(settings)  # only when OTEL_EXPORTER_OTLP_ENDPOINT is set
    if settings.worker_metrics_port:
        install_sdk_metrics()  # before connecting: the client's runtime reports to it
    wiring = wire(settings)
    client = await connect(settings)
    await ensure_search_attributes(client, settings.temporal_namespace)
    worker = build_worker(client, wiring, settings.task_queue)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        log.info(
            "worker serving task queue %s on %s (namespace %s), store %s",
            settings.task_queue,
            settings.temporal_address,
            settings.temporal_namespace,
            redacted(settings.database_url),
        )
        # Milestones owed to subscribers are started as delivery workflows from the outbox.
        sweeper = DeliverySweeper(client, settings, wiring.deliveries.engine)
        sweeping = asyncio.create_task(sweeper.run(stop))
        endpoint = start_endpoint(settings, client, wiring)
        try:
            if ready is not None:
                ready.set()
            await stop.wait()
            await sweeping
        finally:
            if endpoint is not None:
                await endpoint.stop()
        log.info("shutting down: finishing in-flight tasks")
    wiring.executor.shutdown(wait=True)


def start_endpoint(settings: Settings, client: Client, wiring: Wiring) -> EndpointServer | None:
    """Serve /metrics, /healthz and /readyz on WORKER_METRICS_PORT (none when 0 or busy)."""
    if not settings.worker_metrics_port:
        return None
    sock = bind(settings.worker_metrics_host, settings.worker_metrics_port)
    if sock is None:
        return None
    endpoint = EndpointServer(endpoints_app(client, wiring.deliveries.engine), sock)
    endpoint.start()
    log.info("metrics at http://%s/metrics (health: /healthz, /readyz)", endpoint.address)
    return endpoint


# The exit codes are the CLI's (README's table): a bad setting, and something unreachable.
EXIT_BAD_SETTING = 2
EXIT_UNAVAILABLE = 3


def configure_logging(settings: Settings | None = None) -> None:
    """Our own progress at INFO; libraries (alembic, the SDK) only when something is wrong.

    With `settings`, lines take LOG_FORMAT's shape (json or text) and carry their context.
    """
    if settings is None:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    else:
        configure_log_format(settings)
    log.setLevel(logging.INFO)


def main() -> int:
    """Entry point of `python worker.py`; returns the exit code.

    2 for a bad setting, 3 when Temporal or the database cannot be reached or the database is
    not migrated; each is one line, no traceback. `partnerships worker` runs `serve` itself and
    says the same with the CLI's hints.
    """

    def failed(message: str, code: int) -> int:
        print(f"error: {message}", file=sys.stderr)
        return code

    configure_logging()
    try:
        settings = load_settings()
    except SettingsError as error:  # a bad environment variable: named, with what is allowed
        return failed(str(error), EXIT_BAD_SETTING)
    configure_logging(settings)  # LOG_FORMAT: json or text lines, with their context
    try:
        asyncio.run(serve(settings))
    except SettingsError as error:  # e.g. TLS files that cannot be read
        return failed(str(error), EXIT_BAD_SETTING)
    except TemporalUnreachable as error:
        return failed(f"{error.message}. {TEMPORAL_HINT}", EXIT_UNAVAILABLE)
    except (Unavailable, StoreError) as error:
        return failed(str(error), EXIT_UNAVAILABLE)
    except KeyboardInterrupt:  # before the signal handlers are installed
        return 130
    return 0


if __name__ == "__main__":
    from app.process import exit_without_teardown

    exit_without_teardown(main())
