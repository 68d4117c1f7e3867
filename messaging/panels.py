"""Panels the message centre adds to the core's pages (product, orders, store page, dashboard)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from messaging import selectors
from messaging.forms import MessageForm
from portal.actions import ActionItem, moment_text
from portal.context_processors import viewer_works_for
from portal.models import Order, Product, RequestUser, Store, User


def product_panel(*, request: HttpRequest, user: RequestUser, store: Store, product: Product, **_: Any) -> str:
    """ "Message the seller" on a product page (nothing for the store's own people)."""
    if viewer_works_for(request, store.pk):
        return ""
    return render_to_string(
        "messaging/panel_product.html",
        {
            "store": store,
            "product": product,
            "existing": selectors.conversation_for_buyer_and_store(buyer=user, store=store),
            "blocked": selectors.store_blocks_buyer(store=store, buyer=user),
            "form": MessageForm(auto_id="seller_%s"),
        },
        request=request,
    )


def buyer_order_panel(*, request: HttpRequest, user: User, order: Order, **_: Any) -> str:
    """ "Message about this order" on the buyer's order page."""
    return render_to_string(
        "messaging/panel_order.html",
        {
            "order": order,
            "store": order.store,
            "existing": selectors.conversation_for_buyer_and_store(buyer=user, store=order.store),
            "blocked": selectors.store_blocks_buyer(store=order.store, buyer=user),
            "form": MessageForm(auto_id="order_%s"),
        },
        request=request,
    )


def seller_order_panel(*, request: HttpRequest, user: User, order: Order, store: Store, **_: Any) -> str:
    return render_to_string(
        "messaging/panel_seller_order.html",
        {
            "order": order,
            "store": store,
            "existing": selectors.conversation_for_buyer_and_store(buyer=order.buyer, store=store),
            "form": MessageForm(auto_id="buyer_%s"),
        },
        request=request,
    )


def store_page_panel(*, request: HttpRequest, user: RequestUser, store: Store, **_: Any) -> str:
    return render_to_string(
        "messaging/panel_store_stats.html",
        {
            "store": store,
            "stats": selectors.store_response_stats_cached(store=store, now=timezone.now()),
            "public": True,
            # Buyers may write to a store from its page too; its own people answer from the inbox.
            "can_message": not viewer_works_for(request, store.pk),
        },
        request=request,
    )


def store_dashboard_panel(*, request: HttpRequest, user: User, store: Store, **_: Any) -> str:
    return render_to_string(
        "messaging/panel_store_stats.html",
        {
            "store": store,
            "stats": selectors.store_response_stats(store=store, now=timezone.now()),
            "unanswered": selectors.store_unanswered_count(store=store),
            "unread": sum(store.conversations.filter(store_unread__gt=0).values_list("store_unread", flat=True)[:1000]),
            "public": False,
        },
        request=request,
    )


def store_actions(*, store: Store, now: datetime) -> list[ActionItem]:
    """Buyers waiting for an answer: the dashboard's count, with a link to the team inbox."""
    since = selectors.store_unanswered_since(store=store)
    if since is None:
        return []
    count = selectors.store_unanswered_count(store=store)
    return [
        ActionItem(
            key="unanswered_conversations",
            count=count,
            text=ngettext(
                "%(n)d conversation waiting for an answer", "%(n)d conversations waiting for an answer", count
            )
            % {"n": count},
            url=reverse("messaging:store_inbox", args=[store.slug]),
            detail=_("Waiting since: %(when)s") % {"when": moment_text(since)},
        )
    ]
