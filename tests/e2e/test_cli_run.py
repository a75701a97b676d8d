"""`signalcord run` as a real process: healthz, one app per data dir, clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from models.embedded import free_port
from tests.conftest import REPO
from tests.models.test_embedded import _wait_until_gone

SIGNALCORD = str(Path(sys.executable).with_name("signalcord"))


def _env(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNALCORD_", "MONGODB_", "DISCORD_"))}
    env.update(SIGNALCORD_DATA_DIR=str(data_dir), SIGNALCORD_PORT=str(port), PYTHONPATH=str(REPO))
    return env


def _get_health(port: int, deadline_s: float = 30.0) -> dict[str, str]:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                return dict(json.loads(response.read()))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_run_serves_health_refuses_a_second_app_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    with subprocess.Popen([SIGNALCORD, "run"], env=_env(tmp_path, port), cwd=tmp_path,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as app:
        assert _get_health(port) == {"status": "ok", "db": "ok"}
        assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
        nx_pid = int((tmp_path / "nx-27017.pid").read_text())

        second = subprocess.run([SIGNALCORD, "run"], env=_env(tmp_path, free_port()), cwd=tmp_path,
                                capture_output=True, text=True, timeout=60, check=False)
        assert second.returncode == 1
        assert second.stderr.strip().endswith(f"signalcord: data dir {tmp_path} is already in use by another "
                                              f"Signalcord (pid {app.pid}); stop it first or set "
                                              "SIGNALCORD_DATA_DIR to another folder")

        app.send_signal(signal.SIGTERM)
        assert app.wait(30) == 0
        assert app.stderr is not None
        log = app.stderr.read()
    assert "Discord is disabled: DISCORD_TOKEN is not set" in log and "stopped" in log
    assert _wait_until_gone(nx_pid)


def test_a_busy_dashboard_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([SIGNALCORD, "run"], env=_env(tmp_path, port), cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"signalcord: the dashboard cannot listen on 127.0.0.1:{port}: Address already in use "
        "(set SIGNALCORD_PORT / SIGNALCORD_HOST)")
