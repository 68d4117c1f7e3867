from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.models import Order, OrderEvent, OrderItem, Photo, Product, Store, StoreMember, User, WorkingHours


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "display_name", "language", "time_zone", "is_staff", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "language")
    search_fields = ("email", "display_name", "phone")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "language", "time_zone", "phone")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    show_full_result_count = False


class StoreMemberInline(admin.TabularInline):
    model = StoreMember
    extra = 0
    raw_id_fields = ("user",)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "owner", "country", "time_zone", "created_at")
    list_filter = ("country",)
    search_fields = ("name", "slug", "owner__email")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (StoreMemberInline, WorkingHoursInline)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("title", "store", "price", "currency", "is_active")
    list_filter = ("is_active", "currency")
    search_fields = ("title", "store__name")
    list_select_related = ("store",)
    raw_id_fields = ("store",)
    show_full_result_count = False


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ("product",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    readonly_fields = ("actor", "old_status", "new_status", "note", "created_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "buyer", "store", "status", "total", "currency", "placed_at", "completed_at")
    list_filter = ("status", "completed_automatically", "has_open_dispute", "currency")
    search_fields = ("number", "buyer__email", "store__name", "tracking_number")
    list_select_related = ("buyer", "store")
    raw_id_fields = ("buyer", "store")
    date_hierarchy = "placed_at"
    show_full_result_count = False
    # Status and its clocks change only through the order services (transition table, events).
    readonly_fields = (
        "status",
        "placed_at",
        "paid_at",
        "shipped_at",
        "completed_at",
        "cancelled_at",
        "completed_automatically",
        "auto_confirm_due_at",
        "auto_confirm_reminder_due_at",
        "auto_confirm_reminded_at",
        "has_open_dispute",
        "total",
    )
    inlines = (OrderItemInline, OrderEventInline)


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ("uuid", "owner", "status", "source_format", "width", "height", "size", "created_at")
    list_filter = ("status", "source_format")
    search_fields = ("uuid", "owner__email", "original_name")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    readonly_fields = tuple(f.name for f in Photo._meta.fields)
    show_full_result_count = False
