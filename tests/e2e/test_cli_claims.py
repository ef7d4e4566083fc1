"""End to end: what README claims of `list --stage/--region` and of the CLI's exit codes.

One `partnerships dev` stack serves the whole module: five partnerships are proposed through the
installed CLI, one is moved on to exploratory talks and one withdrawn. The board is read with
Typer's runner on the stack's own database (a process would add nothing there); every exit code
is read from the installed `partnerships` script as a process, since the code a shell sees is
the claim. Expected rows, messages and codes are written out by hand, the codes as README's
table numbers them: 0 done, 1 refused, 2 the command line is wrong, 3 unreachable, 4 no such
partnership.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from domain.presidencies import presidency_on
from interfaces.cli.app import app
from tests.e2e.devstack import DevStack, free_port, is_running, needs_temporal

pytestmark = needs_temporal

COMMISSION = "commission:alice"
# The Presidency in office today, from the Council's order: its steps here are dated today.
PRESIDENCY = f"presidency:{presidency_on(datetime.now(UTC).date())}:joao"
PORTUGAL = "member_state:PT:maria"

# What the stack holds once the module fixture has run: country → (stage, region).
CV = ("CV", "consultation", "africa_mediterranean")
SN = ("SN", "consultation", "africa_mediterranean")
MD = ("MD", "exploratory_talks", "eastern_south_eastern")
GE = ("GE", "withdrawn", "eastern_south_eastern")
# Turkey's default region is eastern_south_eastern; the Commission chose another.
TR = ("TR", "consultation", "eastern_mediterranean_middle_east")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """A running stack with CV, SN and TR in consultation, MD in talks and GE withdrawn."""
    dev = DevStack(
        data_dir=tmp_path_factory.mktemp("claims") / "data", port=free_port(), ui_port=free_port()
    )
    try:
        dev.start()
        for country in ("CV", "SN", "MD", "GE"):
            dev.ok("propose", country, "--rationale", "r", "--terms", "t", actor=COMMISSION)
        dev.ok(
            "propose", "TR", "--rationale", "r", "--terms", "t",
            "--region", "eastern_mediterranean_middle_east", actor=COMMISSION,
        )  # fmt: skip
        dev.ok("respond", "MD", "--position", "interested", actor=PORTUGAL)
        dev.ok("close-consultation", "MD", actor=COMMISSION)
        dev.ok("authorise-talks", "MD", actor=PRESIDENCY)
        dev.ok("withdraw", "GE", "--reason", "Talks suspended", actor=COMMISSION)
        yield dev
        assert dev.interrupt() == 0, "".join(dev.output)
        assert [pid for pid in dev.started_pids if is_running(pid)] == []
    finally:
        dev.kill_leftovers()


def partnerships(stack: DevStack, *args: str) -> tuple[int, str]:
    """`partnerships ARGS` in this process, on the stack's database; exit code and output."""
    result = CliRunner().invoke(app, list(args), env=stack.env)
    return result.exit_code, result.output


def listed(stack: DevStack, *options: str) -> set[tuple[str, str, str]]:
    """The (country, stage, region) of each line `partnerships list OPTIONS` shows."""
    code, output = partnerships(stack, "list", *options)
    assert code == 0, output
    rows = set()
    for line in output.splitlines():
        # A body line of the table: │ CV │ consultation │ africa_mediterranean │ …
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) > 4 and cells[1]:
            rows.add((cells[1], cells[2], cells[3]))
    return rows


def one_line(text: str) -> str:
    """A message as one line: Rich's panel borders and wrapping taken out."""
    for border in "│╭╮╰╯─":
        text = text.replace(border, " ")
    return " ".join(text.split())


def test_list_without_filters_shows_every_partnership_at_its_stage_and_region(
    stack: DevStack,
) -> None:
    assert listed(stack) == {CV, SN, MD, GE, TR}


def test_list_by_stage_shows_exactly_the_partnerships_at_that_stage(stack: DevStack) -> None:
    assert listed(stack, "--stage", "consultation") == {CV, SN, TR}
    assert listed(stack, "--stage", "exploratory_talks") == {MD}
    assert listed(stack, "--stage", "withdrawn") == {GE}


