"""A fake Discord OAuth2 provider that follows Discord's documented rules: /oauth2/authorize issues a code bound
to the client, redirect URI and PKCE challenge; /api/oauth2/token needs the client's credentials (HTTP Basic),
the same redirect URI and the verifier whose S256 digest is the challenge, and honours a code once;
/api/users/@me answers the token's user."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field

from aiohttp import encode_basic_auth, web


@dataclass
class Grant:
    user: dict[str, str]
    redirect_uri: str
    challenge: str
    used: bool = False


@dataclass
class FakeDiscordOAuth:
    client_id: str = "1234567890"
    client_secret: str = "oauth-client-secret-xyz"
    user: dict[str, str] = field(default_factory=lambda: {"id": "424242", "username": "alice", "global_name": "Alice"})
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    token_calls: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/oauth2/authorize", self.authorize)
        app.router.add_post("/api/oauth2/token", self.token)
        app.router.add_get("/api/users/@me", self.me)
        return app

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("client_id") != self.client_id or q.get("response_type") != "code" or q.get("scope") != "identify":
            return web.json_response({"error": "invalid_request"}, status=400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return web.json_response({"error": "invalid_request", "error_description": "PKCE required"}, status=400)
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(dict(self.user), q["redirect_uri"], q["code_challenge"])
        raise web.HTTPFound(f"{q['redirect_uri']}?code={code}&state={q.get('state', '')}")

    async def token(self, request: web.Request) -> web.Response:
        self.token_calls += 1
        if request.headers.get("Authorization") != encode_basic_auth(self.client_id, self.client_secret):
            return web.json_response({"error": "invalid_client"}, status=401)
        form = await request.post()
        grant = self.grants.get(str(form.get("code", "")))
        if form.get("grant_type") != "authorization_code" or grant is None or grant.used:
            return web.json_response({"error": "invalid_grant"}, status=400)
        grant.used = True  # a code is good once, whatever happens next
        if form.get("redirect_uri") != grant.redirect_uri:
            return web.json_response({"error": "invalid_grant", "error_description": "redirect_uri"}, status=400)
        verifier = str(form.get("code_verifier", ""))
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or digest != grant.challenge:
            return web.json_response({"error": "invalid_grant", "error_description": "code_verifier"}, status=400)
        access = secrets.token_urlsafe(16)
        self.tokens[access] = grant.user
        return web.json_response({"access_token": access, "token_type": "Bearer", "expires_in": 604800,
                                  "scope": "identify"})

    async def me(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        user = self.tokens.get(token)
        if user is None:
            return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        return web.json_response(user)
