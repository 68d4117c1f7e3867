from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal import rules, services
from portal.admin_mixins import ReadOnlyAdminMixin, model_field_names
from portal.countries import country_choices
from portal.dates import format_moment
from portal.form_errors import add_service_error
from portal.forms import ShipForm
from portal.models import (
    DeliveryTime,
    Order,
    OrderEvent,
    OrderItem,
    Photo,
    Product,
    ProductPhoto,
    RuleSet,
    Store,
    StoreHoliday,
    StoreMember,
    User,
    WeeklySummary,
    WorkingHours,
)
from portal.rules import RULES
from portal.weekly_summary import summary_params, summary_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "display_name", "language", "time_zone", "is_staff", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "language")
    search_fields = ("email", "display_name", "phone")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "language", "time_zone", "country", "phone")}),
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


class DeliveryTimeInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The store's delivery-time table, shown to staff; the owner edits it (`store_set_delivery_times`)."""

    model = DeliveryTime
    extra = 0
    readonly_fields = ("country", "method", "min_days", "max_days")


class StoreHolidayInline(admin.TabularInline):
    model = StoreHoliday
    extra = 0


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "owner", "country", "time_zone", "created_at")
    list_filter = ("country",)
    search_fields = ("name", "slug", "owner__email")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    prepopulated_fields = {"slug": ("name",)}
    # The clock is the weekly summary's own: set from the time zone by the services, moved by its sweep.
    readonly_fields = ("weekly_summary_due_at",)
    inlines = (StoreMemberInline, WorkingHoursInline, DeliveryTimeInline, StoreHolidayInline)


