"""Encryption at rest with AES-256-GCM; keys never live in the database.

Keys come from the environment or a key file. Every ciphertext carries its key id, so
`receptionist keys rotate` can re-encrypt under a new key.

Keys: `RECEPTIONIST_KEY_FILE` (JSON: {"active": "k2", "keys": {"k1": "<base64 32 bytes>", ...}})
or `RECEPTIONIST_DATA_KEYS` ("k1:<base64>,k2:<base64>", the last one active).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from receptionist.core.errors import ReceptionistError

PREFIX = "enc:v1:"
SEAL = b"RCPTSEAL1"  # sealed bytes (recordings) start with this, never with RIFF
DEFAULT_KEY_FILE = Path.home() / ".config" / "receptionist" / "keys.json"


class KeyError_(ReceptionistError):
    """A key is missing or wrong: the data cannot be read (never garbage, never a crash)."""


@dataclass(frozen=True)
class Keyring:
    """The data keys by id, and which one encrypts new data."""

    keys: dict[str, bytes]
    active: str

    def encrypt(self, plain: str) -> str:
        """Encrypt text; the result names the key it was encrypted with."""
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.keys[self.active]).encrypt(nonce, plain.encode(),
                                                        self.active.encode())
        return f"{PREFIX}{self.active}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, value: str) -> str:
        """Decrypt text written by `encrypt`; plain text passes through unchanged."""
        if not isinstance(value, str) or not value.startswith(PREFIX):
            return value
        kid, blob = value[len(PREFIX):].split(":", 1)
        key = self.keys.get(kid)
        if key is None:
            raise KeyError_(f"data was encrypted with key '{kid}', which is not configured "
                            f"(configured: {', '.join(sorted(self.keys)) or 'none'})")
        raw = base64.b64decode(blob)
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], kid.encode()).decode()
        except InvalidTag as exc:
            raise KeyError_(f"key '{kid}' does not decrypt this data: wrong key material") \
                from exc

    def seal(self, data: bytes) -> bytes:
        """Encrypt bytes (audio): `RCPTSEAL1`, the key id's length and id, nonce, ciphertext."""
        kid = self.active.encode()
        nonce = secrets.token_bytes(12)
        return (SEAL + bytes([len(kid)]) + kid + nonce
                + AESGCM(self.keys[self.active]).encrypt(nonce, data, SEAL + kid))

    def unseal(self, blob: bytes) -> bytes:
        """Decrypt bytes written by `seal`; anything else is refused (never played as is)."""
        if not blob.startswith(SEAL):
            raise KeyError_("not sealed data: refusing to read it")
        size = blob[len(SEAL)]
        kid = blob[len(SEAL) + 1:len(SEAL) + 1 + size]
        rest = blob[len(SEAL) + 1 + size:]
        key = self.keys.get(kid.decode())
        if key is None:
            raise KeyError_(f"data was encrypted with key '{kid.decode()}', which is not "
                            f"configured (configured: {', '.join(sorted(self.keys)) or 'none'})")
        try:
            return AESGCM(key).decrypt(rest[:12], rest[12:], SEAL + kid)
        except InvalidTag as exc:
            raise KeyError_(f"key '{kid.decode()}' does not decrypt this data") from exc

    def encrypt_json(self, value: Any) -> dict[str, str]:
        """Encrypt a JSON-able value into a JSON object that says it is encrypted."""
        return {"enc": self.encrypt(json.dumps(value))}

    def decrypt_json(self, value: Any) -> Any:
        """Reverse `encrypt_json`; unencrypted JSON passes through."""
        if isinstance(value, dict) and set(value) == {"enc"}:
            return json.loads(self.decrypt(value["enc"]))
        return value


def open_text(crypt: Keyring | None, value: str | None) -> str | None:
    """Read a stored text column: decrypted when a key is configured, as stored otherwise."""
    return crypt.decrypt(value) if crypt is not None and value else value


def open_json(crypt: Keyring | None, value: Any) -> Any:
    """Read a stored JSON column the same way."""
    return crypt.decrypt_json(value) if crypt is not None and value is not None else value


def key_id(value: str | bytes) -> str | None:
    """The key id a stored ciphertext (text or sealed bytes) names."""
    if isinstance(value, bytes):
        return value[len(SEAL) + 1:len(SEAL) + 1 + value[len(SEAL)]].decode() \
            if value.startswith(SEAL) else None
    return value[len(PREFIX):].split(":", 1)[0] if isinstance(value, str) and \
        value.startswith(PREFIX) else None


def _decode(kid: str, text: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise KeyError_(f"key '{kid}' is not base64") from exc
    if len(key) != 32:
        raise KeyError_(f"key '{kid}' is {len(key)} bytes; AES-256 needs 32")
    return key


def load_keyring(environ: dict[str, str] | None = None) -> Keyring | None:
    """The configured keyring, or None when no key is configured."""
    env = os.environ if environ is None else environ
    key_file = env.get("RECEPTIONIST_KEY_FILE") or (
        str(DEFAULT_KEY_FILE) if environ is None and DEFAULT_KEY_FILE.exists() else "")
    if key_file and not env.get("RECEPTIONIST_DATA_KEYS"):
        path = Path(key_file)
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise KeyError_(f"cannot read key file {path}: {exc}") from exc
        keys = {kid: _decode(kid, text) for kid, text in raw.get("keys", {}).items()}
        active = raw.get("active")
    elif env.get("RECEPTIONIST_DATA_KEYS"):
        pairs = [p.split(":", 1) for p in env["RECEPTIONIST_DATA_KEYS"].split(",") if p]
        keys = {kid: _decode(kid, text) for kid, text in pairs}
        active = pairs[-1][0] if pairs else None
    else:
        return None
    if not keys or active not in keys:
        raise KeyError_(f"the active key '{active}' is not among the configured keys")
    return Keyring(keys, active)


def new_key() -> str:
    """A fresh random AES-256 key, base64."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def add_key_to_file(path: Path) -> str:
    """Add a new key to a key file (creating it) and make it active; return its id."""
    raw = json.loads(path.read_text()) if path.exists() else {"keys": {}}
    kid = f"k{len(raw['keys']) + 1}"
    raw["keys"][kid] = new_key()
    raw["active"] = kid
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(raw, indent=1))
    path.chmod(0o600)
    return kid
