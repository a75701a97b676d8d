"""What the dashboard needs to know about where it runs: its public address, Discord OAuth (optional), whether
the local login exists (only when bound to this machine and OAuth is not configured) and the demo label."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address

from core.config.settings import Settings

LOCAL_HOSTS = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class OAuthConfig:
    client_id: str
    client_secret: str
    base_url: str  # https://discord.com (a local fake in tests)
    redirect_uri: str  # exactly as registered in the Developer Portal

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/oauth2/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/api/oauth2/token"

    @property
    def me_url(self) -> str:
        return f"{self.base_url}/api/users/@me"


@dataclass(frozen=True)
class WebConfig:
    public_url: str  # scheme://host[:port] as browsers reach the dashboard
    oauth: OAuthConfig | None = None
    local_login: bool = False
    demo: bool = False
    health_timeout: float = 3.0
    admins: frozenset[int] = frozenset()  # Discord ids who are admins here (the local user always is)

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @classmethod
    def from_settings(cls, settings: Settings, *, demo: bool = False) -> WebConfig:
        public = settings.public_url or f"http://{settings.host}:{settings.port}"
        oauth = None
        if settings.discord_client_id and settings.discord_client_secret:
            oauth = OAuthConfig(client_id=settings.discord_client_id,
                                client_secret=settings.discord_client_secret.get_secret_value(),
                                base_url=settings.discord_oauth_url.rstrip("/"),
                                redirect_uri=f"{public}/auth/discord/callback")
        return cls(public_url=public, oauth=oauth, local_login=oauth is None and is_loopback(settings.host),
                   demo=demo, admins=frozenset(int(v) for v in settings.admins.split(",") if v))
