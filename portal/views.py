"""HTTP for the core: orders, store dashboard and settings, public store and product pages."""

import contextlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import DisallowedHost, RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import selectors, services
from portal.actions import actions_for_member, buyer_actions, store_actions
from portal.buyer_record import buyer_record
from portal.forms import AddAgentForm, LanguageForm, ProfileForm, StoreSettingsForm, WorkingWeekFormSet
from portal.http import request_user as _user
from portal.models import Order, Product, Store, WorkingHours
from portal.panels import panels_for
from portal.replica import replica_view
from portal.rules import FIRST_VERSION, newer_than, rules_now
from portal.settings_sections import store_settings_sections
from portal.uploads import photo_serve


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
        )
        translation.activate(user.language)
        messages.success(request, _("Your settings were saved."))
        response = redirect("portal:profile")
        response.set_cookie("django_language", user.language, samesite="Lax")
        return response
    return render(request, "portal/profile.html", {"form": form})


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch language and remember it: on the user when signed in, in a cookie always."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.user_update_preferences(user=_user(request), language=language)
        response.set_cookie("django_language", language, max_age=365 * 24 * 3600, samesite="Lax")
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
        },
    )


def _week_initial(store: Store) -> list[dict[str, Any]]:
    by_day = {hours.weekday: hours for hours in store.working_hours.all()}
    initial = []
    for weekday, _label in WorkingHours.Weekday.choices:
        hours = by_day.get(weekday)
        initial.append(
            {
                "weekday": weekday,
                "is_open": hours is not None,
                "opens_at": hours.opens_at if hours else None,
                "closes_at": hours.closes_at if hours else None,
            }
        )
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def store_settings(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    store = selectors.store_get_for_member(user=user, slug=slug, owner_only=True)
    settings_form = StoreSettingsForm(request.POST or None, instance=store, prefix="store")
    week = WorkingWeekFormSet(request.POST or None, initial=_week_initial(store), prefix="hours")
    agent_form = AddAgentForm(prefix="agent")
    if request.method == "POST":
        if settings_form.is_valid() and week.is_valid():
            services.store_update_settings(
                store=store,
                actor=user,
                name=settings_form.cleaned_data["name"],
                time_zone=settings_form.cleaned_data["time_zone"],
                auto_reply=settings_form.cleaned_data["auto_reply"],
            )
            services.store_set_working_hours(
                store=store,
                actor=user,
                intervals=[
                    services.OpeningInterval(
                        weekday=day["weekday"], opens_at=day["opens_at"], closes_at=day["closes_at"]
                    )
                    for day in week.cleaned_data
                    if day.get("is_open")
                ],
            )
            messages.success(request, _("Store settings saved."))
            return redirect("portal:store_settings", slug=store.slug)
        messages.error(request, _("Please correct the errors below."))
    weekdays = dict(WorkingHours.Weekday.choices)
    return render(
        request,
        "portal/store_settings.html",
        {
            "store": store,
            "settings_form": settings_form,
            "week": week,
            "week_rows": [(weekdays[i], form) for i, form in enumerate(week.forms)],
            "agent_form": agent_form,
            "agents": store.members.select_related("user").order_by("role", "user__email"),
            "sections": store_settings_sections(store),
        },
    )


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
    products = Product.objects.filter(store=store, is_active=True).order_by("title")[:60]
    now_local = store.local_now(timezone.now())
    return render(
        request,
        "portal/store_page.html",
        {
            "store": store,
            "products": products,
            "store_local_now": now_local,
            # The whole week, closed days included, as the conversation's side panel shows it.
            "week": selectors.store_week(store=store),
            "store_today": store.local_now(timezone.now()).weekday(),
            "panels": panels_for("store_page", request=request, user=request.user, store=store),
        },
    )


@require_GET
@replica_view
def product_page(request: HttpRequest, slug: str, product_slug: str) -> HttpResponse:
    store = selectors.store_get_public(slug=slug)
    product = selectors.product_get_public(store=store, slug=product_slug)
    return render(
        request,
        "portal/product_page.html",
        {
            "store": store,
            "product": product,
            "trust": panels_for("store_trust", request=request, user=request.user, store=store),
            "panels": panels_for("product_page", request=request, user=request.user, store=store, product=product),
        },
    )


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
