"""HTTP for the store side: a store's inbox and writing to a buyer about an order."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from messaging import selectors, services
from messaging.forms import MessageForm
from messaging.models import Side
from messaging.ratelimit import message_rate_limited
from messaging.views.common import (
    centre_context,
    login_required_live,
    rate_message,
)
from messaging.views.inbox import inbox_response
from portal.form_errors import add_service_error
from portal.http import HtmxHttpRequest, object_view
from portal.http import request_user as _user
from portal.models import Order, Store
from portal.selectors import order_get_for_seller, store_get_for_member


def _store_for_member(request: HttpRequest, slug: str) -> Store:
    return store_get_for_member(user=_user(request), slug=slug)


def _order_for_seller(request: HttpRequest, slug: str, order_id: int) -> tuple[Store, Order]:
    user = _user(request)
    store = store_get_for_member(user=user, slug=slug)
    return store, order_get_for_seller(user=user, store=store, order_id=order_id)


@login_required_live
@object_view(load=_store_for_member, methods=["GET", "HEAD"])
def store_inbox(request: HtmxHttpRequest, store: Store, slug: str) -> HttpResponse:
    return inbox_response(
        request,
        conversations=selectors.store_conversations(store=store),
        owner=("store_id", store.pk),
        side=Side.STORE,
        tab=f"store:{store.slug}",
        extra={"store": store, "inbox_url": reverse("messaging:store_inbox", args=[store.slug])},
    )


@login_required_live
@object_view(load=_order_for_seller, methods=["GET", "HEAD", "POST"])
def store_write(request: HttpRequest, store_and_order: tuple[Store, Order], slug: str, order_id: int) -> HttpResponse:
    """A store member writes to the buyer of one of the store's orders.

    The order page's panel posts here; a refused message is shown again on this page, with
    the reason next to the field and the text kept, instead of being lost on a redirect.
    """
    user = _user(request)
    store, order = store_and_order
    form = MessageForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        now = timezone.now()
        if message_rate_limited(user_id=user.pk, now=now):
            form.is_valid()
            form.add_error(None, rate_message())
            status = 429
        elif form.is_valid():
            try:
                message, _created = services.conversation_start_by_store(
                    store=store,
                    sender=user,
                    order=order,
                    text=form.cleaned_data["text"],
                    photos=form.cleaned_data["photos"],
                    now=now,
                )
            except services.SendingBlocked as error:
                add_service_error(form, error)
                status = 403
            except ValidationError as error:
                add_service_error(form, error)
                status = 400
            else:
                return redirect(reverse("messaging:thread", args=[message.conversation_id]) + "#composer")
        else:
            status = 400
    return render(
        request,
        "messaging/store_write.html",
        {
            **centre_context(request, f"store:{store.slug}"),
            "store": store,
            "order": order,
            # The order card links to the seller's order page.
            "access": {"side": Side.STORE},
            "existing": selectors.conversation_for_buyer_and_store(buyer=order.buyer, store=store),
            "form": form,
        },
        status=status,
    )
