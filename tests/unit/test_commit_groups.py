"""Group commit's leader-follower queue (activities/group_commit.py), with a fake committer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from activities.group_commit import GroupCommit, Take


class Committer:
    """Records each group it is given; blocks a group whose first member is in `hold`."""

    def __init__(self, fail: Callable[[str], bool] = lambda _: False) -> None:
        self.groups: list[list[str]] = []
        self.threads: list[str] = []
        self.hold: dict[str, threading.Event] = {}
        self.entered: dict[str, threading.Event] = {}
        self.fail = fail
        self.broken: set[str] = set()

    def __call__(self, take: Take[str]) -> list[str | BaseException]:
        members = take()
        self.groups.append(members)
        self.threads.append(threading.current_thread().name)
        if members[0] in self.hold:
            self.entered[members[0]].set()
            self.hold[members[0]].wait(timeout=10)
        if any(m in self.broken for m in members):
            raise OSError("the commit failed")
        return [ValueError(m) if self.fail(m) else m.upper() for m in members]

    def holding(self, member: str) -> threading.Event:
        """Make the group led by `member` wait, in its commit, until the event is set."""
        self.hold[member] = threading.Event()
        self.entered[member] = threading.Event()
        return self.hold[member]


def wait_until(condition: Callable[[], bool]) -> None:
    """Poll a condition another thread makes true, failing after ten seconds."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.001)


class Runs:
    """Members run on threads named for them; their results or errors, by member."""

    def __init__(self, group: GroupCommit[str, str]) -> None:
        self.group = group
        self.results: dict[str, object] = {}
        self.threads: list[threading.Thread] = []

    def start(self, member: str) -> None:
        def run() -> None:
            try:
                self.results[member] = self.group.run(member)
            except BaseException as error:  # compared below
                self.results[member] = error

        thread = threading.Thread(target=run, name=member)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=10)
            assert not thread.is_alive()


def test_an_append_alone_is_committed_at_once_on_its_own_thread() -> None:
    committer = Committer()
    group = GroupCommit(committer)
    assert group.run("a") == "A"
    assert committer.groups == [["a"]]
    assert committer.threads == [threading.current_thread().name]
    assert group.queued() == 0


def test_appends_arriving_during_a_commit_share_the_next_one_led_by_the_first_of_them() -> None:
    committer = Committer()
    group = GroupCommit(committer)
    runs = Runs(group)
    release = committer.holding("lead")
    runs.start("lead")
    committer.entered["lead"].wait(timeout=10)
    for count, member in enumerate(["b", "c", "d"], start=1):
        runs.start(member)
        wait_until(lambda count=count: group.queued() == count)  # type: ignore[misc]
    release.set()
    runs.join()
    assert committer.groups == [["lead"], ["b", "c", "d"]]
    # The first leader served only its own group; the next was led by its first member.
    assert committer.threads == ["lead", "b"]
    assert runs.results == {"lead": "LEAD", "b": "B", "c": "C", "d": "D"}
    assert (group.stats.groups, group.stats.members, group.stats.largest) == (2, 4, 3)


def test_a_member_whose_work_fails_raises_alone_and_its_neighbours_get_their_results() -> None:
    committer = Committer(fail=lambda m: m == "bad")
    group = GroupCommit(committer)
    runs = Runs(group)
    release = committer.holding("lead")
    runs.start("lead")
    committer.entered["lead"].wait(timeout=10)
    for count, member in enumerate(["b", "bad", "d"], start=1):
        runs.start(member)
        wait_until(lambda count=count: group.queued() == count)  # type: ignore[misc]
    release.set()
    runs.join()
    assert committer.groups == [["lead"], ["b", "bad", "d"]]
    assert isinstance(runs.results["bad"], ValueError)
    assert runs.results["b"] == "B"
    assert runs.results["d"] == "D"


def test_a_failed_commit_fails_its_whole_group_and_the_next_group_still_commits() -> None:
    committer = Committer()
    committer.broken.add("c")
    group = GroupCommit(committer)
    runs = Runs(group)
    release = committer.holding("lead")
    runs.start("lead")
    committer.entered["lead"].wait(timeout=10)
    for count, member in enumerate(["b", "c"], start=1):
        runs.start(member)
        wait_until(lambda count=count: group.queued() == count)  # type: ignore[misc]
    release.set()
    runs.join()
    assert runs.results["lead"] == "LEAD"
    assert isinstance(runs.results["b"], OSError)
    assert isinstance(runs.results["c"], OSError)
    assert group.run("e") == "E"  # nothing left stuck: the next append leads at once


def test_a_group_holds_at_most_max_group_members_and_the_rest_form_the_next() -> None:
    committer = Committer()
    group = GroupCommit(committer, max_group=2)
    runs = Runs(group)
    release = committer.holding("lead")
    runs.start("lead")
    committer.entered["lead"].wait(timeout=10)
    for count, member in enumerate(["b", "c", "d", "e", "f"], start=1):
        runs.start(member)
        wait_until(lambda count=count: group.queued() == count)  # type: ignore[misc]
    release.set()
    runs.join()
    assert committer.groups == [["lead"], ["b", "c"], ["d", "e"], ["f"]]
    assert group.stats.largest == 2


def test_a_group_must_allow_one_member() -> None:
    with pytest.raises(ValueError, match="at least one member"):
        GroupCommit(Committer(), max_group=0)


def test_the_leader_can_run_a_members_work_on_that_members_own_thread() -> None:
    seen: dict[str, str] = {}
    group: GroupCommit[str, str]

    def commit(take: Take[str]) -> list[str | BaseException]:
        members = take()
        results: list[str | BaseException] = []
        for index, member in enumerate(members):

            def task(member: str = member) -> str:
                if member == "bad":
                    raise ValueError(member)
                seen[member] = threading.current_thread().name
                return member.upper()

            try:
                results.append(group.on_member_thread(index, task))
            except ValueError as error:
                results.append(error)
        return results

    gate = threading.Event()
    entered = threading.Event()

    def first(take: Take[str]) -> list[str | BaseException]:
        entered.set()
        gate.wait(timeout=10)
        return commit(take)

    calls = iter([first])
    group = GroupCommit(lambda take: next(calls, commit)(take))
    runs = Runs(group)
    runs.start("lead")
    entered.wait(timeout=10)
    # The leader waits before taking its group, so it is still queued: one group of four.
    for count, member in enumerate(["b", "bad", "d"], start=2):
        runs.start(member)
        wait_until(lambda count=count: group.queued() == count)  # type: ignore[misc]
    gate.set()
    runs.join()
    # Each member's task ran on its own thread, the leader's too; a task's error is that
    # member's alone.
    assert seen == {"lead": "lead", "b": "b", "d": "d"}
    assert isinstance(runs.results["bad"], ValueError)
    assert runs.results["d"] == "D"
    assert group.stats.largest == 4
