"""HTTP for the core: orders, store dashboard and settings, public store and product pages."""

import contextlib
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import DisallowedHost, RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import fragments, selectors, services
from portal.actions import actions_for_member, buyer_actions, store_actions
from portal.buyer_record import buyer_record
from portal.context_processors import viewer_works_for
from portal.countries import COUNTRIES, country_for_language, country_name, is_known_country
from portal.form_errors import add_service_error
from portal.forms import (
    AddAgentForm,
    DeliveryCountryForm,
    DeliveryTableFormSet,
    HolidayForm,
    LanguageForm,
    ProductPhotosForm,
    ProfileForm,
    ShipForm,
    StoreSettingsForm,
    WeeklySummaryForm,
    WorkingDayForm,
    WorkingWeekFormSet,
)
from portal.fragments import cached
from portal.hours import store_availability
from portal.http import object_view
from portal.http import request_user as _user
from portal.models import Order, Product, Store, WorkingHours
from portal.panels import fill_viewer_slots, panels_for, panels_variant
from portal.replica import replica_view
from portal.rules import FIRST_VERSION, latest_version, newer_than, next_change_after, rules_now
from portal.settings_sections import store_settings_sections
from portal.uploads import photo_serve
from portal.weekly_summary import store_member_set_weekly_summary


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        stores = Store.objects.order_by("name")[:12]
        return render(request, "portal/landing.html", {"stores": stores})
    user = _user(request)
    now = timezone.now()
    to_confirm = list(selectors.orders_needing_action(user=user)[:20])
    waiting = buyer_actions(user=user, now=now)
    per_store = actions_for_member(user=user, now=now)
    return render(
        request,
        "portal/home.html",
        {
            "to_confirm": to_confirm,
            "buyer_actions": waiting,
            "store_actions": per_store,
            # Said only when every app found nothing, as a buyer and in every store.
            "nothing_waits": not (to_confirm or waiting or any(entry.items for entry in per_store)),
            "recent_orders": selectors.orders_for_buyer(user=user)[:10],
            "panels": panels_for("buyer_home", request=request, user=user),
        },
    )


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in (None, *Order.Status.values):
        status = None
    orders = selectors.orders_for_buyer(user=_user(request), status=status)[:200]
    return render(
        request, "portal/order_list.html", {"orders": orders, "status": status, "statuses": Order.Status.choices}
    )


