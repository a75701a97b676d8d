"""Errors in layers. A command's domain refusal (not found, forbidden, invalid) becomes a friendly ephemeral
reply naming what was wrong; anything else is logged with its traceback under a short error id, and the user
gets an apology quoting that id. Cogs route their errors here (`cog_app_command_error`); the tree's `on_error`
catches the rest (a check that failed before any cog ran)."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from core.api import ApiError

logger = logging.getLogger(__name__)


def _cause(error: BaseException) -> BaseException:
    return error.original if isinstance(error, app_commands.CommandInvokeError) else error


def describe(error: BaseException) -> tuple[str, str | None]:
    """(what the user is told, the error id when it was logged as unexpected)."""
    cause = _cause(error)
    if isinstance(cause, ApiError):
        return str(cause), None
    if isinstance(cause, app_commands.CheckFailure):
        return str(cause) or "You may not use this command here.", None
    if isinstance(cause, app_commands.TransformerError | app_commands.CommandSignatureMismatch):
        return f"That value was not understood: {cause}", None
    error_id = secrets.token_hex(4)
    logger.error("command failed [error %s]", error_id, exc_info=cause)
    return f"Sorry, something went wrong on our side (error id `{error_id}`). It has been logged.", error_id


async def reply_error(interaction: discord.Interaction, error: BaseException) -> None:
    text, _ = describe(error)
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)
