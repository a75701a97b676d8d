"""Secret storage: AES-256-GCM with a per-record nonce, a key id for rotation, and associated data
that binds each ciphertext to its owner and field (a ciphertext copied to another record fails)."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.config.logs import register_secret

KEY_BYTES = 32
NONCE_BYTES = 12


class KeyMaterialError(Exception):
    """The encryption key is missing, malformed or unsafe; the message says how to fix it."""


class DecryptionError(Exception):
    """A ciphertext does not decrypt with the key it names and the given associated data."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    nonce: str  # base64
    ciphertext: str  # base64, includes the GCM tag


def key_id_of(key: bytes) -> str:
    return hashlib.sha256(b"signalcord-key-id:" + key).hexdigest()[:12]


class SecretBox:
    """Encrypts with the newest key; decrypts with whichever known key the record names."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise KeyMaterialError("at least one encryption key is required")
        for key in keys:
            if len(key) != KEY_BYTES:
                raise KeyMaterialError(f"encryption keys must be {KEY_BYTES} bytes, got {len(key)}")
        self._keys = {key_id_of(k): AESGCM(k) for k in keys}
        self.key_ids = [key_id_of(k) for k in keys]  # newest first
        self.current_key_id = self.key_ids[0]

    def seal(self, plaintext: str, *, owner: str, field: str) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        aad = f"{owner}|{field}".encode()
        data = self._keys[self.current_key_id].encrypt(nonce, plaintext.encode(), aad)
        return Sealed(self.current_key_id, _b64(nonce), _b64(data))

    def open(self, sealed: Sealed, *, owner: str, field: str) -> str:
        aead = self._keys.get(sealed.key_id)
        if aead is None:
            raise DecryptionError(f"no key with id {sealed.key_id} is loaded")
        try:
            data = aead.decrypt(_unb64(sealed.nonce), _unb64(sealed.ciphertext), f"{owner}|{field}".encode())
        except InvalidTag:
            raise DecryptionError("ciphertext does not match its owner/field or was altered") from None
        plaintext = data.decode()
        register_secret(plaintext)  # from now on the log filter masks it wherever it appears
        return plaintext


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())


def decode_key(text: str, origin: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise KeyMaterialError(
            f"{origin}: not valid base64 (expected {KEY_BYTES} random bytes, base64-encoded)"
        ) from None
    if len(key) != KEY_BYTES:
        raise KeyMaterialError(f"{origin}: decodes to {len(key)} bytes, expected {KEY_BYTES}")
    return key


def decode_keys(text: str, origin: str) -> list[bytes]:
    """Several keys, newest first (one per line in a key file, comma-separated in the environment): records are
    sealed with the first and opened with whichever one they name (key rotation)."""
    parts = [p.strip() for p in text.replace(",", "\n").splitlines() if p.strip() and not p.startswith("#")]
    if not parts:
        raise KeyMaterialError(f"{origin}: holds no key")
    return [decode_key(p, origin if len(parts) == 1 else f"{origin} (key {n})") for n, p in enumerate(parts, 1)]


def new_key_text() -> str:
    return _b64(os.urandom(KEY_BYTES))


def write_key_file(path: Path, keys: list[bytes]) -> None:
    """Replace the key file (mode 0600) atomically: a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(path.name + ".new")
    draft.unlink(missing_ok=True)
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(_b64(k) + "\n" for k in keys))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(draft, path)


def load_or_create_key_file(path: Path) -> list[bytes]:
    """Read the key file (newest key first), creating it (mode 0600) with a fresh random key when absent."""
    if not path.exists():
        write_key_file(path, [os.urandom(KEY_BYTES)])
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyMaterialError(f"{path}: readable by other users (mode {mode:04o}); run: chmod 600 {path}")
    return decode_keys(path.read_text(), str(path))
