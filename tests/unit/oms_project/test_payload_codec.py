"""Temporal payload encryption (issue #20 item 7): the codec, key rotation, the UI's codec endpoint."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from oms_project.management.commands.runoms import codec_endpoint
from oms_project.payload_codec import (
    ENCODING,
    EncryptionCodec,
    PayloadDecryptionError,
    PayloadKey,
    configured_codec,
    data_converter,
    new_key_entry,
)

OLD, NEW = new_key_entry("k1"), new_key_entry("k2")
CUSTOMER = {"email": "ada@example.com", "name": "Ada Lovelace", "line1": "1 Main St", "token": "pm_card_ok"}
UI = "http://127.0.0.1:8233"


def _payloads(value: object) -> list[Payload]:
    return list(DataConverter.default.payload_converter.to_payloads([value]))


def _codec(*entries: str) -> EncryptionCodec:
    return EncryptionCodec([PayloadKey.parse(entry) for entry in entries])


def test_round_trip_hides_the_data() -> None:
    codec = _codec(NEW)
    plain = _payloads(CUSTOMER)
    sealed = asyncio.run(codec.encode(plain))
    assert sealed[0].metadata["encoding"] == ENCODING and sealed[0].metadata["encryption-key-id"] == b"k2"
    for secret in (b"ada@example.com", b"Lovelace", b"Main St", b"pm_card_ok", b"json/plain"):
        assert secret not in sealed[0].SerializeToString()
    assert asyncio.run(codec.decode(sealed)) == plain
    assert asyncio.run(codec.encode(plain))[0].data != sealed[0].data  # a fresh nonce every time


def test_rotation_decrypts_with_any_key_and_encrypts_with_the_first() -> None:
    sealed_by_old = _codec(OLD).encode_now(_payloads(CUSTOMER))
    rotated = _codec(NEW, OLD)
    assert rotated.decode_now(sealed_by_old) == _payloads(CUSTOMER)
    assert rotated.encode_now(_payloads(1))[0].metadata["encryption-key-id"] == b"k2"
    with pytest.raises(PayloadDecryptionError, match="k1"):
        _codec(NEW).decode_now(sealed_by_old)  # the old key was removed too early


def test_plain_payloads_of_older_histories_pass_through() -> None:
    plain = _payloads(CUSTOMER)
    assert _codec(NEW).decode_now(plain) == plain


def test_altered_or_relabelled_ciphertext_is_refused() -> None:
    codec = _codec(NEW, OLD)
    (sealed,) = codec.encode_now(_payloads(CUSTOMER))
    flipped = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    relabelled = Payload(metadata={**sealed.metadata, "encryption-key-id": b"k1"}, data=sealed.data)
    for bad in (flipped, relabelled):
        with pytest.raises(PayloadDecryptionError):
            codec.decode_now([bad])


@pytest.mark.parametrize("entry", ["k1", "k1:", ":" + NEW.split(":")[1], "k1:not-base64!", "k1:" + "A" * 22])
def test_bad_key_entries_are_a_configuration_error(entry: str) -> None:
    with override_settings(TEMPORAL_PAYLOAD_KEYS=[entry]), pytest.raises(ImproperlyConfigured):
        configured_codec()


def test_without_keys_payloads_stay_plain() -> None:
    with override_settings(TEMPORAL_PAYLOAD_KEYS=[]):
        assert data_converter() is DataConverter.default
    with override_settings(TEMPORAL_PAYLOAD_KEYS=[NEW, OLD]):
        assert isinstance(data_converter().payload_codec, EncryptionCodec)


def _wire(payloads: list[Payload]) -> str:
    return json.dumps(
        {
            "payloads": [
                {
                    "metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                    "data": base64.b64encode(p.data).decode(),
                }
                for p in payloads
            ]
        }
    )


def _from_wire(body: bytes) -> list[Payload]:
    return [
        Payload(
            metadata={k: base64.b64decode(v) for k, v in p.get("metadata", {}).items()},
            data=base64.b64decode(p.get("data", "")),
        )
        for p in json.loads(body)["payloads"]
    ]


@pytest.mark.django_db
@override_settings(TEMPORAL_PAYLOAD_KEYS=[NEW, OLD], TEMPORAL_UI_URL=UI)
def test_the_codec_endpoint_decodes_for_staff_only() -> None:
    sealed = _codec(OLD).encode_now(_payloads(CUSTOMER))
    users = get_user_model().objects
    customer, staff = Client(), Client()
    customer.force_login(users.create_user("kim", "kim@example.com", "unused-here"))
    staff.force_login(users.create_user("ops", "ops@example.com", "unused-here", is_staff=True))

    def decode(client: Client, origin: str = UI) -> object:
        return client.post("/temporal-codec/decode", _wire(sealed), content_type="application/json", HTTP_ORIGIN=origin)

    assert decode(Client()).status_code == 401
    assert decode(customer).status_code == 403
    answer = decode(staff)
    assert answer.status_code == 200
    assert _from_wire(answer.content) == _payloads(CUSTOMER)
    assert answer["Access-Control-Allow-Origin"] == UI and answer["Access-Control-Allow-Credentials"] == "true"
    assert answer["Cache-Control"] == "no-store"  # decrypted personal data
    assert "Access-Control-Allow-Origin" not in decode(staff, "https://evil.example").headers
    encoded = staff.post(
        "/temporal-codec/encode", _wire(_payloads(CUSTOMER)), content_type="application/json", HTTP_ORIGIN=UI
    )
    assert _codec(NEW).decode_now(_from_wire(encoded.content)) == _payloads(CUSTOMER)
    preflight = Client().options("/temporal-codec/decode", HTTP_ORIGIN=UI, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert preflight.status_code == 204 and "x-namespace" in preflight["Access-Control-Allow-Headers"].lower()
    assert staff.post("/temporal-codec/decode", "{", content_type="application/json").status_code == 400


def test_the_launcher_points_the_ui_at_the_codec_endpoint_when_payloads_are_encrypted() -> None:
    with override_settings(TEMPORAL_PAYLOAD_KEYS=[NEW]):
        assert codec_endpoint({"host": "0.0.0.0", "port": 8000}) == "http://127.0.0.1:8000/temporal-codec"
        assert codec_endpoint({"host": "oms.local", "port": 80}) == "http://oms.local:80/temporal-codec"
    with override_settings(TEMPORAL_PAYLOAD_KEYS=[]):
        assert codec_endpoint({"host": "127.0.0.1", "port": 8000}) is None