@login_required
@require_GET
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for_buyer(user=_user(request), order_id=order_id)
    return render(
        request,
        "portal/order_detail.html",
        {
            "order": order,
            "late": selectors.order_is_late(order, timezone.now()),
            "trust": panels_for("store_trust", request=request, user=_user(request), store=order.store),
            "window_days": rules_now().feedback_window_days,
            "order_rules": selectors.order_rules(order=order, now=timezone.now()),
            "panels": panels_for("buyer_order", request=request, user=_user(request), order=order),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_confirm_receipt(request: HttpRequest, order_id: int) -> HttpResponse:
    """Ask once more on GET (the step that works without JavaScript); confirm on POST."""
    order = selectors.order_get_for_buyer(user=_user(request), order_id=order_id)
    if request.method == "GET":
        if order.status != Order.Status.SHIPPED:
            return redirect("portal:order_detail", order_id=order.pk)
        return render(
            request,
            "portal/order_confirm_receipt.html",
            {"order": order, "window_days": rules_now().feedback_window_days},
        )
    try:
        services.order_confirm_receipt(order_id=order.pk, buyer=_user(request), now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Thank you: receipt confirmed. You can now rate your order."))
    return redirect("portal:order_detail", order_id=order.pk)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(
            user=user,
            display_name=form.cleaned_data["display_name"],
            language=form.cleaned_data["language"],
            time_zone=form.cleaned_data["time_zone"],
            phone=form.cleaned_data["phone"],
            country=form.cleaned_data["country"],
        )
        translation.activate(user.language)
        messages.success(request, _("Your settings were saved."))
        response = redirect("portal:profile")
        response.set_cookie("django_language", user.language, samesite="Lax")
        return response
    return render(request, "portal/profile.html", {"form": form, **_weekly_summary_context(user)})


def _weekly_summary_context(user: Any, form: WeeklySummaryForm | None = None) -> dict[str, Any]:
    memberships = list(selectors.store_memberships_of(user=user))
    agent = [m for m in memberships if m.role == m.Role.AGENT]
    owned = [m.store for m in memberships if m.role == m.Role.OWNER]
    return {
        "owned_stores": owned,
        "owned_store_names": ", ".join(store.name for store in owned),
        "summary_form": form
        or WeeklySummaryForm(
            agent_stores=[m.store for m in agent],
            initial={"stores": [m.store_id for m in agent if m.weekly_summary]},
            prefix="summary",
        ),
    }


@login_required
@require_POST
def weekly_summary_preferences(request: HttpRequest) -> HttpResponse:
    """An agent's choice of the stores whose Saturday summary they receive."""
    user = _user(request)
    agent_stores = [m.store for m in selectors.store_agent_memberships_of(user=user)]
    form = WeeklySummaryForm(request.POST, agent_stores=agent_stores, prefix="summary")
    if not form.is_valid():
        context = {"form": ProfileForm(instance=user), **_weekly_summary_context(user, form)}
        return render(request, "portal/profile.html", context, status=400)
    store_member_set_weekly_summary(user=user, store_ids=form.cleaned_data["stores"])
    messages.success(request, _("Your weekly summary choices were saved."))
    return redirect("portal:profile")


def _next_url(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    return next_url


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch language and remember it: on the user when signed in, in a cookie always."""
    form = LanguageForm(request.POST)
    response = HttpResponseRedirect(_next_url(request))
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.user_update_preferences(user=_user(request), language=language)
        response.set_cookie("django_language", language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


# A visitor's choice of the country product pages show delivery times to.
COUNTRY_COOKIE = "opinia_country"


def viewer_country(request: HttpRequest) -> str:
    """Where the viewer lives: a signed-in user's country (or the one their language suggests);
    for a visitor, the country chosen on a product page, else the one the page's language suggests."""
    if request.user.is_authenticated:
        return _user(request).delivery_country
    chosen = request.COOKIES.get(COUNTRY_COOKIE, "").upper()
    if is_known_country(chosen):
        return chosen
    return country_for_language(translation.get_language() or "")


@require_POST
def delivery_country_set(request: HttpRequest) -> HttpResponse:
    """Choose the country delivery times are shown for: on the user when signed in, in a cookie always."""
    form = DeliveryCountryForm(request.POST)
    response = HttpResponseRedirect(_next_url(request))
    if form.is_valid():
        country = form.cleaned_data["country"]
        if request.user.is_authenticated:
            services.user_update_preferences(user=_user(request), country=country)
        response.set_cookie(COUNTRY_COOKIE, country, max_age=365 * 24 * 3600, samesite="Lax")
    return response


# --- Seller pages -------------------------------------------------------------------------


@login_required
@require_GET
def seller_home(request: HttpRequest) -> HttpResponse:
    memberships = selectors.store_memberships_of(user=_user(request))
    stores = [m.store for m in memberships]
    if len(stores) == 1:
        # The dashboard opens with the same list of what waits, then the details.
        return redirect("portal:store_dashboard", slug=stores[0].slug)
    return render(
        request,
        "portal/seller_home.html",
        {"store_actions": actions_for_member(user=_user(request), now=timezone.now())},
    )


@login_required
@require_GET
def store_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    store = selectors.store_get_for_member(user=_user(request), slug=slug)
    status = request.GET.get("status") or None
    if status not in (None, *Order.Status.values):
        status = None
    return render(
        request,
        "portal/store_dashboard.html",
        {
            "store": store,
            "counts": selectors.store_order_counts(store=store),
            "orders": selectors.orders_for_store(store=store, status=status)[:50],
            "status": status,
            "statuses": Order.Status.choices,
            "actions": store_actions(store=store, now=timezone.now()),
            "availability": store_availability(store=store, now=timezone.now()),
            "panels": panels_for("store_dashboard", request=request, user=_user(request), store=store),
        },
    )


@login_required
@require_GET
def store_order_detail(request: HttpRequest, slug: str, order_id: int) -> HttpResponse:
    store = selectors.store_get_for_member(user=_user(request), slug=slug)
    order = selectors.order_get_for_seller(user=_user(request), store=store, order_id=order_id)
    return render(
        request,
        "portal/store_order_detail.html",
        {
            "store": store,
            "order": order,
            "buyer_record": buyer_record(buyer=order.buyer, store=store),
            "order_rules": selectors.order_rules(order=order, now=timezone.now()),
            "panels": panels_for("seller_order", request=request, user=_user(request), order=order, store=store),
            "ship_form": ShipForm() if order.status == Order.Status.PAID else None,
            "due_at": selectors.order_handling_due_at(order),
            "late": selectors.order_is_late(order, timezone.now()),
        },
    )


@login_required
@require_GET
def store_orders_to_ship(request: HttpRequest, slug: str) -> HttpResponse:
    """The shipping desk: paid orders by handling limit (overdue first), then late shipped ones."""
    store = selectors.store_get_for_member(user=_user(request), slug=slug)
    now = timezone.now()
    to_ship, next_cursor = selectors.orders_to_ship_page(store=store, now=now, cursor=request.GET.get("cursor"))
    late, next_late_cursor = selectors.orders_late_page(store=store, now=now, cursor=request.GET.get("late_cursor"))
    return render(
        request,
        "portal/store_orders_to_ship.html",
        {
            "store": store,
            "to_ship": to_ship,
            "next_cursor": next_cursor,
            "late": late,
            "next_late_cursor": next_late_cursor,
            "handling_days": rules_now().handling_days,
            "form": ShipForm(),
        },
    )


def _seller_order(request: HttpRequest, slug: str, order_id: int) -> tuple[Store, Order]:
    store = selectors.store_get_for_member(user=_user(request), slug=slug)
    return store, selectors.order_get_for_seller(user=_user(request), store=store, order_id=order_id)


@login_required
@object_view(load=_seller_order, methods=["GET", "POST"])
def store_order_ship(request: HttpRequest, loaded: tuple[Store, Order], slug: str, order_id: int) -> HttpResponse:
    """Mark a paid order as shipped; a refusal comes back beside its field with what was typed kept."""
    store, order = loaded
    form = ShipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_ship(
                order_id=order.pk,
                actor=_user(request),
                now=timezone.now(),
                shipping_method=form.cleaned_data["shipping_method"],
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Order %(number)s is marked as shipped.") % {"number": order.number})
            # Back where the form was: the order's page or the desk.
            if request.POST.get("back") == "order":
                return redirect("portal:store_order_detail", slug=store.slug, order_id=order.pk)
            return redirect("portal:store_orders_to_ship", slug=store.slug)
    return render(
        request,
        "portal/store_order_ship.html",
        {
            "store": store,
            "order": order,
            "form": form,
            "due_at": selectors.order_handling_due_at(order),
            "overdue": selectors.order_is_overdue(order, timezone.now()),
        },
    )


def _week_initial(store: Store) -> list[dict[str, Any]]:
    by_day: dict[int, list[WorkingHours]] = {}
    for hours in store.working_hours.all():
        by_day.setdefault(hours.weekday, []).append(hours)
    initial = []
    for weekday, _label in WorkingHours.Weekday.choices:
        day: dict[str, Any] = {"weekday": weekday, "is_open": weekday in by_day}
        intervals = sorted(by_day.get(weekday, []), key=lambda h: h.opens_at)
        for (opens, closes), hours in zip(WorkingDayForm.interval_names(), intervals, strict=False):
            day[opens], day[closes] = hours.opens_at, hours.closes_at
        initial.append(day)
    return initial


def _render_store_settings(
    request: HttpRequest,
    store: Store,
    *,
    settings_form: StoreSettingsForm,
    week: Any,
    holiday_form: HolidayForm | None = None,
    status: int = 200,
) -> HttpResponse:
    weekdays = dict(WorkingHours.Weekday.choices)
    today = store.local_now(timezone.now()).date()
    return render(
        request,
        "portal/store_settings.html",
        {
            "store": store,
            "settings_form": settings_form,
            "week": week,
            "week_rows": [(weekdays[i], form) for i, form in enumerate(week.forms)],
            "holiday_form": holiday_form or HolidayForm(prefix="holiday"),
            "holidays": selectors.store_holidays_upcoming(store=store, today=today),
            "agent_form": AddAgentForm(prefix="agent"),
            "agents": store.members.select_related("user").order_by("role", "user__email"),
            "sections": store_settings_sections(store),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def store_settings(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    store = selectors.store_get_for_member(user=user, slug=slug, owner_only=True)
    settings_form = StoreSettingsForm(request.POST or None, instance=store, prefix="store")
    week = WorkingWeekFormSet(request.POST or None, initial=_week_initial(store), prefix="hours")
    if request.method == "POST":
        if settings_form.is_valid() and week.is_valid():
            try:
                services.store_set_working_hours(
                    store=store,
                    actor=user,
                    intervals=[
                        services.OpeningInterval(weekday=day.cleaned_data["weekday"], opens_at=opens, closes_at=closes)
                        for day in week.forms
                        for opens, closes in day.intervals()
                    ],
                )
            except ValidationError as error:
                week.non_form_errors().extend(error.messages)  # the form's own checks make this rare
            else:
                services.store_update_settings(
                    store=store,
                    actor=user,
                    name=settings_form.cleaned_data["name"],
                    time_zone=settings_form.cleaned_data["time_zone"],
                    auto_reply=settings_form.cleaned_data["auto_reply"],
                    busy_reply=settings_form.cleaned_data.get("busy_reply", ""),
                )
                messages.success(request, _("Store settings saved."))
                return redirect("portal:store_settings", slug=store.slug)
        messages.error(request, _("Please correct the errors below."))
    return _render_store_settings(request, store, settings_form=settings_form, week=week)


@login_required
@require_POST
def store_holiday_add(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    store = selectors.store_get_for_member(user=user, slug=slug, owner_only=True)
    form = HolidayForm(request.POST, prefix="holiday")
    if form.is_valid():
        try:
            services.store_holiday_add(store=store, actor=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Holiday added."))
            return redirect("portal:store_settings", slug=store.slug)
    messages.error(request, _("Please correct the errors below."))
    return _render_store_settings(
        request,
        store,
        settings_form=StoreSettingsForm(instance=store, prefix="store"),
        week=WorkingWeekFormSet(initial=_week_initial(store), prefix="hours"),
        holiday_form=form,
        status=400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def store_delivery_times(request: HttpRequest, slug: str) -> HttpResponse:
    """The store's delivery-time table: country × shipping method → days; the owner's page."""
    user = _user(request)
    store = selectors.store_get_for_member(user=user, slug=slug, owner_only=True)
    initial = [
        {"country": row.country, "method": row.method, "min_days": row.min_days, "max_days": row.max_days}
        for row in selectors.delivery_table(store=store)
    ]
    table = DeliveryTableFormSet(request.POST or None, initial=initial, prefix="rows")
    if request.method == "POST":
        if table.is_valid():
            try:
                services.store_set_delivery_times(
                    store=store,
                    actor=user,
                    rows=[
                        services.DeliveryRow(
                            country=form.cleaned_data["country"],
                            method=form.cleaned_data["method"],
                            min_days=form.cleaned_data["min_days"],
                            max_days=form.cleaned_data["max_days"],
                        )
                        for form in table.kept_forms()
                    ],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Delivery times saved."))
                return redirect("portal:store_delivery_times", slug=store.slug)
        else:
            messages.error(request, _("Please correct the errors below."))
    return render(
        request,
        "portal/store_delivery_times.html",
        {"store": store, "table": table, "countries": sorted(COUNTRIES.items(), key=lambda pair: str(pair[1]))},
    )


@login_required
@require_POST
def store_holiday_delete(request: HttpRequest, slug: str, holiday_id: int) -> HttpResponse:
    user = _user(request)
    store = selectors.store_get_for_member(user=user, slug=slug, owner_only=True)
    services.store_holiday_delete(store=store, actor=user, holiday_id=holiday_id)
    messages.success(request, _("Holiday removed."))
    return redirect("portal:store_settings", slug=store.slug)


@login_required
@require_POST
def store_busy(request: HttpRequest, slug: str) -> HttpResponse:
    """Switch the "busy" auto-reply on or off (any member of the store), then go back where the switch was."""
    user = _user(request)
    store = selectors.store_get_for_member(user=user, slug=slug)
    try:
        services.store_set_busy(store=store, actor=user, busy=request.POST.get("busy") == "on", now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Buyers now get the busy reply.") if store.busy_until else _("The busy reply is off.")
        )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("portal:store_dashboard", slug=store.slug)


@login_required
@require_POST
def store_agent_add(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    store = selectors.store_get_for_member(user=user, slug=slug, owner_only=True)
    form = AddAgentForm(request.POST, prefix="agent")
    if form.is_valid():
        try:
            services.store_add_agent(store=store, actor=user, email=form.cleaned_data["email"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Agent added."))
    else:
        messages.error(request, _("Enter a valid e-mail address."))
    return redirect("portal:store_settings", slug=store.slug)


@login_required
@require_POST
def store_agent_remove(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    user = _user(request)
    store = selectors.store_get_for_member(user=user, slug=slug, owner_only=True)
    try:
        services.store_remove_agent(store=store, actor=user, member_id=member_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Agent removed."))
    return redirect("portal:store_settings", slug=store.slug)


# --- Public pages ---------------------------------------------------------------------------


@require_GET
@replica_view
def store_page(request: HttpRequest, slug: str) -> HttpResponse:
    store = selectors.store_get_public(slug=slug)
    return render(
        request,
        "portal/store_page.html",
        {"store": store, "body": store_page_body(request=request, store=store, now=timezone.now())},
    )


# Everything the store page's body shows: its own profile (name, products, hours, holidays,
# busy switch) and what its panels show (reviews and score, response rate, restriction).
STORE_PAGE_TOPICS = ("profile", "feedback", "helpful", "shipments", "responses", "penalties")


def store_page_body(*, request: HttpRequest, store: Store, now: datetime) -> SafeString:
    """The store page below the site's bar, the same for every visitor of the same standing.

    Kept per store, language and time zone, the panels' query parameters, and whether the viewer
    works for the store; renewed by any of STORE_PAGE_TOPICS, by a newer version of the rules
    (the score and the restriction banner follow them) and at the next minute (the store's local
    time and opening state). Each viewer's own links (helpful, report) are filled in after.
    """
    works_here = viewer_works_for(request, store.pk)

    def build() -> tuple[SafeString, datetime]:
        hours = list(store.working_hours.all())
        availability = store_availability(store=store, now=now, hours=hours)
        store_now = store.local_now(now)
        html = render_to_string(
            "portal/_store_page_body.html",
            {
                "store": store,
                "products": list(Product.objects.filter(store=store, is_active=True).order_by("title")[:60]),
                "store_local_now": store_now,
                # The whole week, closed days included, as the conversation's side panel shows it.
                "week": selectors.store_week(store=store, hours=hours),
                "store_today": store_now.weekday(),
                "availability": availability,
                "panels": panels_for("store_page", request=request, user=request.user, store=store, viewer_slots=False),
            },
        )
        # A scheduled version of the rules (the restriction limit, the score window) takes effect.
        fragments.holds_until(next_change_after(now))
        for change in (availability.open_until, availability.reopens_at, store.busy_until):
            if change is not None and change > now:
                fragments.holds_until(change)
        # The local time is shown to the minute.
        return SafeString(html), now.replace(second=0, microsecond=0) + timedelta(minutes=1)

    body = cached(
        name="portal.store_page",
        topics=STORE_PAGE_TOPICS,
        store_id=store.pk,
        variant=(
            works_here,
            request.user.is_authenticated,
            latest_version().version,
            panels_variant("store_page", request),
        ),
        build=build,
        now=now,
    )
    return fill_viewer_slots(body, request, request.user)


@require_GET
@replica_view
def product_page(request: HttpRequest, slug: str, product_slug: str) -> HttpResponse:
    country = viewer_country(request)
    if request.user.is_authenticated:
        # A signed-in buyer's page holds their own conversation with the store and its form.
        # One query for both (a missing store or product is the same 404).
        product = selectors.product_get_public_by_slugs(store_slug=slug, product_slug=product_slug)
        title = product.title
        body = product_page_body(request=request, store=product.store, product=product, country=country)
    else:
        # A visitor's page comes whole from the cache: only the ids are read (a fixed statement),
        # the product and its store are built only when the body is.
        product_id, store_id = selectors.product_ids_public_by_slugs(store_slug=slug, product_slug=product_slug)

        def build() -> tuple[tuple[str, SafeString], None]:
            product = Product.objects.select_related("store").get(pk=product_id)
            return (
                product.title,
                product_page_body(request=request, store=product.store, product=product, country=country),
            ), None

        title, body = cached(
            name="portal.product_page",
            topics=PRODUCT_PAGE_TOPICS,
            store_id=store_id,
            variant=(product_id, country, latest_version().version, panels_variant("product_page", request)),
            build=build,
        )
    return render(
        request, "portal/product_page.html", {"title": title, "body": fill_viewer_slots(body, request, request.user)}
    )


# Everything a product page's body shows: the product and its store's name (`profile`), its
# photos (`listing`), the delivery table, the reviews and score, the response rate, the restriction.
PRODUCT_PAGE_TOPICS = ("profile", "listing", "delivery", "feedback", "helpful", "responses", "penalties")


def product_page_body(*, request: HttpRequest, store: Store, product: Product, country: str) -> SafeString:
    """The product page below the site's bar, its viewer slots left to fill.

    A visitor's is the same for every visitor of the country, language and time zone: the
    page keeps it per product and panels' query parameters (`product_page`) under
    PRODUCT_PAGE_TOPICS, until the soonest moment of the parts inside it.
    """
    # The same for every viewer of the country until the store edits its table: cached, no query warm.
    delivery = fragments.cached(
        name="portal.delivery_options",
        topics=["delivery"],
        store_id=store.pk,
        variant=(country,),
        build=lambda: (selectors.delivery_options(store_id=store.pk, country=country), None),
        localized=False,
    )
    # A scheduled version of the rules (the restriction limit, the score window) takes effect.
    fragments.holds_until(next_change_after(timezone.now()))
    context = {
        "store": store,
        "product": product,
        "delivery": delivery,
        "delivery_country": country,
        "delivery_country_name": country_name(country) if country else "",
        "country_form": None if request.user.is_authenticated else DeliveryCountryForm(initial={"country": country}),
        "gallery": product_gallery(product=product),
        "trust": panels_for("store_trust", request=request, user=request.user, store=store, viewer_slots=False),
        "panels": panels_for(
            "product_page", request=request, user=request.user, store=store, product=product, viewer_slots=False
        ),
    }
    return SafeString(render_to_string("portal/_product_page_body.html", context, request=request))


def product_gallery(*, product: Product) -> str:
    """The product's photos (the first large, the rest as thumbnails), kept per store `listing` version."""

    def build() -> tuple[str, None]:
        photos = selectors.product_photos(product=product)
        return render_to_string("portal/_product_gallery.html", {"product": product, "photos": photos}), None

    return cached(
        name="portal.product_gallery",
        topics=("listing",),
        store_id=product.store_id,
        variant=(product.pk,),
        build=build,
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_photos(request: HttpRequest, slug: str, product_id: int) -> HttpResponse:
    """A store member adds photos to one of the store's products, or removes them."""
    user = _user(request)
    store = selectors.store_get_for_member(user=user, slug=slug)
    product = selectors.product_get_for_store(store=store, product_id=product_id)
    form = ProductPhotosForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_photos_add(
                actor=user, product_id=product.pk, photos=form.cleaned_data["photos"], now=timezone.now()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The photos were added; they appear once processed."))
            return redirect("portal:product_photos", slug=store.slug, product_id=product.pk)
    return render(
        request,
        "portal/product_photos.html",
        {
            "store": store,
            "product": product,
            "form": form,
            "photos": selectors.product_photos(product=product, ready_only=False),
            "limit": settings.OPINIA_PRODUCT_PHOTOS_MAX,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def product_photo_remove(request: HttpRequest, slug: str, product_id: int, product_photo_id: int) -> HttpResponse:
    user = _user(request)
    store = selectors.store_get_for_member(user=user, slug=slug)
    product = selectors.product_get_for_store(store=store, product_id=product_id)
    try:
        services.product_photo_remove(
            actor=user, product_id=product.pk, product_photo_id=product_photo_id, now=timezone.now()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("The photo was removed from the product. Orders keep the photo they were sold with.")
        )
    return redirect("portal:product_photos", slug=store.slug, product_id=product.pk)


@require_GET
def store_search(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()
    return render(request, "portal/store_list.html", {"stores": selectors.stores_search(query=query), "query": query})


@require_GET
def photo(request: HttpRequest, photo_uuid: str) -> HttpResponseBase:
    return photo_serve(request, photo_uuid, "full")


@require_GET
def photo_thumbnail(request: HttpRequest, photo_uuid: str) -> HttpResponseBase:
    return photo_serve(request, photo_uuid, "thumb")


FAVICON = settings.BASE_DIR / "static" / "img" / "favicon.svg"


@require_GET
@cache_control(public=True, max_age=24 * 60 * 60)
def favicon(request: HttpRequest) -> HttpResponse:
    # Served from the source tree, not the static storage: it exists before collectstatic and
    # keeps one stable address, where the static files' names change with their content.
    return HttpResponse(FAVICON.read_bytes(), content_type="image/svg+xml")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 400 page (`handler400`): say what went wrong, and lead back to the form.

    A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused before any view parses it, so the form
    cannot be drawn again with an error next to the field; this page explains instead, small
    and in the reader's language, without echoing what was sent.
    """
    back_url = "/"
    referer = request.headers.get("referer", "")
    # The 400 may be about the Host header itself: then there is no safe way back but home.
    with contextlib.suppress(DisallowedHost):
        if referer and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back_url = referer
    return render(
        request,
        "portal/bad_request.html",
        {"too_big": isinstance(exception, RequestDataTooBig), "back_url": back_url},
        status=400,
    )


@require_GET
def rules_page(request: HttpRequest, version: int | None = None) -> HttpResponse:
    """A version of the marketplace's rules, for everyone: the one an order is judged by, or the one in force."""
    now = timezone.now()
    rules = rules_now() if version is None else selectors.rules_version_get(version=version)
    newer = newer_than(rules)
    return render(
        request,
        "portal/rules.html",
        {
            "rules": rules,
            "rows": [
                {"name": d.name, "label": d.label, "help_text": d.help_text, "value": d.display(value)}
                for d, value in rules.rows()
            ],
            "newer": newer,
            "newer_in_force": newer is not None and newer.effective_from <= now,
            "first_version": rules.version == FIRST_VERSION,
        },
    )
