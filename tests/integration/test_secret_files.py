"""A development secret is written once, owner-only, and every process reads the same one."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

from activities.secret_files import write_once


def test_a_secret_is_written_owner_only_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "secret.key"
    write_once(path, lambda: b"first")
    write_once(path, lambda: b"second")
    assert path.read_bytes() == b"first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_processes_starting_together_all_keep_the_same_secret(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    start = threading.Barrier(8)

    def make(n: int) -> None:
        start.wait()
        write_once(path, lambda: f"secret {n}".encode())

    threads = [threading.Thread(target=make, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert path.read_bytes().startswith(b"secret ")
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]  # no temporary file left
