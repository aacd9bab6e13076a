"""Catalog admin. Stock quantities are read-only here: they change only through ``catalog.services``
(the "Adjust stock" form calls ``stock_adjust``), so every change lands in the ledger."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, F, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from easy_thumbnails.templatetags.thumbnail import thumbnail_url

from catalog.models import Product, ProductImage, StockLevel, StockMovement, Variant, Warehouse
from catalog.selectors import variant_available_expression
from catalog.services import ADJUST_KINDS, image_file_name, image_problem, stock_adjust
from oms_project.admin import RecordAdmin
from oms_project.errors import DomainError


def _thumbnail(image: ProductImage | None, alias: str, css_class: str) -> str:
    if image is None or not image.image:
        return "-"
    url = thumbnail_url(image.image, alias)
    return format_html('<img src="{}" alt="{}" class="{}">', url, image.alt_text, css_class) if url else "-"


class ProductImageForm(forms.ModelForm):
    """Checks an upload's bytes like ``product_image_add`` does (a readable JPEG, PNG, WebP or GIF within the size
    limit), so a file that is no picture is refused on the form, not stored."""

    class Meta:
        model = ProductImage
        fields = ["image", "alt_text", "position"]

    def clean_image(self) -> Any:
        upload = self.cleaned_data["image"]
        if "image" in self.changed_data and upload:
            upload.seek(0)
            content = upload.read()
            upload.seek(0)
            if problem := image_problem(content):
                raise forms.ValidationError(f"{problem[0].upper()}{problem[1:]}.")
            self.instance.checksum = hashlib.sha256(content).hexdigest()
            upload.name = image_file_name(content, stem="upload")  # the uploaded name is never trusted
            product_id = self.instance.product_id
            twins = ProductImage.objects.filter(product_id=product_id, checksum=self.instance.checksum)
            if product_id and twins.exclude(pk=self.instance.pk).exists():
                raise forms.ValidationError("This picture is already one of the product's images.")
        return upload


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    form = ProductImageForm
    fields = ["preview", "image", "alt_text", "position"]
    readonly_fields = ["preview"]
    extra = 1
    verbose_name_plural = "images (the first is the product's picture in the shop; alt text is read aloud to customers)"

    @admin.display(description="preview")
    def preview(self, obj: ProductImage) -> str:
        return _thumbnail(obj, "admin", "bo-preview")


class VariantInline(admin.TabularInline):
    model = Variant
    fields = ["sku", "name", "price", "currency", "is_active"]
    extra = 0
    show_change_link = True


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["picture", "name", "category", "is_active", "variant_count", "updated_at"]
    list_display_links = ["picture", "name"]
    list_filter = ["is_active", "category"]
    search_fields = ["name", "slug", "description", "variants__sku", "variants__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProductImageInline, VariantInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        first_images = Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"), to_attr="pictures")
        return super().get_queryset(request).annotate(variant_count=Count("variants")).prefetch_related(first_images)

    @admin.display(description="picture")
    def picture(self, obj: Product) -> str:
        pictures = getattr(obj, "pictures", None)
        return _thumbnail(pictures[0] if pictures else None, "admin", "bo-thumb")

    @admin.display(description="variants", ordering="variant_count")
    def variant_count(self, obj: Product) -> int:
        return obj.variant_count  # type: ignore[attr-defined]


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "product", "price", "currency", "is_active", "available"]
    list_filter = ["is_active", "currency", "product__category"]
    list_select_related = ["product"]
    search_fields = ["sku", "name", "product__name"]
    autocomplete_fields = ["product"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Variant]:
        return super().get_queryset(request).annotate(available=variant_available_expression())

    @admin.display(description="available", ordering="available")
    def available(self, obj: Variant) -> int:
        return obj.available  # type: ignore[attr-defined]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "priority", "is_active"]
    list_editable = ["priority", "is_active"]
    search_fields = ["code", "name"]


class LowStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("out", "Out of stock"), ("low", f"Low (available ≤ {settings.STOCK_LOW_THRESHOLD})")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[StockLevel]) -> QuerySet[StockLevel]:
        available = F("on_hand") - F("allocated")
        if self.value() == "out":
            return queryset.alias(avail=available).filter(avail__lte=0)
        if self.value() == "low":
            return queryset.alias(avail=available).filter(avail__lte=settings.STOCK_LOW_THRESHOLD)
        return queryset


class StockAdjustForm(forms.Form):
    sku = forms.CharField(max_length=64)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.all(), to_field_name="code")
    kind = forms.ChoiceField(
        choices=[(k.value, k.label) for k in ADJUST_KINDS],
        help_text="Receive adds, write-off removes, correction applies a signed number (e.g. -3).",
    )
    quantity = forms.IntegerField()
    reason = forms.CharField(max_length=255, help_text="Recorded in the stock ledger.")


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ["variant_sku", "variant_name", "warehouse", "on_hand", "allocated", "available", "adjust_link"]
    list_filter = [LowStockFilter, "warehouse"]
    list_select_related = ["variant", "variant__product", "warehouse"]
    search_fields = ["variant__sku", "variant__name", "variant__product__name"]
    readonly_fields = ["variant", "warehouse", "on_hand", "allocated", "available", "updated_at", "adjust_link"]
    actions = ["adjust_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a level appears with its first stock movement (import, receive)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        adjust = path("adjust/", self.admin_site.admin_view(self.adjust_view), name="catalog_stocklevel_adjust")
        return [adjust, *super().get_urls()]

    @admin.display(description="SKU", ordering="variant__sku")
    def variant_sku(self, obj: StockLevel) -> str:
        return obj.variant.sku

    @admin.display(description="variant", ordering="variant__product__name")
    def variant_name(self, obj: StockLevel) -> str:
        return f"{obj.variant.product.name} - {obj.variant.name}"

    @admin.display(description="available")
    def available(self, obj: StockLevel) -> int:
        return obj.available

    @admin.display(description="adjust")
    def adjust_link(self, obj: StockLevel) -> str:
        url = reverse("admin:catalog_stocklevel_adjust")
        return format_html('<a href="{}?sku={}&amp;warehouse={}">Adjust…</a>', url, obj.variant.sku, obj.warehouse.code)

    @admin.action(description="Adjust stock of the selected level…")
    def adjust_selected(self, request: HttpRequest, queryset: QuerySet[StockLevel]) -> HttpResponse | None:
        levels = list(queryset.select_related("variant", "warehouse")[:2])
        if len(levels) != 1:
            self.message_user(request, "Select exactly one stock level to adjust.", messages.WARNING)
            return None
        url = reverse("admin:catalog_stocklevel_adjust")
        return HttpResponseRedirect(f"{url}?sku={levels[0].variant.sku}&warehouse={levels[0].warehouse.code}")

    def adjust_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        if request.method == "POST":
            form = StockAdjustForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    movement = stock_adjust(
                        sku=data["sku"].strip(),
                        warehouse_code=data["warehouse"].code,
                        kind=data["kind"],
                        quantity=data["quantity"],
                        reason=data["reason"],
                        actor=f"admin:{request.user.get_username()}",
                    )
                except DomainError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    self.message_user(
                        request,
                        f"{movement.get_kind_display()} of {movement.on_hand_delta:+} for {data['sku']} at "
                        f"{data['warehouse'].code} recorded.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:catalog_stocklevel_changelist"))
        else:
            form = StockAdjustForm(
                initial={"sku": request.GET.get("sku", ""), "warehouse": request.GET.get("warehouse")}
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Adjust stock",
            "form": form,
        }
        return TemplateResponse(request, "admin/catalog/stocklevel/adjust_stock.html", context)


@admin.register(StockMovement)
class StockMovementAdmin(RecordAdmin):
    """The ledger: append-only, so nothing here can add, change or delete a row."""

    list_display = [
        "created_at",
        "variant_sku",
        "warehouse",
        "kind",
        "on_hand_delta",
        "allocated_delta",
        "reference",
        "actor",
        "reason",
    ]
    list_filter = ["kind", "warehouse"]
    list_select_related = ["variant", "warehouse"]
    search_fields = ["variant__sku", "reference"]

    @admin.display(description="SKU", ordering="variant__sku")
    def variant_sku(self, obj: StockMovement) -> str:
        return obj.variant.sku
