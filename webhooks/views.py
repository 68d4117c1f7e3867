"""The store owner's webhook endpoints, linked from the store's settings. Agents and others get 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.http import request_user
from portal.models import Store
from portal.selectors import store_get_for_member
from webhooks import selectors, services
from webhooks.delivery import MAX_ATTEMPTS
from webhooks.forms import EndpointForm
from webhooks.models import DisabledReason, WebhookEndpoint


def _owned_store(request: HttpRequest, slug: str) -> Store:
    return store_get_for_member(user=request_user(request), slug=slug, owner_only=True)


def _show_secret(request: HttpRequest, *, store: Store, endpoint: WebhookEndpoint, secret: str) -> HttpResponse:
    """The one page that shows a secret: never stored in a message or a cookie, never shown again."""
    response = render(request, "webhooks/secret.html", {"store": store, "endpoint": endpoint, "secret": secret})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def endpoint_list(request: HttpRequest, slug: str) -> HttpResponse:
    store = _owned_store(request, slug)
    return render(
        request,
        "webhooks/endpoint_list.html",
        {"store": store, "endpoints": selectors.endpoints_for_store(store=store)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_create(request: HttpRequest, slug: str) -> HttpResponse:
    store = _owned_store(request, slug)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        endpoint = services.endpoint_create(
            store=store,
            actor=request_user(request),
            url=form.cleaned_data["url"],
            description=form.cleaned_data["description"],
            event_types=form.cleaned_data["event_types"],
            now=timezone.now(),
        )
        return _show_secret(request, store=store, endpoint=endpoint, secret=endpoint.secret)
    return render(request, "webhooks/endpoint_form.html", {"store": store, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    store = _owned_store(request, slug)
    endpoint = selectors.endpoint_get_for_store(store=store, endpoint_id=endpoint_id)
    initial = {"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.endpoint_update(
            endpoint_id=endpoint.pk,
            url=form.cleaned_data["url"],
            description=form.cleaned_data["description"],
            event_types=form.cleaned_data["event_types"],
        )
        messages.success(request, _("Endpoint saved."))
        return redirect("webhooks:endpoint_detail", slug=store.slug, endpoint_id=endpoint.pk)
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "store": store,
            "endpoint": endpoint,
            "form": form,
            "deliveries": selectors.delivery_log(endpoint=endpoint),
            "max_attempts": MAX_ATTEMPTS,
        },
    )


@login_required
@require_POST
def endpoint_set_active(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    store = _owned_store(request, slug)
    endpoint = selectors.endpoint_get_for_store(store=store, endpoint_id=endpoint_id)
    active = request.POST.get("active") == "1"
    services.endpoint_set_active(
        endpoint_id=endpoint.pk, active=active, reason=DisabledReason.OWNER, now=timezone.now()
    )
    messages.success(request, _("Endpoint enabled.") if active else _("Endpoint disabled."))
    return redirect("webhooks:endpoint_detail", slug=store.slug, endpoint_id=endpoint.pk)


@login_required
@require_POST
def endpoint_rotate(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    store = _owned_store(request, slug)
    endpoint = selectors.endpoint_get_for_store(store=store, endpoint_id=endpoint_id)
    endpoint, secret = services.endpoint_rotate_secret(endpoint_id=endpoint.pk, now=timezone.now())
    return _show_secret(request, store=store, endpoint=endpoint, secret=secret)


@login_required
@require_POST
def endpoint_test(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponse:
    store = _owned_store(request, slug)
    endpoint = selectors.endpoint_get_for_store(store=store, endpoint_id=endpoint_id)
    services.endpoint_send_test(endpoint_id=endpoint.pk, now=timezone.now())
    messages.success(request, _("A test event was queued; it appears in the delivery log in a few seconds."))
    return redirect("webhooks:endpoint_detail", slug=store.slug, endpoint_id=endpoint.pk)


@login_required
@require_POST
def delivery_replay(request: HttpRequest, slug: str, endpoint_id: int, delivery_id: int) -> HttpResponse:
    store = _owned_store(request, slug)
    endpoint = selectors.endpoint_get_for_store(store=store, endpoint_id=endpoint_id)
    delivery = selectors.delivery_get_for_endpoint(endpoint=endpoint, delivery_id=delivery_id)
    services.delivery_replay(delivery_id=delivery.pk, now=timezone.now())
    messages.success(request, _("The delivery was queued again with the same event id."))
    return redirect("webhooks:endpoint_detail", slug=store.slug, endpoint_id=endpoint.pk)
