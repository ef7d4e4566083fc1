"""Recorded histories are evidence: each is only ever added, never edited or re-exported over.

`tests/histories/MANIFEST.sha256` (the format of `sha256sum`) lists every recorded history with
the SHA-256 of its bytes. A history edited in place no longer matches its line; a history
added without its line is unlisted; a line dropped from the manifest, in the working tree or in
any commit since, means the manifest shrank.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

HISTORIES = Path(__file__).resolve().parents[1] / "histories"
MANIFEST = HISTORIES / "MANIFEST.sha256"


def manifest_lines(text: str) -> dict[str, str]:
    """File name → SHA-256, from manifest text in `sha256sum` format."""
    sums: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    return sums


def test_every_recorded_history_still_has_the_bytes_it_was_recorded_with() -> None:
    listed = manifest_lines(MANIFEST.read_text())
    changed = [
        name
        for name, digest in listed.items()
        if hashlib.sha256((HISTORIES / name).read_bytes()).hexdigest() != digest
    ]
    assert not changed, f"recorded histories were edited or re-exported: {changed}"


def test_every_history_file_is_listed_in_the_manifest() -> None:
    listed = manifest_lines(MANIFEST.read_text())
    unlisted = sorted(p.name for p in HISTORIES.glob("*.json") if p.name not in listed)
    assert not unlisted, (
        f"add these histories to {MANIFEST.name} (`sha256sum NAME >> {MANIFEST.name}`): {unlisted}"
    )


def test_every_listed_history_still_exists() -> None:
    missing = sorted(
        n for n in manifest_lines(MANIFEST.read_text()) if not (HISTORIES / n).exists()
    )
    assert not missing, f"recorded histories were deleted: {missing}"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=HISTORIES, capture_output=True, text=True, check=True, timeout=30
    ).stdout


def test_the_manifest_only_ever_grew_in_any_commit() -> None:
    # CI runs on a fresh clone: the manifest's past is always there to read.
    assert shutil.which("git") is not None, "git is needed to read the manifest's past"
    assert (HISTORIES.parents[1] / ".git").exists(), "run the suite from a git checkout"
    current = manifest_lines(MANIFEST.read_text())
    commits = _git("log", "--format=%H", "--", "MANIFEST.sha256").split()
    for commit in commits:
        then = manifest_lines(_git("show", f"{commit}:./MANIFEST.sha256"))
        dropped_or_changed = {n: d for n, d in then.items() if current.get(n) != d}
        assert not dropped_or_changed, (
            f"since commit {commit[:8]} the manifest lost or changed {sorted(dropped_or_changed)}"
        )
