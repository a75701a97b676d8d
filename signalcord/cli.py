"""The `signalcord` command. Configuration problems end with one clear line and exit code 2."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

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


def _cmd_parse(args: argparse.Namespace) -> int:
    from core.domain import Noise, ParseResult
    from core.parsing import ParseContext, parse
    from core.parsing.output import to_record

    context = ParseContext(default_quote=args.quote, default_leverage=args.leverage,
                           prices_in_satoshis=args.satoshis)
    if not args.batch:
        text = sys.stdin.read()
        record = to_record(None, parse(text, context))
        record.pop("id")
        print(json.dumps(record, ensure_ascii=False))
        if args.explain:
            from core.parsing.explain import explain

            print("\n".join(f"# {line}" for line in explain(text, context)))
        return 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            item = {"error": f"line {number} is not JSON ({exc})"}
        if not isinstance(item, dict):
            item = {"error": f"line {number} is not a JSON object"}
        text = item.get("text")
        result: ParseResult
        if not isinstance(text, str):
            result = Noise(item.get("error") or f"line {number} has no string 'text'")
        else:
            result = parse(text, context)
        print(json.dumps(to_record(item.get("id"), result), ensure_ascii=False))
    return 0


def _numbers(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def _cmd_calc(args: argparse.Namespace) -> int:
    from core.risk.calculator import CalcError, calculate
    from core.risk.profiles import ProfileError, preset, with_changes

    changes: dict[str, object] = {}
    if args.risk_pct is not None:
        changes.update(sizing_mode="risk", risk_pct=args.risk_pct)
    if args.max_risk_pct is not None:
        changes["max_risk_pct"] = args.max_risk_pct
    if args.max_position is not None:
        changes["max_position_size"] = args.max_position
    if args.max_leverage is not None:
        changes["max_leverage"] = args.max_leverage
    try:
        profile = with_changes(preset(args.preset), changes)
        result = calculate(balance=args.balance, entry=args.entry, stop=args.stop, profile=profile,
                           targets=args.targets, leverage=args.leverage)
    except (ProfileError, CalcError) as exc:
        return _fail(str(exc), EXIT_CONFIG)
    if args.json:
        print(json.dumps(result.as_dict()))
        return 0
    print(f"{result.side.upper()} {result.quantity:g} units: notional {result.notional:,.2f}, margin "
          f"{result.margin:,.2f}, risk {result.risk_amount:,.2f} ({result.risk_pct:.2f}% of balance)")
    print(f"size set by {result.binding_rule}: {result.reason}")
    for number, (rr, amount) in enumerate(zip(result.rr, result.tp_amounts, strict=False), start=1):
        print(f"TP{number}: reward:risk {rr:.2f}, close {amount:g}")
    print(f"your limits allow {result.positions_allowed} position(s) like this")
    return 0


def _cmd_provider_teach(args: argparse.Namespace) -> int:
    from core.parsing.templates import TemplateError
    from core.services.intake.provider_formats import ProviderNotFound
    from signalcord import admin

    try:
        settings = load_settings()
        text, reading = admin.read_correction(args.message, args.reading)
        template = asyncio.run(admin.teach(settings, args.provider, text, reading))
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_CONFIG)
    except (OSError, ValueError, TemplateError, ProviderNotFound, EmbeddedServerError) as exc:
        return _fail(f"not taught: {exc}", 1)
    slots = ", ".join(f"{slot['field']} after '{' '.join(slot['anchor'])}'" for slot in template["anchors"])
    print(f"taught provider {args.provider}: {slots}")
    return 0


def _cmd_provider_webhook(args: argparse.Namespace) -> int:
    from signalcord import admin

    try:
        settings = load_settings()
        provider_id, token = asyncio.run(admin.create_webhook(settings, args.name))
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_CONFIG)
    except EmbeddedServerError as exc:
        return _fail(f"not created: {exc}", 1)
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    print(f"webhook provider {args.name} ({provider_id}); post alerts to:\n{base}/webhook/{token}\n"
          "Keep this address secret: anyone who has it can post calls for this provider. It is shown only now.")
    return 0


def _discord_token() -> str | None:
    settings = load_settings()
    return settings.discord_token.get_secret_value() if settings.discord_token else None


def _cmd_invite_url(args: argparse.Namespace) -> int:
    from bot.setup import application_id, invite_text

    try:
        client_id = args.client_id or application_id(_discord_token() or "")
    except (ConfigError, ValueError) as exc:
        return _fail(f"{exc} (or pass --client-id, the Application ID from the Developer Portal)", EXIT_CONFIG)
    print(invite_text(client_id))
    return 0


def _cmd_sync_commands(args: argparse.Namespace) -> int:
    import discord

    from bot.client import startup_problem
    from bot.setup import sync_commands

    try:
        token = _discord_token()
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_CONFIG)
    if not token:
        return _fail("DISCORD_TOKEN is not set (put it in .env)", EXIT_CONFIG)
    try:
        count = asyncio.run(sync_commands(token, args.guild))
    except (discord.DiscordException, OSError) as exc:
        return _fail(startup_problem(exc) or f"Discord could not be reached: {exc}", 1)
    where = f"guild {args.guild} (available now)" if args.guild else "every server (Discord takes up to an hour)"
    print(f"registered {count} commands for {where}")
    return 0


def _cmd_commands(args: argparse.Namespace) -> int:
    from bot.setup import command_tree

    tree = asyncio.run(command_tree())
    if args.json:
        print(json.dumps(tree, indent=2, sort_keys=True))
    else:
        for command in tree:
            print(f"/{command['name']} — {command.get('description', '')}")
    return 0


def _cmd_rotate_keys(args: argparse.Namespace) -> int:
    from signalcord.admin import rotate_keys

    try:
        settings = load_settings()
        lines = asyncio.run(rotate_keys(settings, retire=args.retire))
    except (ConfigError, KeyMaterialError) as exc:
        return _fail(f"configuration error: {exc}", EXIT_CONFIG)
    print("\n".join(lines))
    return 1 if any(line.startswith(("not ", "SIGNALCORD_SECRET_KEY is set")) for line in lines) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signalcord", description="Copy-trading bot for Discord.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start dashboard, engine and scheduler (and the bot when DISCORD_TOKEN is set)")
    run.set_defaults(handler=_cmd_run)
    parse = sub.add_parser("parse", help="parse one message from stdin (or JSON lines with --batch) to JSON")
    parse.add_argument("--batch", action="store_true", help='read JSON lines {"id", "text"}; write one result per line')
    parse.add_argument("--quote", default="USDT", help="quote asset when a message names only the coin")
    parse.add_argument("--leverage", type=float, default=None, help="leverage when a message gives none")
    parse.add_argument("--satoshis", action="store_true", help="prices are in satoshis (quote BTC)")
    parse.add_argument("--explain", action="store_true", help="also print which words became which field, and why")
    parse.set_defaults(handler=_cmd_parse)
    provider = sub.add_parser("provider", help="provider admin: teach a provider's format from one message")
    provider_sub = provider.add_subparsers(dest="provider_command", required=True)
    teach = provider_sub.add_parser("teach", help="store a corrected reading of one message as the provider's format")
    teach.add_argument("--provider", required=True, help="the provider's id")
    teach.add_argument("--message", required=True, type=Path, help="a file holding the message text")
    teach.add_argument("--as", dest="reading", required=True,
                       help='the correct reading as JSON ({"side", "entries", "take_profits", "stop_loss", '
                            '"leverage", "symbol"}), or @file.json')
    teach.set_defaults(handler=_cmd_provider_teach)
    hook = provider_sub.add_parser("webhook", help="create a provider fed by alerts posted to a secret address")
    hook.add_argument("--name", required=True, help="the provider's name, e.g. 'My TradingView strategy'")
    hook.set_defaults(handler=_cmd_provider_webhook)
    calc = sub.add_parser("calc", help="position size for a balance, entry and stop under a risk profile")
    calc.add_argument("--balance", type=float, required=True, help="account equity in the quote currency")
    calc.add_argument("--entry", type=float, required=True)
    calc.add_argument("--stop", type=float, required=True, help="below the entry: long; above: short")
    calc.add_argument("--targets", type=_numbers, default=(), help="take-profit prices, e.g. 110,120")
    calc.add_argument("--leverage", type=float, default=1.0)
    calc.add_argument("--risk-pct", type=float, help="risk this %% of the balance to the stop (risk sizing)")
    calc.add_argument("--max-risk-pct", type=float, help="cap on the loss at the stop, %% of the balance")
    calc.add_argument("--max-position", type=float, help="cap on the notional, quote currency")
    calc.add_argument("--max-leverage", type=float, help="leverage above this is clamped")
    calc.add_argument("--preset", default="balanced", help="conservative | balanced | aggressive")
    calc.add_argument("--json", action="store_true", help="print one JSON object")
    calc.set_defaults(handler=_cmd_calc)
    invite = sub.add_parser("invite-url", help="print the bot's invite URL with the permissions it needs, and why")
    invite.add_argument("--client-id", type=int, help="the Application ID (default: read from DISCORD_TOKEN)")
    invite.set_defaults(handler=_cmd_invite_url)
    sync = sub.add_parser("sync-commands", help="register the slash commands with Discord (once, after updates)")
    sync.add_argument("--guild", type=int, help="one server's id: its commands appear at once")
    sync.set_defaults(handler=_cmd_sync_commands)
    listing = sub.add_parser("commands", help="list the slash commands (--json: as Discord receives them)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_cmd_commands)
    rotate = sub.add_parser("rotate-keys", help="re-encrypt every stored exchange key under a new encryption key "
                                                "(run again to resume; --retire then drops the old key)")
    rotate.add_argument("--retire", action="store_true", help="drop encryption keys no stored secret uses any more")
    rotate.set_defaults(handler=_cmd_rotate_keys)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
