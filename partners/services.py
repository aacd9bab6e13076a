"""Partner and API key services. A key is ``oms_<prefix>_<secret>``; only SHA-256 of the whole key is kept."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.utils import timezone

from oms_project.errors import InvalidInput
from partners.models import ApiKey, Partner

KEY_PREFIX = "oms"
VALID_SCOPES = frozenset(ApiKey.Scope.values)
M = TypeVar("M", bound=models.Model)


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str  # shown once, never stored


def validate_scopes(scopes: Iterable[str]) -> list[str]:
    cleaned = sorted({scope.strip() for scope in scopes if scope.strip()})
    unknown = [scope for scope in cleaned if scope not in VALID_SCOPES]
    if not cleaned or unknown:
        raise InvalidInput(
            f"Scopes must be one or more of {', '.join(sorted(VALID_SCOPES))}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
            field="scopes",
        )
    return cleaned


@transaction.atomic
def api_key_create(
    *, partner_name: str, scopes: Iterable[str], expires_in_days: int | None = None, name: str = ""
) -> IssuedKey:
    """Create the partner if needed and issue a new key for it."""
    partner_name = partner_name.strip()
    if not partner_name:
        raise InvalidInput("A partner name is required.", field="partner")
    if expires_in_days is not None and expires_in_days < 1:
        raise InvalidInput("expires-in-days must be at least 1.", field="expires_in_days")
    clean_scopes = validate_scopes(scopes)
    partner, _ = Partner.objects.get_or_create(name=partner_name)
    prefix = secrets.token_hex(6)
    raw_key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        partner=partner,
        name=name,
        prefix=prefix,
        key_hash=hash_key(raw_key),
        scopes=clean_scopes,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return IssuedKey(api_key=api_key, raw_key=raw_key)


KEY_RE = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{16,128}})$")


@transaction.atomic
def api_key_create_with_secret(
    *, partner_name: str, scopes: Iterable[str], raw_key: str, name: str = ""
) -> tuple[ApiKey, bool]:
    """Register a key whose secret the caller chose (the demo data set only: its key must be printable on every run).

    Idempotent: the same ``raw_key`` again returns the existing key and ``False``. Real keys come from
    ``api_key_create``, which draws the secret itself.
    """
    match = KEY_RE.match(raw_key)
    if match is None:
        raise InvalidInput(
            f"A key must look like {KEY_PREFIX}_<12 hex digits>_<16-128 letters, digits, '-' or '_'>.", field="key"
        )
    existing = ApiKey.objects.select_related("partner").filter(prefix=match.group(1)).first()
    if existing is not None:
        if not hmac.compare_digest(existing.key_hash, hash_key(raw_key)) or existing.partner.name != partner_name:
            raise InvalidInput("Another key already uses this prefix.", field="key")
        return existing, False
    clean_scopes = validate_scopes(scopes)
    partner, _ = Partner.objects.get_or_create(name=partner_name.strip())
    api_key = ApiKey.objects.create(
        partner=partner, name=name, prefix=match.group(1), key_hash=hash_key(raw_key), scopes=clean_scopes
    )
    return api_key, True


def api_key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])


def _select_columns(alias: str, model: type[models.Model]) -> str:
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def _converters(model: type[models.Model]) -> list[tuple[Any, list[Any]]]:
    """Each column's value converters, as the ORM applies them: the backend's (SQLite hands datetimes back naive
    and decimals as floats) and the field's own (``from_db_value``). Built once per model and database vendor."""
    key = (model, connection.vendor)
    if key not in _CONVERTERS:
        columns = [field.get_col(model._meta.db_table) for field in model._meta.concrete_fields]
        _CONVERTERS[key] = [
            (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection))
            for column in columns
        ]
    return _CONVERTERS[key]


_CONVERTERS: dict[tuple[type[models.Model], str], list[tuple[Any, list[Any]]]] = {}


def _instance(model: type[M], values: Sequence[Any]) -> M:
    converted = []
    for (column, converters), value in zip(_converters(model), values, strict=True):
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in model._meta.concrete_fields], converted)


# Every API request runs this one statement. Written once instead of built by the ORM per request, it costs about
# 0.1 ms of CPU instead of 0.6 (compiling select_related + first() each time). Nothing is cached: revocation,
# expiry and a partner's deactivation are read from the row on every request, whoever changed it and how.
# Names come from the models' metadata only; the prefix is a bound parameter.
_KEY_SQL = (
    f"SELECT {_select_columns('k', ApiKey)}, {_select_columns('p', Partner)}"  # noqa: S608  # nosec B608
    f' FROM "{ApiKey._meta.db_table}" k INNER JOIN "{Partner._meta.db_table}" p ON p."id" = k."partner_id"'
    ' WHERE k."prefix" = %s'
)
_KEY_COLUMNS = len(ApiKey._meta.concrete_fields)


def _api_key_by_prefix(prefix: str) -> ApiKey | None:
    """``ApiKey.objects.select_related("partner").filter(prefix=prefix).first()`` (prefix is unique)."""
    with connection.cursor() as cursor:
        cursor.execute(_KEY_SQL, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    api_key = _instance(ApiKey, row[:_KEY_COLUMNS])
    api_key.partner = _instance(Partner, row[_KEY_COLUMNS:])
    return api_key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The usable key for this secret, or None (unknown, wrong secret, revoked, expired, partner inactive)."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    api_key = _api_key_by_prefix(parts[1])
    if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_key(raw_key)):
        return None
    if not api_key.is_usable:
        return None
    now = timezone.now()
    # Writing on every request would serialize requests on one row; a minute's precision is enough.
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key
