"""The account page: profile and address book (the default address is what checkout pre-fills)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from carts.services import customer_for_user
from customers import services
from customers.forms import AddressForm, ProfileForm
from customers.models import Address, Customer
from oms_project.errors import DomainError


def _customer(request: HttpRequest) -> Customer:
    return customer_for_user(user=request.user)


def _own_address(customer: Customer, address_id: int) -> Address:
    address = customer.addresses.filter(pk=address_id).first()
    if address is None:
        raise Http404("No such address.")
    return address


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    user = customer.user
    initial = {"email": user.email, "first_name": user.first_name, "last_name": user.last_name, "phone": customer.phone}
    form = ProfileForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        profile = {name: form.cleaned_data[name] for name in ("email", "first_name", "last_name", "phone")}
        try:
            services.customer_profile_update(customer=customer, **profile)
        except DomainError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("account")
    addresses = list(customer.addresses.all())
    return render(request, "customers/account.html", {"form": form, "addresses": addresses})


@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request: HttpRequest, address_id: int | None = None) -> HttpResponse:
    customer = _customer(request)
    address = _own_address(customer, address_id) if address_id is not None else None
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        services.address_save(
            customer=customer,
            values=form.cleaned_data,
            make_default=form.cleaned_data["is_default"],
            address=address,
        )
        messages.success(request, "Address saved.")
        return redirect("account")
    return render(request, "customers/address_form.html", {"form": form, "address": address})


@login_required
@require_POST
def address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    customer = _customer(request)
    services.address_delete(customer=customer, address=_own_address(customer, address_id))
    messages.success(request, "Address removed.")
    return redirect("account")
