"""Partner admin. Keys are issued by ``partners.services`` (the raw key is shown once, in a message) and never
edited or deleted: revoke them instead, so the audit trail stays."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from partners.models import ApiKey, Partner
from partners.services import api_key_create, api_key_revoke

KEY_FIELDS = ["prefix", "name", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    fields = KEY_FIELDS
    readonly_fields = KEY_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "key_count", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [ApiKeyInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Partner]:
        return super().get_queryset(request).annotate(key_count=Count("api_keys"))

    @admin.display(description="API keys", ordering="key_count")
    def key_count(self, obj: Partner) -> int:
        return obj.key_count  # type: ignore[attr-defined]


class ApiKeyAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple)
    expires_in_days = forms.IntegerField(
        required=False, min_value=1, max_value=3650, help_text="Leave empty for a key that does not expire."
    )

    class Meta:
        model = ApiKey
        fields = ["partner", "name", "scopes"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "partner", "name", "scope_list", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "partner"]
    list_select_related = ["partner"]
    search_fields = ["prefix", "name", "partner__name"]
    readonly_fields = ["partner", *KEY_FIELDS]
    fields = ["partner", *KEY_FIELDS]
    add_fieldsets = [(None, {"fields": ["partner", "name", "scopes", "expires_in_days"]})]
    actions = ["revoke_keys"]

    def get_fieldsets(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        if obj is None:
            return []
        return [f for f in self.readonly_fields if f != "name"]  # the label is the one editable thing

    def get_form(self, request: HttpRequest, obj: ApiKey | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    def save_model(self, request: HttpRequest, obj: ApiKey, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = api_key_create(  # the form already checked what the service checks
            partner_name=obj.partner.name,
            scopes=form.cleaned_data["scopes"],
            expires_in_days=form.cleaned_data.get("expires_in_days"),
            name=obj.name,
        )
        # The admin goes on with ``obj`` (log entry, redirect): make it the key the service created.
        for model_field in ApiKey._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(issued.api_key, model_field.attname))
        obj._state.adding = False
        self.message_user(
            request,
            f"New API key for {obj.partner.name}: {issued.raw_key} — copy it now, it will not be shown again.",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected API keys")
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key)
            count += 1
        self.message_user(request, f"Revoked {count} API key(s).", messages.SUCCESS)
