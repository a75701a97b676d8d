"""`signalcord rotate-keys`: every stored credential moves to a new key (the key file gains it first), an
interrupted rotation is finished by running it again, `--retire` drops old keys only when nothing names them,
and the credentials still open to the same text afterwards."""

from __future__ import annotations

from core.api import Caller
from core.app import Services, load_secret_box
from core.crypto import Sealed, decode_keys, new_key_text, write_key_file
from models import ExchangeAccount
from models.bootstrap import open_database
from signalcord.admin import rotate_keys

ALICE = Caller(discord_id=11, name="alice")
KEY, SECRET, PHRASE = "KEY-1234567890abcdef", "SECRET-1234567890abcdef", "PHRASE-123456"


async def _rotate(services: Services, *, retire: bool = False) -> list[str]:
    """The CLI's rotation (it opens the database itself, as a separate process would), then this test's own
    binding of the documents again."""
    lines = await rotate_keys(services.settings, retire=retire)
    await open_database(services.client, services.settings.db_name)
    return lines


async def _opened(services: Services) -> list[tuple[str, ...]]:
    box = load_secret_box(services.settings)
    found = []
    for account in await ExchangeAccount.find(ExchangeAccount.label != "paper").to_list():
        fields = [(f, getattr(account, f)) for f in ("api_key", "api_secret", "api_passphrase")]
        found.append(tuple(box.open(Sealed(**s.model_dump()), owner=account.user_id, field=f)
                           for f, s in fields if s is not None))
    return sorted(found)


async def _key_ids() -> set[str]:
    return {a.api_key.key_id for a in await ExchangeAccount.find(ExchangeAccount.label != "paper").to_list()
            if a.api_key is not None}


async def test_rotate_resume_and_retire(services: Services) -> None:
    await services.api.accounts.add(ALICE, exchange="okx", label="okx", api_key=KEY, api_secret=SECRET,
                                    passphrase=PHRASE)
    await services.api.accounts.add(ALICE, exchange="binance", label="bn", api_key=KEY + "2", api_secret=SECRET)
    key_file = services.settings.key_file
    [old] = decode_keys(key_file.read_text(), "file")
    old_id = services.secrets.current_key_id
    assert await _key_ids() == {old_id}

    lines = await _rotate(services)
    new_id = load_secret_box(services.settings).current_key_id
    assert new_id != old_id and lines[0] == f"added key {new_id} to {key_file}"
    assert "re-sealed 2 account(s); 0 already on key" in lines[1]
    assert await _key_ids() == {new_id}
    assert await _opened(services) == sorted([(KEY, SECRET, PHRASE), (KEY + "2", SECRET)])
    assert len(decode_keys(key_file.read_text(), "file")) == 2, "the old key stays until it is retired"

    # an interrupted rotation: the key file already holds the next key, no record moved yet
    newest = decode_keys(new_key_text(), "k") + decode_keys(key_file.read_text(), "file")
    write_key_file(key_file, newest)
    await ExchangeAccount.find(ExchangeAccount.label == "bn").update({"$set": {"api_key.ciphertext": "broken"}})
    lines = await _rotate(services)
    assert lines[0] == "resuming: 2 account(s) still on older keys"
    assert "re-sealed 1 account(s)" in lines[1] and lines[2].startswith("not re-sealed: ")
    refused = await _rotate(services, retire=True)
    assert refused[0].startswith("not retired: 1 account(s) still use key")
    await ExchangeAccount.find(ExchangeAccount.label == "bn").delete()  # the user removes the broken account

    assert (await _rotate(services, retire=True))[0].startswith("retired 2 old key(s)")
    assert decode_keys(key_file.read_text(), "file") == newest[:1] and old not in newest[:1]
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert await _opened(services) == [(KEY, SECRET, PHRASE)]
