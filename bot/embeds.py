"""Embeds, one look everywhere: green for opened and profit, red for stops and losses, grey for skipped, blue
for settings and lists. Builders take the API's views and return `discord.Embed` (within Discord's limits)."""

from __future__ import annotations

from typing import Any

import discord

from core.api.risk_fields import RISK_GROUPS
from core.api.views import PositionView, PreferencesView, ProfileView, ProviderView, SubscriptionView, WhyView

GREEN, RED, GREY, BLUE = discord.Colour.green(), discord.Colour.red(), discord.Colour.light_grey(), \
    discord.Colour.blurple()
FIELD_LIMIT, FIELDS_MAX = 1024, 25


def _clip(text: str, limit: int = FIELD_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _value(value: Any) -> str:
    return "—" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def profile(view: ProfileView) -> discord.Embed:
    title = "Your risk profile" + (" — trading paused" if view.paused else "")
    embed = discord.Embed(title=title, colour=GREY if view.paused else BLUE,
                          description=view.paused_reason if view.paused else f"Timezone: {view.timezone}")
    rest = dict(view.profile)
    for group, names in RISK_GROUPS.items():
        lines = [f"`{n}`: {_value(rest.pop(n))}" for n in names if n in rest]
        if lines:
            embed.add_field(name=group, value=_clip("\n".join(lines)), inline=False)
    if rest:
        embed.add_field(name="Other", value=_clip("\n".join(f"`{n}`: {_value(v)}" for n, v in rest.items())),
                        inline=False)
    return embed


def positions(views: list[PositionView]) -> discord.Embed:
    if not views:
        return discord.Embed(title="No open positions", colour=GREY)
    embed = discord.Embed(title=f"Open positions ({len(views)})", colour=BLUE)
    for p in views[:FIELDS_MAX]:
        stop = f"stop {_value(p.stop_loss)}" + (f" — held {p.protection}" if p.protection else "")
        targets = ", ".join(f"{t:g}" for t in p.take_profits) or "none"
        embed.add_field(name=f"{p.symbol} {p.side.upper()} ({p.status}, {p.mode})",
                        value=_clip(f"{p.amount:g} @ {p.entry_price:g}, {p.leverage:g}x\n{stop}\ntargets {targets} "
                                    f"({p.targets_hit} hit)\nid `{p.id}`"), inline=False)
    return embed


def subscriptions(views: list[SubscriptionView]) -> discord.Embed:
    if not views:
        return discord.Embed(title="You follow no provider yet", description="Use /subscribe.", colour=GREY)
    embed = discord.Embed(title="Your providers", colour=BLUE)
    for s in views[:FIELDS_MAX]:
        extra = [f"priority {s.priority}"] + ([f"preset {s.preset}"] if s.preset else []) + \
            [f"{k}={_value(v)}" for k, v in s.overrides.items()]
        embed.add_field(name=s.provider + ("" if s.enabled else " (paused)"), value=_clip(", ".join(extra)),
                        inline=False)
    return embed


def providers(views: list[ProviderView]) -> discord.Embed:
    if not views:
        return discord.Embed(title="No provider channels yet", description="An admin adds one with /provider add.",
                             colour=GREY)
    embed = discord.Embed(title="Provider channels", colour=BLUE)
    for p in views[:FIELDS_MAX]:
        state = "enabled" if p.enabled else f"disabled: {p.disabled_reason or 'no reason given'}"
        embed.add_field(name=p.name, value=_clip(f"<#{p.channel_id}> — {state}\nquote {p.default_quote}, "
                                                 f"language {p.language}, {p.taught_formats} taught format(s)"),
                        inline=False)
    return embed


def preferences(view: PreferencesView) -> discord.Embed:
    summary = f"; daily summary at {view.summary_at}" if view.summary_at else "; no daily summary"
    embed = discord.Embed(title="Your notifications", colour=BLUE,
                          description="Direct messages are " + ("on" if view.dm_enabled else "off") + summary)
    embed.add_field(name="Topics", value=_clip("\n".join(
        f"{'✅' if t.on else '⛔'} `{t.topic}` — {t.label}" for t in view.topics)), inline=False)
    return embed


def why_embed(found: WhyView, lead: str = "") -> discord.Embed:
    """A decision: the outcome and deciding rule, the reason, every check with its verdict."""
    colour = GREEN if found.outcome == "trade" else GREY
    title = f"{lead + ' ' if lead else ''}{found.outcome.upper()} — {found.rule}"
    embed = discord.Embed(title=title[:256], description=_clip(found.reason, 4096), colour=colour)
    embed.set_footer(text=found.signal[:2048])
    marks = {"allow": "✅", "adjust": "⚠️"}
    lines = [f"{marks.get(str(c.get('verdict')), '⛔')} `{c.get('rule')}` {c.get('reason', '')}" for c in found.checks]
    if lines:
        embed.add_field(name="Every check", value=_clip("\n".join(lines)), inline=False)
    return embed


_GOOD = {"trade_opened", "entry_placed", "fill_entry", "fill_tp", "provider_tp_hit", "market_resumed"}
_BAD = {"fill_sl", "provider_sl_hit", "order_rejected", "position_unprotected", "trading_paused", "market_halted"}
_SKIPPED = {"trade_blocked", "signal_rejected"}


def notification(kind: str, text: str, pnl: float | None = None) -> discord.Embed:
    """A direct message: green for opened and profit, red for stops, losses and problems, grey for skipped calls,
    blue for the rest (a close is coloured by its P&L)."""
    if pnl is not None:
        colour = GREEN if pnl >= 0 else RED
    else:
        colour = GREEN if kind in _GOOD else RED if kind in _BAD else GREY if kind in _SKIPPED else BLUE
    return discord.Embed(description=_clip(text, 4096), colour=colour)