def test_list_by_region_shows_exactly_the_partnerships_recorded_in_that_region(
    stack: DevStack,
) -> None:
    assert listed(stack, "--region", "africa_mediterranean") == {CV, SN}
    # Not Turkey: the region recorded with its proposal counts, not the country's default.
    assert listed(stack, "--region", "eastern_south_eastern") == {MD, GE}
    assert listed(stack, "--region", "eastern_mediterranean_middle_east") == {TR}


def test_list_by_stage_and_region_shows_only_the_partnerships_matching_both(
    stack: DevStack,
) -> None:
    assert listed(stack, "--stage", "consultation", "--region", "africa_mediterranean") == {
        CV,
        SN,
    }
    assert listed(stack, "--region", "eastern_south_eastern", "--stage", "withdrawn") == {GE}


def test_list_with_filters_nothing_matches_says_so_and_exits_0(stack: DevStack) -> None:
    for options in (
        ["--stage", "launched"],
        ["--region", "central_asia"],
        ["--stage", "exploratory_talks", "--region", "africa_mediterranean"],
    ):
        assert partnerships(stack, "list", *options) == (0, "No partnership matches.\n")


def test_list_with_an_unknown_stage_exits_2_naming_every_stage_allowed(stack: DevStack) -> None:
    done = stack.cli("list", "--stage", "nonsense")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    message = one_line(done.stderr)
    assert "Invalid value for '--stage'" in message
    assert (
        "'nonsense' is not one of 'consultation', 'awaiting_talks_authorisation', "
        "'exploratory_talks', 'talks_suspended', 'report_due', 'council_decision', "
        "'launch_preparation', "
        "'not_pursued', 'talks_failed', 'declined', 'lapsed', 'withdrawn', 'launched'."
    ) in message


def test_list_with_an_unknown_region_exits_2_naming_every_region_allowed(stack: DevStack) -> None:
    done = stack.cli("list", "--region", "atlantis")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    message = one_line(done.stderr)
    assert "Invalid value for '--region'" in message
    assert (
        "'atlantis' is not one of 'africa_mediterranean', 'eastern_south_eastern', "
        "'eastern_mediterranean_middle_east', 'central_asia', 'asia_origin', 'other'."
    ) in message


NEVER_PROPOSED_NO = (
    "error: no partnership with NO has been proposed (no workflow partnership-NO in namespace "
    "default); propose one with `partnerships propose NO …`."
)


def test_a_step_on_a_country_never_proposed_exits_4_saying_none_was_proposed(
    stack: DevStack,
) -> None:
    # Norway is a third country, never proposed here.
    for step, actor in (
        (["close-consultation", "NO"], COMMISSION),
        (["respond", "NO", "--position", "interested"], PORTUGAL),
    ):
        done = stack.cli(*step, actor=actor)
        assert done.returncode == 4, done.stdout + done.stderr
        assert done.stderr.strip() == NEVER_PROPOSED_NO
    # Nothing was started or recorded for Norway.
    assert partnerships(stack, "events", "NO") == (
        4,
        "error: no partnership has been recorded for NO\n",
    )
    assert "NO" not in {country for country, _, _ in listed(stack)}


def test_show_on_a_country_never_proposed_exits_4_saying_none_was_proposed(
    stack: DevStack,
) -> None:
    done = stack.cli("show", "NO")
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr.strip() == NEVER_PROPOSED_NO


@pytest.mark.parametrize(
    "command",
    [["list"], ["show", "CV"], ["close-consultation", "CV", "--as", COMMISSION]],
    ids=["list", "show", "a step"],
)
def test_an_unknown_option_exits_2_naming_it_and_changes_nothing(
    stack: DevStack, command: list[str]
) -> None:
    done = stack.cli(*command, "--no-such-option")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert "No such option: --no-such-option" in one_line(done.stderr)
    assert CV in listed(stack, "--stage", "consultation")  # CV's consultation is still open


def test_a_country_code_that_names_no_country_exits_2_saying_what_is_allowed(
    stack: DevStack,
) -> None:
    done = stack.cli("show", "ZZ")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == (
        "error: ZZ is not an ISO 3166-1 alpha-2 country code; give two ASCII letters naming a "
        "country, such as CV or MD (the EU's EL and UK are accepted for Greece and the United "
        "Kingdom)"
    )
