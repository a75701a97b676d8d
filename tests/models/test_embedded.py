"""The embedded server: start, stop, restart with data intact; one app per data dir; no orphan on a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

from models.embedded import EmbeddedMongo, EmbeddedServerError
from tests.conftest import REPO


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state != "Z"


def _wait_until_gone(pid: int, deadline_s: float = 15.0) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_data_survives_a_stop_and_restart(tmp_path: Path) -> None:
    with EmbeddedMongo(tmp_path) as server:
        first_pid = server.pid
        with MongoClient(server.uri) as client:
            client.app.things.insert_one({"_id": 1, "note": "kept"})
            client.app.things.create_index("note", unique=True)
    assert first_pid is not None and _wait_until_gone(first_pid)
    with EmbeddedMongo(tmp_path) as server, MongoClient(server.uri) as client:
        assert client.app.things.find_one({"_id": 1}) == {"_id": 1, "note": "kept"}
        with pytest.raises(DuplicateKeyError):
            client.app.things.insert_one({"_id": 2, "note": "kept"})
    assert (tmp_path / "signalcord.sqlite").exists()


def test_a_second_server_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    with EmbeddedMongo(tmp_path):
        with pytest.raises(EmbeddedServerError, match=f"data dir {tmp_path} is already in use .*pid {os.getpid()}"):
            EmbeddedMongo(tmp_path).start()
    with EmbeddedMongo(tmp_path) as again:  # free again once the first one stopped
        assert again.pid is not None


def test_the_server_dies_with_a_crashed_parent(tmp_path: Path) -> None:
    script = ("import sys, time; from pathlib import Path; from models.embedded import EmbeddedMongo\n"
              "m = EmbeddedMongo(Path(sys.argv[1])); m.start(); print(m.pid, flush=True); time.sleep(120)\n")
    with subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}) as parent:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        assert _alive(child_pid)
        parent.kill()  # SIGKILL: no cleanup code runs in the parent
        parent.wait(10)
    assert _wait_until_gone(child_pid), "embedded server outlived its parent"
    with EmbeddedMongo(tmp_path) as server:  # and the data dir is usable again
        assert server.pid is not None


def test_in_memory_server_leaves_nothing_behind() -> None:
    with EmbeddedMongo(None) as server:
        scratch = server._scratch
        assert scratch is not None and scratch.exists()
    assert not scratch.exists()
