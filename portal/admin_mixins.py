"""The one way an admin page is made read-only (STYLE.md: staff act through services, not raw edits)."""

from typing import Any

from django.db.models import Model
from django.http import HttpRequest


def model_field_names(model: type[Model], *, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The names of `model`'s fields in declaration order, for `readonly_fields` of a page that shows them all."""
    return tuple(field.name for field in model._meta.fields if field.name not in exclude)


class ReadOnlyAdminMixin:
    """No Add and no Delete; no Save either unless `change_allowed`.

    Put it before `admin.ModelAdmin` or an inline class. It works for inlines too (their
    permission checks take the parent object, which is accepted and ignored here).

    `change_allowed = True` keeps the change permission as Django decides it: the page is still
    a change form, with every field in `readonly_fields`, because its own views (Resolve, Keep /
    Remove) are offered to those who may change the object. Otherwise the page is view-only.
    """

    change_allowed: bool = False
    # A permission that grants the change page instead of Django's model permission (a page
    # whose actions are rights of their own, like managing webhook endpoints).
    change_permission: str = ""
    # A permission that grants an Add page of the page's own, whose additions go through a
    # service (a new version of the rules); existing rows stay read-only.
    add_permission: str = ""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.add_permission:
            return request.user.has_perm(self.add_permission)
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.change_permission:
            return request.user.has_perm(self.change_permission)
        if not self.change_allowed:
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
