"""Fixtures of the fault suite: a tiny tmpfs to fill (we are root in CI; elsewhere the disk-full
cases are skipped with the reason)."""
import errno
import os
import subprocess
import uuid
from pathlib import Path

import pytest


def mount_tmpfs(path: Path, size: str = "64k") -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("disk-full tests need a tmpfs: run as root (as CI does), mount is not "
                    "permitted for this user")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                             str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"disk-full tests need a tmpfs; mount is not permitted here: "
                    f"{result.stderr.strip()}")


def fill(path: Path, leave: int = 0) -> None:
    """Write into `path` until the disk is full (then free `leave` bytes)."""
    filler = path / f".filler-{uuid.uuid4().hex[:6]}"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC
    if leave:
        size = filler.stat().st_size
        os.truncate(filler, max(size - leave, 0))


@pytest.fixture
def tiny_disk(tmp_path):
    """tiny_disk(name, size="64k", full=True) → a folder on a tmpfs of its own, full when asked;
    unmounted afterwards."""
    mounted = []

    def make(name="disk", size="64k", full=True, leave=0):
        path = tmp_path / name
        mount_tmpfs(path, size)
        mounted.append(path)
        if full:
            fill(path, leave)
        return path

    yield make
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)
