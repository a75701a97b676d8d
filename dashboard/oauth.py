"""Discord OAuth2 authorization-code flow with PKCE (S256) and the `identify` scope: the authorize address with a
single-use state, then the code exchanged (with the verifier) for a token that reads who logged in."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp

from core.api.views import Caller
from dashboard.config import OAuthConfig

STATE_TTL_MS = 10 * 60_000


class OAuthRefused(Exception):
    """Discord did not confirm the login; the message says what to do."""


@dataclass(frozen=True)
class Attempt:
    """What the pre-login session keeps between the redirect to Discord and the callback."""

    state: str
    verifier: str
    expires_ms: int

    @classmethod
    def start(cls, now_ms: int) -> Attempt:
        return cls(state=secrets.token_urlsafe(24), verifier=secrets.token_urlsafe(64),
                   expires_ms=now_ms + STATE_TTL_MS)

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(config: OAuthConfig, attempt: Attempt) -> str:
    query = {"response_type": "code", "client_id": config.client_id, "scope": "identify",
             "redirect_uri": config.redirect_uri, "state": attempt.state, "code_challenge": attempt.challenge,
             "code_challenge_method": "S256", "prompt": "none"}
    return f"{config.authorize_url}?{urlencode(query)}"


async def identify(config: OAuthConfig, code: str, verifier: str) -> Caller:
    """Exchange the code for a token and read the Discord user it belongs to."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": config.redirect_uri,
            "code_verifier": verifier}
    auth = {"Authorization": aiohttp.encode_basic_auth(config.client_id, config.client_secret)}
    timeout = aiohttp.ClientTimeout(total=15)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.post(config.token_url, data=form, headers=auth) as answer:
                token = await answer.json(content_type=None)
                if answer.status != 200 or "access_token" not in token:
                    raise OAuthRefused(f"Discord refused the login ({token.get('error', answer.status)}): start again")
            async with http.get(config.me_url,
                                headers={"Authorization": f"Bearer {token['access_token']}"}) as answer:
                me = await answer.json(content_type=None)
                if answer.status != 200 or "id" not in me:
                    raise OAuthRefused("Discord did not say who logged in: start again")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise OAuthRefused(f"Discord could not be reached ({type(exc).__name__}): try again in a moment") from None
    return Caller(discord_id=int(me["id"]), name=str(me.get("global_name") or me.get("username") or me["id"]))
