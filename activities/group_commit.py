"""Group commit: appends that arrive together share one transaction and one commit.

A commit's fsync (SQLite's WAL, PostgreSQL's WAL flush under the append lock) costs more than
the rows it makes durable, and the worker appends from many activity threads at once. So
appends queue here, and one thread at a time, the leader, commits whatever is queued as one
group: every member keeps its own expected-version check and chain link (activities/appenders.py
writes each inside its own savepoint), and a member that fails leaves its neighbours alone.

Leader-follower, with no fixed wait: a thread that finds no commit in flight leads at once, so
an append alone is never slowed. One that arrives while a commit is in flight queues and sleeps;
when that commit ends its leader wakes the first one queued to lead the next group, which takes
everything queued by then (up to `max_group`). A leader serves only its own group and then
returns, so no thread waits for more than the group in flight and its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

__all__ = ["GroupCommit", "GroupStats"]

T = TypeVar("T")
W = TypeVar("W")  # one member's work
R = TypeVar("R")  # what committing it gave that member

Take = Callable[[], list[W]]
"""Called once by a group's committer when it is ready: the members' work, in arrival order."""


class _Ticket(Generic[W, R]):
    """One member's place in the queue, and what its group gave it."""

    __slots__ = (
        "done",
        "error",
        "lead",
        "result",
        "task",
        "task_error",
        "task_result",
        "wake",
        "work",
    )

    def __init__(self, work: W) -> None:
        self.work = work
        self.wake: threading.Lock | None = None  # held until the member is woken
        self.lead = False
        self.result: R | None = None
        self.error: BaseException | None = None
        # Work the leader hands to this member's own thread while the group is written.
        self.task: Callable[[], Any] | None = None
        self.task_result: Any = None
        self.task_error: BaseException | None = None
        self.done: threading.Lock | None = None  # released when the task is done

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]  # set whenever error is not


class GroupStats:
    """How many groups were committed, and how many members they held (read under no lock)."""

    __slots__ = ("groups", "largest", "members")

    def __init__(self) -> None:
        self.groups = 0
        self.members = 0
        self.largest = 0


class GroupCommit(Generic[W, R]):
    """Runs `commit` for groups of work items submitted from many threads.

    `commit(take)` does the group's work: it calls `take()` once, when it is ready to write
    (after taking its locks, so the group gathers whoever queued meanwhile), and returns one
    result per member, in order: a value for the member, or the exception that member alone
    must raise. If `commit` itself raises, every member of the group raises that error.
    """

    def __init__(
        self, commit: Callable[[Take[W]], Sequence[R | BaseException]], *, max_group: int = 32
    ) -> None:
        if max_group < 1:
            raise ValueError(f"a group must be allowed at least one member, got {max_group}")
        self._commit = commit
        self.max_group = max_group
        self.stats = GroupStats()
        self._lock = threading.Lock()
        self._queue: list[_Ticket[W, R]] = []
        self._busy = False  # a leader is committing, or has been woken to
        self._taken: list[_Ticket[W, R]] = []  # the group being written (one at a time)
        self._leader: _Ticket[W, R] | None = None  # its leader's own ticket

    def run(self, work: W) -> R:
        """Commit `work` in a group, leading one if no commit is in flight; its result."""
        ticket: _Ticket[W, R] = _Ticket(work)
        with self._lock:
            self._queue.append(ticket)
            leading = not self._busy
            self._busy = True
            if not leading:
                ticket.wake = threading.Lock()
                ticket.wake.acquire()
        if not leading:
            assert ticket.wake is not None
            # Released when its group committed, when it is to lead, or for a task.
            while ticket.wake.acquire() and ticket.task is not None:
                self._run_task(ticket, ticket.task)
            if not ticket.lead:
                return ticket.outcome()
        self._lead(ticket)
        return ticket.outcome()

    def on_member_thread(self, index: int, task: Callable[[], T]) -> T:
        """Run `task` on the thread of the group's member `index`, and return what it returns.

        For the leader's `commit`, while it writes the group: work that keeps state per thread
        (a read model's fold, kept until its `committed`) runs on the member's own thread, as
        it would have without a group. The member's thread is waiting, so the two never run
        at once. Raises what `task` raised.
        """
        ticket = self._taken[index]
        if ticket is self._leader:  # the leader's own: this thread
            return task()
        done = ticket.done = threading.Lock()
        done.acquire()
        ticket.task = task
        assert ticket.wake is not None  # a member that queued behind a leader has one
        ticket.wake.release()
        done.acquire()  # released by the member once the task is done
        error, result = ticket.task_error, ticket.task_result
        ticket.task_error = ticket.task_result = None
        if error is not None:
            raise error
        return result  # type: ignore[no-any-return]

    @staticmethod
    def _run_task(ticket: _Ticket[W, R], task: Callable[[], Any]) -> None:
        ticket.task = None
        try:
            ticket.task_result = task()
        except BaseException as error:  # raised on the leader's thread
            ticket.task_error = error
        assert ticket.done is not None
        ticket.done.release()

    def queued(self) -> int:
        """How many members are waiting for a group (the leader's own not counted once taken)."""
        with self._lock:
            return len(self._queue)

    def _lead(self, own: _Ticket[W, R]) -> None:
        taken: list[_Ticket[W, R]] = []
        self._leader = own

        def take() -> list[W]:
            if taken:
                raise RuntimeError("a group's members are taken once")
            with self._lock:
                # The leader is first in the queue: it was queued first, or woken as its head.
                count = min(len(self._queue), self.max_group)
                taken.extend(self._queue[:count])
                del self._queue[:count]
                self._taken = taken
                self.stats.groups += 1
                self.stats.members += count
                self.stats.largest = max(self.stats.largest, count)
            return [ticket.work for ticket in taken]

        try:
            results = self._commit(take)
            if len(results) != len(taken):
                raise RuntimeError(f"{len(results)} results for a group of {len(taken)}")
            for ticket, result in zip(taken, results, strict=True):
                if isinstance(result, BaseException):
                    ticket.error = result
                else:
                    ticket.result = result
        except BaseException as error:
            for ticket in taken:
                ticket.error = error
            if not taken:  # it failed before taking: only the leader's own append fails
                own.error = error
                with self._lock:
                    self._queue.remove(own)
        finally:
            self._hand_over(own, taken)

    def _hand_over(self, own: _Ticket[W, R], taken: list[_Ticket[W, R]]) -> None:
        """Wake the next leader (the queue's head) or mark no commit in flight; wake the group."""
        with self._lock:
            self._taken = []
            if self._queue:
                head = self._queue[0]
                head.lead = True
                assert head.wake is not None
                head.wake.release()
            else:
                self._busy = False
        for ticket in taken:
            if ticket is not own:
                assert ticket.wake is not None
                ticket.wake.release()
