"""`signalcord run`: dashboard + engine + scheduler (+ the Discord bot when a token is set), one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from aiohttp import web

from bot.client import SignalcordBot, startup_problem
from core.app import Services, build_services
from core.clock import Clock, system_clock
from core.config.settings import Settings
from dashboard.app import create_app
from dashboard.config import WebConfig
from models.bootstrap import open_database
from signalcord import demo

logger = logging.getLogger("signalcord")


def _why(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else str(exc)


class StartupError(Exception):
    """A role could not start; the message says which and why."""


async def _start_dashboard(services: Services, *, demo: bool = False) -> web.AppRunner:
    config = WebConfig.from_settings(services.settings, demo=demo)
    runner = web.AppRunner(create_app(services.api, config), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, services.settings.host, services.settings.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise StartupError(
            f"the dashboard cannot listen on {services.settings.host}:{services.settings.port}: {_why(exc)} "
            "(set SIGNALCORD_PORT / SIGNALCORD_HOST)"
        ) from None
    logger.info("dashboard on %s%s", config.public_url,
                " (local login: open it in a browser on this machine)" if config.local_login else "")
    return runner


async def _run_bot(bot: SignalcordBot, token: str) -> None:
    try:
        await bot.start(token)
    except Exception as exc:
        problem = startup_problem(exc)
        if problem is not None:  # one line a server owner can act on, not a traceback
            logger.error("the Discord bot cannot start: %s; the engine and dashboard keep running", problem)
        else:
            logger.exception("the Discord bot stopped; the engine and dashboard keep running")


async def run(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    showing = demo.active(settings)
    clock: Clock = demo.AcceleratedClock(demo.Transcript.load().start) if showing else system_clock
    if showing:
        settings = demo.demo_settings(settings)
    async with build_services(settings, clock=clock) as services:
        demo_task: asyncio.Task[None] | None = None
        if showing:
            await services.client.drop_database(settings.db_name)
            await open_database(services.client, settings.db_name)
            logger.info("demo: Discord is not configured, so a demo provider posts sample calls on sample prices "
                        "(60x speed, database %s, emptied now); SIGNALCORD_DEMO=0 turns it off", settings.db_name)
        runner = await _start_dashboard(services, demo=showing)
        bot: SignalcordBot | None = None
        bot_task: asyncio.Task[None] | None = None
        if settings.discord_token is None:
            logger.info("Discord is disabled: DISCORD_TOKEN is not set (engine and dashboard run without it)")
        else:
            bot = SignalcordBot(services.api, dashboard_url=WebConfig.from_settings(settings).public_url)
            services.api.status.watch_discord(lambda: f"connected as {bot.user}" if bot is not None and bot.is_ready()
                                              else "not connected (starting, reconnecting, or refused: see the log)")
            bot_task = asyncio.create_task(_run_bot(bot, settings.discord_token.get_secret_value()))
        await services.start_up()
        services.scheduler.start()
        if showing and isinstance(clock, demo.AcceleratedClock):
            demo_task = asyncio.create_task(demo.play(services, demo.Transcript.load(), clock))
        logger.info("Signalcord is running (paper trading by default); Ctrl+C stops it")
        await stop.wait()
        logger.info("stopping")
        if demo_task is not None:
            demo_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await demo_task
        if bot is not None:
            await bot.close()
        if bot_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await bot_task
        await runner.cleanup()
    logger.info("stopped")
