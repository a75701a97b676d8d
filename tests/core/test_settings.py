from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config.settings import ConfigError
from tests.conftest import REPO, make_settings


def test_defaults(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert settings.port == 8080 and settings.host == "127.0.0.1"
    assert settings.mongodb_uri is None and settings.discord_token is None
    assert settings.key_file == tmp_path / "secret.key" and settings.log_level == "INFO"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SIGNALCORD_PORT": "eighty"}, "SIGNALCORD_PORT: Input should be a valid integer"),
        ({"SIGNALCORD_PORT": "70000"}, "SIGNALCORD_PORT: Input should be less than or equal to 65535"),
        ({"SIGNALCORD_LOG_LEVEL": "LOUD"}, "SIGNALCORD_LOG_LEVEL: Value error, must be one of DEBUG"),
        ({"MONGODB_URI": "postgres://x"}, "MONGODB_URI: Value error, must start with mongodb://"),
        ({"SIGNALCORD_PRICE_FEEDS": "binance,nasdaq"},
         "SIGNALCORD_PRICE_FEEDS: Value error, ccxt does not know nasdaq"),
        ({"SIGNALCORD_PRICE_FEEDS": "replay,okx"}, "SIGNALCORD_PRICE_FEEDS: Value error, 'replay' (offline candles) "
                                                   "cannot be mixed"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path, **env)
    assert str(caught.value).startswith(expected)


def test_secrets_are_never_echoed_in_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path, MONGODB_URI="redis://user:hunter2@db")
    assert "hunter2" not in str(caught.value)


def test_blank_optional_values_mean_unset(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, DISCORD_TOKEN="  ", MONGODB_URI="")
    assert settings.discord_token is None and settings.mongodb_uri is None


def _run_cli(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNALCORD_", "MONGODB_", "DISCORD_"))}
    full.update(env, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "signalcord", "run"], env=full, cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)


def test_cli_stops_with_one_clear_line_and_exit_code_2(tmp_path: Path) -> None:
    done = _run_cli({"SIGNALCORD_PORT": "abc", "SIGNALCORD_DATA_DIR": str(tmp_path)}, tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "signalcord: configuration error: SIGNALCORD_PORT: Input should be a valid integer, "
        "unable to parse string as an integer (got 'abc')"
    ]


def test_cli_refuses_a_malformed_secret_key(tmp_path: Path) -> None:
    done = _run_cli({"SIGNALCORD_SECRET_KEY": "not-a-key!", "SIGNALCORD_DATA_DIR": str(tmp_path),
                     "SIGNALCORD_PORT": "1"}, tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("signalcord: configuration error: SIGNALCORD_SECRET_KEY: not valid base64 "
                                   "(expected 32 random bytes, base64-encoded)")
