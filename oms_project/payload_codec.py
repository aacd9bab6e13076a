"""Encryption of Temporal payloads: what workflows and activities send through the Temporal server.

Workflow inputs and results, activity arguments, signals, updates, queries, memos and failure messages carry
customers' names, addresses, e-mails and payment tokens; the server stores them in its histories. With
``TEMPORAL_PAYLOAD_KEYS`` set, every payload leaves this process encrypted with AES-256-GCM and the server only
ever holds ciphertext (docs/security.md "Temporal payloads are encrypted", docs/adr/0092).

- Keys: ``TEMPORAL_PAYLOAD_KEYS`` is a comma-separated list of ``<key id>:<32 bytes, url-safe base64>``. The first
  encrypts; any of them decrypts, chosen by the key id each payload carries in its metadata. Rotation: put a new key
  first, keep the old ones until no open workflow or kept history needs them.
- A payload without the ``binary/encrypted`` encoding passes through unchanged: histories recorded before
  encryption was turned on (and the replay tests' recorded files) still decode.
- The key id is bound to the ciphertext as associated data, so a payload cannot be relabelled to another key.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class PayloadDecryptionError(Exception):
    """A payload that cannot be decrypted: its key is not configured, or the bytes were altered."""


@dataclass(frozen=True)
class PayloadKey:
    id: str
    cipher: AESGCM

    @classmethod
    def parse(cls, entry: str) -> PayloadKey:
        key_id, _, encoded = entry.strip().partition(":")
        try:
            secret = base64.urlsafe_b64decode(encoded.encode() + b"=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            secret = b""
        if not key_id or len(secret) != 32:
            raise ImproperlyConfigured(
                "Each TEMPORAL_PAYLOAD_KEYS entry is '<key id>:<32 bytes in url-safe base64>' "
                "(make one with: manage.py new_payload_key)."
            )
        return cls(key_id, AESGCM(secret))


def new_key_entry(key_id: str) -> str:
    """A fresh ``<key id>:<secret>`` entry for ``TEMPORAL_PAYLOAD_KEYS``."""
    return f"{key_id}:{base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode().rstrip('=')}"


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM of each payload's serialized bytes; the key id and the encoding stay readable metadata."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        if not keys:
            raise ImproperlyConfigured("An encryption codec needs at least one key.")
        self.current = keys[0]
        self.by_id = {key.id: key for key in keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return self.encode_now(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return self.decode_now(payloads)

    def encode_now(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(payload) for payload in payloads]

    def decode_now(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(payload) for payload in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.current.cipher.encrypt(nonce, payload.SerializeToString(), self.current.id.encode())
        return Payload(metadata={"encoding": ENCODING, KEY_ID: self.current.id.encode()}, data=nonce + sealed)

    def _decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # recorded before encryption was on
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        key = self.by_id.get(key_id)
        if key is None:
            raise PayloadDecryptionError(f"No TEMPORAL_PAYLOAD_KEYS entry has the key id {key_id!r}.")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            return Payload.FromString(key.cipher.decrypt(nonce, sealed, key_id.encode()))
        except InvalidTag:
            raise PayloadDecryptionError(f"A payload encrypted with key {key_id!r} was altered.") from None


def configured_codec() -> EncryptionCodec | None:
    """The codec of ``TEMPORAL_PAYLOAD_KEYS``, or None when the setting is empty (payloads stay plain)."""
    entries = [entry for entry in settings.TEMPORAL_PAYLOAD_KEYS if entry.strip()]
    if not entries:
        return None
    return EncryptionCodec([PayloadKey.parse(entry) for entry in entries])


def data_converter() -> DataConverter:
    """The converter every client, worker, test environment and replayer of the project uses.

    With keys, failure messages and stack traces move into an encoded attribute too (they can quote a customer's
    input); without, the SDK's default.
    """
    codec = configured_codec()
    if codec is None:
        return DataConverter.default
    return DataConverter(payload_codec=codec, failure_converter_class=DefaultFailureConverterWithEncodedAttributes)
