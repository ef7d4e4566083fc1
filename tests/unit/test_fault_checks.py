"""The fault campaign's counting: what is lost, what is duplicated, stream by stream."""

from __future__ import annotations

from collections import Counter

from faults.checks import EventKey, compare, event_key, merge
from faults.lifecycles import PROGRAMME_STREAM, Plan, Progress, expected_events

ANSWER_FR = EventKey("ConsultationAnswered", "FR")
ANSWER_DE = EventKey("ConsultationAnswered", "DE")
PROPOSED = EventKey("PartnershipProposed")


def test_a_stream_recorded_exactly_as_expected_has_nothing_lost_or_duplicated() -> None:
    expected = {"s": Counter({PROPOSED: 1, ANSWER_FR: 1, ANSWER_DE: 1})}
    result = compare(expected, expected, expected)
    assert (result.lost, result.duplicates, result.lines) == (0, 0, ())


def test_an_acknowledged_event_missing_from_the_store_is_lost() -> None:
    expected = {"s": Counter({PROPOSED: 1, ANSWER_FR: 1, ANSWER_DE: 1})}
    recorded = {"s": Counter({PROPOSED: 1, ANSWER_DE: 1})}
    result = compare(expected, expected, recorded)
    assert (result.lost, result.duplicates) == (1, 0)
    assert result.lines == ("s: ConsultationAnswered(FR) lost (0 of 1)",)


def test_an_answer_recorded_twice_by_the_same_member_state_is_one_duplicate() -> None:
    expected = {"s": Counter({PROPOSED: 1, ANSWER_FR: 1, ANSWER_DE: 1})}
    recorded = {"s": Counter({PROPOSED: 1, ANSWER_FR: 2, ANSWER_DE: 1})}
    result = compare(expected, expected, recorded)
    assert (result.lost, result.duplicates) == (0, 1)
    assert "ConsultationAnswered(FR) recorded 2 times" in result.lines[0]


def test_answers_of_two_member_states_are_counted_apart_not_as_a_duplicate() -> None:
    expected = {"s": Counter({ANSWER_FR: 1, ANSWER_DE: 1})}
    recorded = {"s": Counter({ANSWER_FR: 2})}
    result = compare(expected, expected, recorded)
    assert (result.lost, result.duplicates) == (1, 1)


def test_a_step_sent_but_never_acknowledged_may_be_recorded_once_or_not_at_all() -> None:
    needed = {"s": Counter({PROPOSED: 1})}
    allowed = {"s": Counter({PROPOSED: 1, ANSWER_FR: 1})}
    assert compare(needed, allowed, {"s": Counter({PROPOSED: 1})}).lost == 0
    once = compare(needed, allowed, {"s": Counter({PROPOSED: 1, ANSWER_FR: 1})})
    assert (once.lost, once.duplicates) == (0, 0)
    twice = compare(needed, allowed, {"s": Counter({PROPOSED: 1, ANSWER_FR: 2})})
    assert twice.duplicates == 1


def test_every_event_of_a_stream_nobody_expected_is_a_duplicate() -> None:
    expected = {"partnership-CV/1": Counter({PROPOSED: 1})}
    recorded = {**expected, "partnership-CV/2": Counter({PROPOSED: 1, ANSWER_FR: 1})}
    result = compare(expected, expected, recorded)
    assert (result.lost, result.duplicates) == (0, 2)


def test_an_event_type_never_expected_in_a_stream_is_a_duplicate() -> None:
    expected = {"s": Counter({PROPOSED: 1})}
    recorded = {"s": Counter({PROPOSED: 1, EventKey("DecisionDeadlineReminderIssued"): 1})}
    assert compare(expected, expected, recorded).duplicates == 1


def test_an_answer_is_identified_by_its_member_state_and_a_slot_by_its_partnership() -> None:
    assert event_key("ConsultationAnswered", {"member_state": "FR", "offers": []}) == ANSWER_FR
    assert event_key("SlotTaken", {"country": "CV", "stream_id": "partnership-CV/1"}) == (
        EventKey("SlotTaken", "partnership-CV/1")
    )
    assert event_key("TalksRoundRecorded", {"member_states": ["FR"]}) == (
        EventKey("TalksRoundRecorded")
    )


def test_lifecycles_sharing_the_programme_stream_add_up_when_merged() -> None:
    one = {PROGRAMME_STREAM: Counter({EventKey("SlotTaken", "a"): 1}), "a": Counter({PROPOSED: 1})}
    two = {PROGRAMME_STREAM: Counter({EventKey("SlotTaken", "b"): 1}), "b": Counter({PROPOSED: 1})}
    merged = merge([one, two])
    assert sum(merged[PROGRAMME_STREAM].values()) == 2
    assert set(merged) == {PROGRAMME_STREAM, "a", "b"}


def test_a_completed_lifecycle_expects_its_whole_stream_and_its_programme_slot() -> None:
    plan = Plan("CV", ("DE", "FR"))
    expected = expected_events(plan)
    own = expected["partnership-CV/1"]
    assert own[PROPOSED] == 1
    assert own[ANSWER_FR] == own[ANSWER_DE] == 1
    assert own[EventKey("PartnershipLaunched")] == 1
    assert sum(own.values()) == 1 + 2 + 7
    assert expected[PROGRAMME_STREAM] == Counter(
        {EventKey("SlotTaken", "partnership-CV/1"): 1, EventKey("SlotFreed", "partnership-CV/1"): 1}
    )


def test_a_step_retried_after_faults_is_attempted_once_and_acknowledged_once() -> None:
    progress = Progress(Plan("CV", ("FR",)))
    progress.attempt([ANSWER_FR])
    assert progress.attempted[ANSWER_FR] == 1
    assert progress.acknowledged[ANSWER_FR] == 0
    progress.acknowledge([ANSWER_FR])
    assert progress.attempted_by_stream()["partnership-CV/1"][ANSWER_FR] == 1
    assert progress.acknowledged_by_stream()["partnership-CV/1"][ANSWER_FR] == 1
