"""Customer account writes: sign-up by e-mail, profile changes, the address book."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from customers.models import Address, Customer
from customers.selectors import user_by_email
from oms_project.errors import InvalidInput

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "country")


class EmailTaken(InvalidInput):
    default_message = "An account with this e-mail already exists. Sign in or reset your password."


def _check_email_free(email: str, *, except_user_id: int | None = None) -> None:
    other = user_by_email(email)
    if other is not None and other.pk != except_user_id:
        raise EmailTaken(field="email")


def customer_sign_up(*, email: str, password: str, first_name: str = "", last_name: str = "") -> Customer:
    """A new user and customer, signing in with ``email`` (kept as typed; unique ignoring case). The username is
    the e-mail address too: it is never shown nor needed, and keeps Django's unique username satisfied."""
    email = email.strip()
    _check_email_free(email)
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=email[:150], email=email, password=password, first_name=first_name, last_name=last_name
            )
            return Customer.objects.create(user=user)
    except IntegrityError:  # the same address signed up at the same moment (unique index), or taken as a username
        raise EmailTaken(field="email") from None


def customer_profile_update(*, customer: Customer, email: str, first_name: str, last_name: str, phone: str) -> None:
    user = customer.user
    email = email.strip()
    _check_email_free(email, except_user_id=user.pk)
    changed_username = user.username == user.email and user.username != email[:150]
    try:
        with transaction.atomic():
            if changed_username:  # an account made by e-mail sign-up: its username follows the address
                user.username = email[:150]
            user.email, user.first_name, user.last_name = email, first_name, last_name
            user.save(update_fields=["username", "email", "first_name", "last_name"])
            customer.phone = phone
            customer.save(update_fields=["phone"])
    except IntegrityError:
        raise EmailTaken(field="email") from None


def address_save(
    *, customer: Customer, values: dict[str, Any], make_default: bool, address: Address | None = None
) -> Address:
    """Add or change an address of the book. The first address, or one marked default, becomes the default (the
    one checkout pre-fills); there is always exactly one default while the book is not empty."""
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()  # one writer per address book
        if address is None:
            address = Address(customer=customer)
        for name in ADDRESS_FIELDS:
            setattr(address, name, values.get(name) or "")
        make_default = make_default or not customer.addresses.exclude(pk=address.pk).filter(is_default=True).exists()
        if make_default:
            customer.addresses.exclude(pk=address.pk).update(is_default=False)
        address.is_default = make_default or address.is_default
        address.save()
        return address


def address_delete(*, customer: Customer, address: Address) -> None:
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        was_default = address.is_default
        address.delete()
        if was_default:
            successor = customer.addresses.order_by("id").first()
            if successor is not None:
                successor.is_default = True
                successor.save(update_fields=["is_default"])
