"""The `signalcord` command. Configuration problems end with one clear line and exit code 2."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from core.config.logs import setup_logging
from core.config.settings import ConfigError, load_settings
from core.crypto import KeyMaterialError
from models.embedded import EmbeddedServerError

EXIT_CONFIG = 2


def _fail(message: str, code: int) -> int:
    print(f"signalcord: {message}", file=sys.stderr)
    return code


def _cmd_run(_: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_CONFIG)
    setup_logging(settings.log_level)
    from signalcord.runner import StartupError, run

    try:
        asyncio.run(run(settings))
    except KeyMaterialError as exc:
        return _fail(f"configuration error: {exc}", EXIT_CONFIG)
    except (EmbeddedServerError, StartupError) as exc:
        return _fail(str(exc), 1)
    except KeyboardInterrupt:
        pass
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signalcord", description="Copy-trading bot for Discord.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start dashboard, engine and scheduler (and the bot when DISCORD_TOKEN is set)")
    run.set_defaults(handler=_cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
