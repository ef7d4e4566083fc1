"""`python -m faults` (`make faults`): run the fault scenarios, print the table, fail unless clean.

Each scenario runs in a working directory of its own (kept, with its processes' logs and a
`findings.txt`), one after the other, since each already loads this machine's two cores.

    python -m faults                        # every scenario at full scale
    python -m faults --only worker_kills,two_workers --short
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from faults.outcome import Outcome, Scale, Scenario, table

SCENARIOS = ("worker_kills", "api_kills", "pg_outage", "temporal_restart", "two_workers", "fuzzing")


def scenario(name: str) -> Scenario:
    """The scenario `faults.<name>.run`."""
    run: Scenario = importlib.import_module(f"faults.{name}").run
    return run


def chosen(only: str | None) -> list[str]:
    """The scenarios `--only` names (all when None), in the campaign's order."""
    if only is None:
        return list(SCENARIOS)
    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown or not names:
        raise SystemExit(
            f"--only {only!r}: unknown scenario {', '.join(unknown) or '(none given)'}; "
            f"choose among {', '.join(SCENARIOS)}, separated by commas"
        )
    return [name for name in SCENARIOS if name in names]


def line(outcome: Outcome, seconds: float) -> str:
    """A scenario's one line as it ends."""
    status = "clean" if outcome.clean else "NOT CLEAN"
    record = "passed" if outcome.verified else "FAILED"
    return (
        f"{outcome.scenario}: {status} in {seconds:.0f} s: {outcome.faults_injected} faults, "
        f"{outcome.lifecycles_completed} lifecycles completed, {outcome.events_lost} lost, "
        f"{outcome.duplicates} duplicates, {outcome.stuck_workflows} stuck, "
        f"{outcome.server_errors} server errors, verify {record} ({outcome.detail})"
    )


async def campaign(names: Sequence[str], scale: Scale, root: Path) -> tuple[list[Outcome], bool]:
    """Run the scenarios in turn; the outcomes, and whether every one ran and came out clean."""
    outcomes: list[Outcome] = []
    passed = True
    for name in names:
        started = time.monotonic()
        try:
            outcome = await scenario(name)(scale, root / name)
        except Exception:
            passed = False
            print(f"{name}: FAILED TO RUN\n{traceback.format_exc()}", flush=True)
            continue
        outcomes.append(outcome)
        passed = passed and outcome.clean
        print(line(outcome, time.monotonic() - started), flush=True)
    return outcomes, passed


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 when every chosen scenario ran and came out clean, else 1."""
    parser = argparse.ArgumentParser(
        prog="python -m faults", description="Run the fault scenarios; print their table."
    )
    parser.add_argument("--only", help=f"comma-separated scenarios among {', '.join(SCENARIOS)}")
    parser.add_argument("--short", action="store_true", help="the short scale `make test` uses")
    parser.add_argument(
        "--workdir", type=Path, help="where the scenarios' directories go (default: a new one)"
    )
    args = parser.parse_args(argv)
    names = chosen(args.only)
    scale = Scale.SHORT if args.short else Scale.FULL
    root = args.workdir or Path(tempfile.mkdtemp(prefix="faults-"))
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    print(f"fault campaign at {scale} scale: {', '.join(names)}; logs in {root}", flush=True)
    # SIGTERM (a CI timeout, a service manager) unwinds like Ctrl-C: every scenario's stack
    # stops the processes it started on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    started = time.monotonic()
    outcomes, passed = asyncio.run(campaign(names, scale, root))
    print()
    print(table(outcomes) if outcomes else "no scenario ran to its end")
    print(f"\ntotal {time.monotonic() - started:.0f} s; {'clean' if passed else 'NOT CLEAN'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
