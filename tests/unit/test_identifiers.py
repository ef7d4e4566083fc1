"""A partnership's names: its workflow id and streams, built and read in one place."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidCountry
from domain.identifiers import (
    incarnation,
    latest_stream,
    next_stream,
    resolve_stream,
    stream_id,
    workflow_id_for,
)

GE_STREAMS = ["partnership-GE/1", "partnership-GE/2", "partnership-GE/10"]


def streams_of(prefix: str) -> list[str]:
    return [s for s in [*GE_STREAMS, "partnership-GB/1"] if s.startswith(prefix)]


def test_a_workflow_id_is_the_upper_case_iso_code_behind_partnership() -> None:
    assert workflow_id_for("cv") == "partnership-CV"
    assert workflow_id_for("UK") == "partnership-GB"
    assert workflow_id_for(" el ") == "partnership-GR"


def test_a_stream_id_numbers_the_incarnation() -> None:
    assert stream_id("GE", 2) == "partnership-GE/2"
    assert incarnation("partnership-GE/10") == 10
    assert incarnation("partnership-GE") == 0
    assert incarnation("/3") == 0


def test_the_latest_stream_is_the_highest_incarnation_not_the_last_in_text_order() -> None:
    assert latest_stream(GE_STREAMS) == "partnership-GE/10"
    assert latest_stream([]) is None
    assert next_stream("GE", GE_STREAMS) == "partnership-GE/11"
    assert next_stream("CV", []) == "partnership-CV/1"


@pytest.mark.parametrize("name", ["GE", "ge", "partnership-GE", " partnership-GE "])
def test_a_country_code_or_a_workflow_id_resolves_to_the_latest_stream(name: str) -> None:
    assert resolve_stream(name, streams_of) == "partnership-GE/10"


def test_a_stream_id_resolves_to_itself_and_a_country_with_no_stream_to_none() -> None:
    assert resolve_stream("partnership-GE/2", streams_of) == "partnership-GE/2"
    assert resolve_stream("partnership-CV", streams_of) is None


@pytest.mark.parametrize("name", ["ZZ", "partnership-ZZ", "partnership-", "ß"])
def test_a_name_that_is_no_country_is_refused(name: str) -> None:
    with pytest.raises(InvalidCountry):
        resolve_stream(name, streams_of)


@given(st.sampled_from(["CV", "MD", "GE", "SN"]), st.integers(min_value=1, max_value=10**6))
def test_a_stream_id_reads_back_its_incarnation(country: str, number: int) -> None:
    assert incarnation(stream_id(country, number)) == number
    assert resolve_stream(stream_id(country, number), streams_of) == stream_id(country, number)


def test_the_directory_of_role_bindings_is_named_as_its_stream() -> None:
    assert resolve_stream("directory", streams_of) == "directory"


def test_the_programme_is_named_as_its_stream() -> None:
    assert resolve_stream("programme", streams_of) == "programme"
