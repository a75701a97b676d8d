"""The risk page: every field grouped and explained (inline errors from the API's own validation), the live
position-size calculator, the portfolio heat view, presets and per-provider overrides."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from core.api import Invalid
from core.api.risk_fields import RiskField, risk_fields, setting_value
from dashboard.context import API, caller, page_context
from dashboard.forms import back_to, form_of, prices

routes = web.RouteTableDef()
EDITABLE = ("number", "integer", "boolean", "choice", "list")
CALC_FIELDS = ("balance", "entry", "stop", "targets", "leverage")


def _grouped() -> list[tuple[str, list[RiskField]]]:
    groups: dict[str, list[RiskField]] = {}
    for f in risk_fields():
        groups.setdefault(f.group, []).append(f)
    return list(groups.items())


def _errors_by_field(lines: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    names = {f.name for f in risk_fields()}
    for line in lines:
        name = line.split(":", 1)[0].split(".", 1)[0].strip()
        found.setdefault(name if name in names else "", []).append(line)
    return found


async def _risk_page(request: web.Request, *, errors: dict[str, list[str]] | None = None,
                     typed: dict[str, str] | None = None, status: int = 200) -> web.Response:
    who = await caller(request)
    api = request.app[API]
    calc_input = {k: request.query.get(k, "") for k in CALC_FIELDS}
    calc: Any = None
    calc_error = None
    if calc_input["entry"] and calc_input["stop"]:
        try:
            calc = await api.accounts.calculate(who, **parse_calc(calc_input))
        except (Invalid, ValueError) as exc:
            calc_error = str(exc)
    context = await page_context(
        request, profile=await api.risk.show(who), fields=risk_fields(), groups=_grouped(), editable=EDITABLE,
        errors=errors or {},
        typed=typed or {}, standing=await api.standing.now(who), presets=await api.risk.presets(who),
        subscriptions=await api.subscriptions.list(who), calc_input=calc_input, calc=calc, calc_error=calc_error)
    return aiohttp_jinja2.render_template("risk.html", request, context, status=status)


def parse_calc(values: dict[str, str]) -> dict[str, Any]:
    """The calculator's inputs as numbers (ValueError names the field that is not one)."""
    def number(name: str) -> float:
        try:
            return float(values[name])
        except ValueError:
            raise ValueError(f"{name}: {values[name]!r} is not a number") from None
    parsed: dict[str, Any] = {"entry": number("entry"), "stop": number("stop"),
                              "leverage": number("leverage") if values.get("leverage") else 1.0,
                              "balance": number("balance") if values.get("balance") else None}
    parsed["targets"] = tuple(prices("targets", values.get("targets", "")))
    return parsed


@routes.get("/dashboard/risk", name="risk")
async def risk(request: web.Request) -> web.StreamResponse:
    return await _risk_page(request)


@routes.post("/dashboard/risk", name="save_risk")
async def save_risk(request: web.Request) -> web.StreamResponse:
    who = await caller(request)
    form = await form_of(request)
    current = (await request.app[API].risk.show(who)).profile
    shown = {f.name: f for f in risk_fields()}
    changes = {name: setting_value(text) if text.strip() else ([] if shown[name].kind == "list" else None)
               for name, text in form.items()
               if name in shown and shown[name].kind in EDITABLE and text != shown[name].shown(current[name])}
    if not changes:
        return back_to(request, "risk", "Nothing changed")
    try:
        await request.app[API].risk.patch(who, changes)
    except Invalid as exc:
        return await _risk_page(request, errors=_errors_by_field(exc.lines), typed=form, status=422)
    return back_to(request, "risk", f"Saved: {', '.join(sorted(changes))}")


@routes.post("/dashboard/risk/presets", name="presets")
async def presets(request: web.Request) -> web.StreamResponse:
    who = await caller(request)
    form = await form_of(request)
    api = request.app[API]
    if form.get("action") == "save":
        saved = await api.risk.save_preset(who, form.get("name", ""))
        return back_to(request, "risk", f"Preset {saved} saved")
    await api.risk.apply_preset(who, form.get("name", ""), form.get("provider_id") or None)
    return back_to(request, "risk", f"Preset {form.get('name', '')} applied")


@routes.post("/dashboard/risk/overrides", name="overrides")
async def overrides(request: web.Request) -> web.StreamResponse:
    who = await caller(request)
    form = await form_of(request)
    field = form.get("field", "")
    await request.app[API].subscriptions.set_overrides(who, form.get("provider_id", ""),
                                                        {field: setting_value(form.get("value", ""))})
    return back_to(request, "risk", f"Override {field} saved")
