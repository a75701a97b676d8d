from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.crypto import DecryptionError, KeyMaterialError, Sealed, SecretBox, load_or_create_key_file


def test_round_trip_and_fresh_nonce_per_record() -> None:
    box = SecretBox([os.urandom(32)])
    first = box.seal("api-secret", owner="user1", field="api_secret")
    second = box.seal("api-secret", owner="user1", field="api_secret")
    assert first.nonce != second.nonce and first.ciphertext != second.ciphertext
    assert "api-secret" not in first.ciphertext
    assert box.open(first, owner="user1", field="api_secret") == "api-secret"


def test_ciphertext_is_bound_to_its_owner_and_field() -> None:
    box = SecretBox([os.urandom(32)])
    sealed = box.seal("s3cret", owner="user1", field="api_secret")
    with pytest.raises(DecryptionError):
        box.open(sealed, owner="user2", field="api_secret")
    with pytest.raises(DecryptionError):
        box.open(sealed, owner="user1", field="api_key")
    tampered = Sealed(sealed.key_id, sealed.nonce, sealed.ciphertext[:-4] + "AAAA")
    with pytest.raises(DecryptionError):
        box.open(tampered, owner="user1", field="api_secret")


def test_rotation_reads_old_records_and_writes_with_the_new_key() -> None:
    old, new = os.urandom(32), os.urandom(32)
    sealed = SecretBox([old]).seal("x", owner="u", field="f")
    rotated = SecretBox([new, old])
    assert rotated.open(sealed, owner="u", field="f") == "x"
    assert rotated.seal("x", owner="u", field="f").key_id == rotated.current_key_id != sealed.key_id
    with pytest.raises(DecryptionError, match="no key with id"):
        SecretBox([new]).open(sealed, owner="u", field="f")


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "secret.key"
    [key] = load_or_create_key_file(path)
    assert len(key) == 32 and (path.stat().st_mode & 0o777) == 0o600
    assert load_or_create_key_file(path) == [key]


def test_an_unsafe_or_broken_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    load_or_create_key_file(path)
    path.chmod(0o644)
    with pytest.raises(KeyMaterialError, match="readable by other users"):
        load_or_create_key_file(path)
    path.write_text("c2hvcnQ=\n")
    path.chmod(0o600)
    with pytest.raises(KeyMaterialError, match="decodes to 5 bytes, expected 32"):
        load_or_create_key_file(path)
