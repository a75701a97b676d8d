"""The embedded MongoDB-wire-protocol server (nx-27017 on SQLite) the app starts when MONGODB_URI is unset.

One server per data dir: an exclusive lock file keeps a second app off the same SQLite file. The server runs
as a child process that dies with its parent (PR_SET_PDEATHSIG on Linux), so a crashed app leaves no orphan.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


class EmbeddedServerError(Exception):
    """The embedded server could not start, or its data dir is in use; the message says why."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _server_command() -> str:
    local = Path(sys.executable).with_name("nx-27017")
    found = str(local) if local.exists() else shutil.which("nx-27017")
    if not found:
        raise EmbeddedServerError("the nx-27017 package is not installed (pip install nx-27017)")
    return found


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _answers(host: str, port: int) -> bool:
    """True once the server accepts TCP connections (the client ping follows in bootstrap)."""
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class EmbeddedMongo:
    """Start/stop nx-27017 with its SQLite file in `data_dir` (or in memory when `data_dir` is None)."""

    def __init__(self, data_dir: Path | None, *, host: str = "127.0.0.1", start_timeout: float = 15.0) -> None:
        self.data_dir = data_dir
        self.host = host
        self.start_timeout = start_timeout
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None
        self._scratch: Path | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def _lock(self, data_dir: Path) -> None:
        lock_path = data_dir / "signalcord.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise EmbeddedServerError(
                f"data dir {data_dir} is already in use by another Signalcord (pid {holder}); "
                "stop it first or set SIGNALCORD_DATA_DIR to another folder"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def start(self) -> str:
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._lock(self.data_dir)
            files_dir, db_arg = self.data_dir, str(self.data_dir / "signalcord.sqlite")
        else:
            import tempfile

            self._scratch = Path(tempfile.mkdtemp(prefix="signalcord-nx-"))
            files_dir, db_arg = self._scratch, "memory"
        self.port = free_port(self.host)
        args = [_server_command(), "--db", db_arg, "--host", self.host, "-p", str(self.port),
                "--log-file", str(files_dir / "nx-27017.log"), "--pid-file", str(files_dir / "nx-27017.pid")]
        self._proc = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + self.start_timeout
        while not _answers(self.host, self.port):
            if self._proc.poll() is not None:
                self.stop()
                raise EmbeddedServerError(
                    f"embedded MongoDB server exited with code {self._proc.returncode}; "
                    f"see {files_dir / 'nx-27017.log'}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise EmbeddedServerError(f"embedded MongoDB server did not answer within {self.start_timeout}s")
            time.sleep(0.05)
        logger.info("embedded MongoDB (nx-27017) listening on %s:%s, data in %s", self.host, self.port, db_arg)
        return self.uri

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> EmbeddedMongo:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