def _thumbnail(photo: Photo | None) -> str:
    if photo is None or photo.status != Photo.Status.READY:
        return "—"
    return format_html(
        '<a href="{}"><img src="{}" alt="" class="opinia-thumb" width="96" height="96"></a>',
        reverse("portal:photo", args=[photo.uuid]),
        reverse("portal:photo_thumbnail", args=[photo.uuid]),
    )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("title", "store", "price", "currency", "is_active")
    # The listing's photos, as the store's people added them on the product's photos page.
    readonly_fields = ("listing_photos",)
    list_filter = ("is_active", "currency")
    search_fields = ("title", "store__name")
    list_select_related = ("store",)
    raw_id_fields = ("store",)
    show_full_result_count = False

    @admin.display(description=_("photos"))
    def listing_photos(self, product: Product) -> str:
        if product.pk is None:
            return "—"
        entries = ProductPhoto.objects.filter(product=product).select_related("photo").order_by("position", "pk")
        return format_html_join(" ", "{}", ((_thumbnail(entry.photo),) for entry in entries)) or "—"

    def save_model(self, request: HttpRequest, obj: Product, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            services.product_listing_changed(product=obj, changed=form.changed_data)


class OrderItemFormSet(forms.BaseInlineFormSet):
    """Check what `order_create` would refuse, so the admin shows it next to the items instead of failing."""

    def clean(self) -> None:
        super().clean()
        if self.instance.pk:
            return
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not rows:
            raise forms.ValidationError(_("An order needs at least one item."))
        store_id = getattr(self.instance, "store_id", None)
        for row in rows:
            if store_id and row["product"].store_id != store_id:
                raise forms.ValidationError(
                    _("Product %(product)s is not sold by this store.") % {"product": row["product"]}
                )


class OrderItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderItem
    formset = OrderItemFormSet
    extra = 1
    raw_id_fields = ("product",)
    # The listing as sold is copied by `order_create`, never typed in.
    fields = ("product", "quantity", "unit_price", "sold_title", "sold_price", "sold_photo_preview")
    readonly_fields = ("sold_title", "sold_price", "sold_photo_preview")

    @admin.display(description=_("photo as sold"))
    def sold_photo_preview(self, item: OrderItem) -> str:
        return _thumbnail(item.sold_photo) if item.pk else "—"

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return 0 if obj else 1

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Items are given when the order is recorded, never added to an existing order.
        return obj is None and admin.TabularInline.has_add_permission(self, request, obj)


class OrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderEvent
    extra = 0
    fields = ("actor", "old_status", "new_status", "note_text", "created_at")
    readonly_fields = fields
    change_allowed = True

    @admin.display(description=_("note"))
    def note_text(self, event: OrderEvent) -> str:
        return event.note_text


class OrderAddForm(forms.ModelForm):
    class Meta:
        model = Order
        fields = ("number", "buyer", "store", "currency", "ship_to_country")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number"].required = False
        self.fields["number"].help_text = _("Leave empty to have a number made.")
        self.fields["ship_to_country"] = forms.ChoiceField(
            label=_("destination country"),
            choices=[("", "—"), *country_choices()],
            required=False,
            help_text=_("Leave empty to send the parcel to the buyer's country."),
        )


def _transition_action(to: str, label: "StrOrPromise") -> Any:
    """An action that moves every selected order to `to` (shipping asks for more: `mark_shipped`)."""

    def action(modeladmin: "OrderAdmin", request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = 0
        for order in queryset.order_by("pk"):
            try:
                services.order_transition(
                    order_id=order.pk,
                    to=to,
                    actor=cast(User, request.user),
                    now=timezone.now(),
                    note_kind="order_changed_in_admin",
                )
            except ValidationError as error:
                modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                modeladmin.log_change(request, order, f"Status changed to {to}.")
                done += 1
        if done:
            modeladmin.message_user(request, _("Orders changed: %(count)d.") % {"count": done}, messages.SUCCESS)

    action.__name__ = f"mark_{to}"
    return admin.action(description=label, permissions=["change"])(action)


@admin.action(description=_("Mark as shipped"), permissions=["change"])
def mark_shipped(modeladmin: "OrderAdmin", request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
    """Ask for each order's method, carrier and tracking number, then ship them through `order_ship`.

    The action first answers with a page of one small form per order (Django's intermediate
    action page, as *Delete selected* does); that page posts the action again with `apply`.
    Each shipped order is logged; refusals stay on the page beside their fields, with what
    was typed, and are also said above the list, so nothing is shipped without a valid number.
    """
    orders = list(queryset.select_related("store", "buyer").order_by("pk"))
    applying = "apply" in request.POST
    rows = [(order, ShipForm(request.POST if applying else None, prefix=f"ship-{order.pk}")) for order in orders]
    if applying:
        pending = []
        done = 0
        for order, form in rows:
            form.is_valid()  # every field is optional here: `order_ship` says what is wrong
            try:
                services.order_ship(
                    order_id=order.pk,
                    actor=cast(User, request.user),
                    now=timezone.now(),
                    shipping_method=form.cleaned_data.get("shipping_method", ""),
                    carrier=form.cleaned_data.get("carrier", ""),
                    tracking_number=form.cleaned_data.get("tracking_number", ""),
                )
            except ValidationError as error:
                add_service_error(form, error)
                modeladmin.message_user(request, f"{order.number}: {' '.join(error.messages)}", messages.ERROR)
                pending.append((order, form))
            else:
                modeladmin.log_change(request, order, f"Status changed to {Order.Status.SHIPPED}.")
                done += 1
        if done:
            modeladmin.message_user(request, _("Orders changed: %(count)d.") % {"count": done}, messages.SUCCESS)
        if not pending:
            return None
        rows = pending
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": gettext("Mark as shipped"),
        "opts": Order._meta,
        "rows": rows,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/portal/order/ship.html", context)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders are recorded and moved only through the order services: the transition table and its events.

    Adding an order here calls `order_create`; the actions move orders with `order_transition`;
    an existing order's fields are read-only.
    """

    list_display = ("number", "buyer", "store", "status", "total", "currency", "placed_at", "completed_at")
    list_filter = ("status", "completed_automatically", "has_open_dispute", "currency")
    search_fields = ("number", "buyer__email", "store__name", "tracking_number")
    list_select_related = ("buyer", "store")
    raw_id_fields = ("buyer", "store")
    date_hierarchy = "placed_at"
    show_full_result_count = False
    inlines = (OrderItemInline, OrderEventInline)
    actions = (
        _transition_action(Order.Status.PAID, _("Mark as paid")),
        mark_shipped,
        _transition_action(Order.Status.COMPLETED, _("Confirm receipt (complete)")),
        _transition_action(Order.Status.CANCELLED, _("Cancel")),
    )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = OrderAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return tuple(field.name for field in Order._meta.fields)

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return (OrderItemInline,) if obj is None else self.inlines

    def save_model(self, request: HttpRequest, obj: Order, form: Any, change: bool) -> None:
        return  # nothing on an existing order is edited here; new orders come from `add_view`

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Record an order through `order_create` (the admin's own add URL, with a page of its own).

        The order and its items are one call of the service, so the stock add view (save the
        form's instance, then the items' formset) does not fit: this view validates both forms,
        hands them to the service, shows any refusal next to the items, and logs the addition.
        """
        if not self.has_add_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = self.get_form(request, None)(data)
        items_inline = OrderItemInline(self.model, self.admin_site)
        # The items are checked against the store the form names (the formset's own rule).
        store_id = str(form.data.get("store", "")) if data is not None else ""
        unsaved = Order()
        if store_id.isdigit():
            unsaved.store_id = int(store_id)
        items = items_inline.get_formset(request, None)(data, instance=unsaved)
        refusals: list[str] = []
        if data is not None and form.is_valid() and items.is_valid():
            lines = [
                services.LineItem(product=row["product"], quantity=row["quantity"], unit_price=row.get("unit_price"))
                for row in items.cleaned_data
                if row and not row.get("DELETE")
            ]
            try:
                order = services.order_create(
                    buyer=form.cleaned_data["buyer"],
                    store=form.cleaned_data["store"],
                    items=lines,
                    now=timezone.now(),
                    currency=form.cleaned_data["currency"],
                    number=form.cleaned_data["number"] or None,
                    ship_to_country=form.cleaned_data["ship_to_country"],
                )
            except ValidationError as error:
                refusals = error.messages  # shown next to the items, with what was typed kept
            else:
                self.log_addition(request, order, self._added_message(order))
                return self.response_add(request, order)
        inline_admin_formsets = self.get_inline_formsets(request, [items], [items_inline], None)
        media = self.media + form.media
        for inline_admin_formset in inline_admin_formsets:
            media += inline_admin_formset.media
        context = {
            **self.admin_site.each_context(request),
            **(extra_context or {}),
            "title": gettext("Record an order"),
            "opts": self.model._meta,
            "form": form,
            "inline_admin_formsets": inline_admin_formsets,
            "refusals": refusals,
            "media": media,
        }
        return TemplateResponse(request, "admin/portal/order/record.html", context)

    @staticmethod
    def _added_message(order: Order) -> list[dict[str, Any]]:
        """The admin's structured change message for an addition: the order, then each item."""
        name = str(OrderItem._meta.verbose_name)
        return [{"added": {}}, *({"added": {"name": name, "object": str(item)}} for item in order.items.order_by("pk"))]


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ("uuid", "owner", "status", "source_format", "width", "height", "size", "created_at")
    list_filter = ("status", "source_format")
    search_fields = ("uuid", "owner__email", "original_name")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    readonly_fields = model_field_names(Photo)
    show_full_result_count = False


@admin.register(WeeklySummary)
class WeeklySummaryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The weekly summaries sent: to whom, when, whether late, and the text as the notification shows it."""

    list_display = ("store", "week", "sent_at", "late", "recipient_count")
    list_filter = ("late",)
    search_fields = ("store__name", "store__slug")
    list_select_related = ("store",)
    date_hierarchy = "week"
    fields = ("store", "week", "due_at", "sent_at", "late", "recipient_list", "text")
    readonly_fields = fields
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[WeeklySummary]:
        return super().get_queryset(request).annotate(recipients_n=Count("recipients"))

    @admin.display(description=_("recipients"), ordering="recipients_n")
    def recipient_count(self, summary: WeeklySummary) -> int:
        return getattr(summary, "recipients_n", 0)

    @admin.display(description=_("recipients"))
    def recipient_list(self, summary: WeeklySummary) -> str:
        return ", ".join(summary.recipients.order_by("email").values_list("email", flat=True))

    @admin.display(description=_("summary"))
    def text(self, summary: WeeklySummary) -> str:
        # Rendered from the stored facts in the reader's language, as the notification is.
        return format_html("<pre>{}</pre>", summary_text(summary_params(summary=summary, store=summary.store)))


class RuleSetAddForm(forms.Form):
    """A new version of the rules: when it takes effect, a note, and one field per registered rule."""

    NOW, LATER = "now", "later"
    takes_effect = forms.ChoiceField(
        label=_("Takes effect"),
        choices=[(NOW, _("Now")), (LATER, _("At the date below"))],
        widget=forms.RadioSelect,
        initial=NOW,
    )
    effective_from = forms.SplitDateTimeField(
        label=_("Effective from"),
        required=False,
        widget=AdminSplitDateTime,
        help_text=_("Now or later: rules never change in the past. Clocks already running keep their numbers."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the rules change; shown with the version to buyers and sellers."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for definition in RULES.values():
            self.fields[definition.name] = forms.IntegerField(
                label=definition.label,
                help_text=definition.help_text,
                min_value=definition.minimum,
                max_value=definition.maximum,
            )

    def rule_fields(self) -> list[Any]:
        return [self[name] for name in RULES]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        later = cleaned.get("takes_effect") == self.LATER
        if later and not cleaned.get("effective_from") and "effective_from" not in self.errors:
            self.add_error("effective_from", _("Enter the date and time the version takes effect."))
        return cleaned


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The versions of the rules: a history that is only ever added to, through `rules_publish`."""

    add_permission = "portal.publish_rules"
    list_display = ("version", "effective_from", "in_force", "created_by", "created_at", "note")
    list_select_related = ("created_by",)
    fields = ("version", "effective_from", "note", "created_by", "created_at", "rule_values")
    readonly_fields = fields

    @admin.display(description=_("status"))
    def in_force(self, rule_set: RuleSet) -> str:
        now = timezone.now()
        current = rules.rules_version_at(now)
        if rule_set.version == current:
            return gettext("In force")
        if rule_set.effective_from > now:
            return gettext("Scheduled")
        return gettext("Replaced")

    @admin.display(description=_("rules"))
    def rule_values(self, rule_set: RuleSet) -> str:
        version = rules.rules_of_version(rule_set.version)
        if version is None:
            return "—"
        rows = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td></tr>",
            (
                (
                    definition.label,
                    definition.display(value),
                    gettext("from the settings") if version.from_settings(definition.name) else "",
                )
                for definition, value in version.rows()
            ),
        )
        return format_html("<table><tbody>{}</tbody></table>", rows)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Publish a version through `rules_publish`, pre-filled from the latest one; refusals beside the fields."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        latest = rules.latest_version()
        if request.method == "POST":
            form = RuleSetAddForm(request.POST)
            if form.is_valid():
                now = timezone.now()
                effective_from = (
                    now
                    if form.cleaned_data["takes_effect"] == RuleSetAddForm.NOW
                    else form.cleaned_data["effective_from"]
                )
                try:
                    rule_set = services.rules_publish(
                        actor=cast(User, request.user),
                        effective_from=effective_from,
                        values={name: form.cleaned_data[name] for name in RULES},
                        note=form.cleaned_data["note"],
                        now=now,
                    )
                except ValidationError as error:
                    add_service_error(form, error)
                else:
                    self.message_user(
                        request,
                        gettext("Version %(version)d of the rules takes effect on %(when)s.")
                        % {"version": rule_set.version, "when": format_moment(rule_set.effective_from)},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:portal_ruleset_changelist"))
        else:
            form = RuleSetAddForm(initial={**latest.values(), "takes_effect": RuleSetAddForm.NOW})
        context = {
            **self.admin_site.each_context(request),
            **(extra_context or {}),
            "title": gettext("Publish a new version of the rules"),
            "opts": self.model._meta,
            "form": form,
            "latest": latest,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/portal/ruleset/publish.html", context, status=400 if form.errors else 200
        )
