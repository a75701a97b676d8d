"""Users, providers and subscriptions: the records the pipeline reads."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from core.domain import TradeMode
from models import ExchangeAccount, Provider, Subscription, User
from models.query import where
from models.refs import ref


class AccountService:
    def __init__(self, paper_start_balance: float, quote_currency: str = "USDT") -> None:
        self.paper_start_balance = paper_start_balance
        self.quote_currency = quote_currency

    async def ensure_user(self, discord_id: int, name: str) -> User:
        """The user with this Discord id, created with a paper account on first contact."""
        user = await User.find_one(User.discord_id == discord_id)
        if user is None:
            try:
                user = await User(discord_id=discord_id, name=name).insert()
            except DuplicateKeyError:
                found = await User.find_one(User.discord_id == discord_id)
                assert found is not None  # noqa: S101 - the unique index just said it exists
                return found
            await self.ensure_paper_account(ref(user))
        return user

    async def ensure_paper_account(self, user_id: str) -> ExchangeAccount:
        account = await ExchangeAccount.find_one(
            where(ExchangeAccount.user_id == user_id, ExchangeAccount.label == "paper"))
        if account is None:
            account = ExchangeAccount(
                user_id=user_id, label="paper", mode=TradeMode.PAPER, is_default=True,
                paper_balances={self.quote_currency: self.paper_start_balance},
            )
            try:
                await account.insert()
            except DuplicateKeyError:
                return await self.ensure_paper_account(user_id)
        return account

    async def default_account(self, user_id: str) -> ExchangeAccount | None:
        return await ExchangeAccount.find_one(
            where(ExchangeAccount.user_id == user_id, ExchangeAccount.is_default == True)  # noqa: E712
        )

    async def register_provider(self, name: str, channel_id: int, guild_id: int | None = None) -> Provider:
        provider = await Provider.find_one(Provider.channel_id == channel_id)
        if provider is None:
            provider = await Provider(name=name, channel_id=channel_id, guild_id=guild_id).insert()
        return provider

    async def subscribe(self, user: User, provider: Provider) -> Subscription:
        found = await Subscription.find_one(
            where(Subscription.user_id == ref(user), Subscription.provider_id == ref(provider))
        )
        if found is not None:
            if not found.enabled:
                await found.set({Subscription.enabled: True})
            return found
        return await Subscription(user_id=ref(user), provider_id=ref(provider)).insert()
