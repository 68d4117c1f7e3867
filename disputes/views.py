"""HTTP for disputes, penalties and complaints. Every object is loaded through a `*_get_for_user`."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from disputes import selectors, services, sweeps
from disputes.forms import (
    AppealForm,
    CancelForm,
    ComplaintForm,
    ComplaintFromOrderForm,
    DisputeOpenForm,
    EscalateForm,
    FollowUpForm,
    MessageForm,
    OfferForm,
    RateAnswerForm,
    ReturnShippedForm,
)
from disputes.models import Complaint, Dispute, PenaltyEntry
from disputes.services import complaints as complaint_services
from portal.form_errors import add_service_error
from portal.http import object_view
from portal.http import request_user as _user
from portal.models import Store, User
from portal.rules import rules_now
from portal.selectors import order_get_for_buyer, store_get_for_member, store_memberships_of

# Loaders for `object_view`: the URL's object, or 404 for "missing or not yours".


def _dispute_for_user(request: HttpRequest, dispute_id: int) -> Dispute:
    return selectors.dispute_get_for_user(user=_user(request), dispute_id=dispute_id)


def _store_for_member(request: HttpRequest, slug: str) -> Store:
    return store_get_for_member(user=_user(request), slug=slug)


def _complaint_for_user(request: HttpRequest, complaint_id: int) -> Complaint:
    return selectors.complaint_get_for_user(user=_user(request), complaint_id=complaint_id)


# --- Opening ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dispute_open(request: HttpRequest, order_id: int) -> HttpResponse:
    user = _user(request)
    order = order_get_for_buyer(user=user, order_id=order_id)
    now = timezone.now()
    existing = selectors.open_dispute_for_order(order=order)
    if existing is not None:
        # One open dispute per order: a second attempt (a stale tab, the back button) lands on the open one.
        messages.info(request, _("A dispute is already open on this order."))
        return redirect("disputes:detail", dispute_id=existing.pk)
    refusal = services.dispute_opening_refusal(order=order, now=now)
    reasons = services.dispute_opening_reasons(order=order, now=now)
    form = DisputeOpenForm(request.POST or None, request.FILES or None, reasons=reasons, order=order)
    if request.method == "POST" and not refusal and form.is_valid():
        data = form.cleaned_data
        try:
            dispute = services.dispute_open(
                order_id=order.pk,
                buyer=user,
                reason=data["reason"],
                detail=data["detail"],
                requested_outcome=data["requested_outcome"],
                requested_amount=data["amount"],
                description=data["description"],
                photos=data["photos"],
                now=now,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your dispute is open. The seller has been told."))
            return redirect("disputes:detail", dispute_id=dispute.pk)
    return render(
        request,
        "disputes/open.html",
        {"order": order, "form": form, "refusal": refusal, "settings_days": rules_now().seller_response_days},
        status=400 if request.method == "POST" else 200,
    )


# --- The case page and its actions --------------------------------------------------------------------


def _case_context(request: HttpRequest, dispute: Dispute, **forms_in: forms.Form) -> dict[str, Any]:
    user = _user(request)
    now = timezone.now()
    side = services.dispute_side(dispute=dispute, user=user)
    case = selectors.dispute_case(dispute=dispute)
    current = selectors.latest_offers(offers=case["offers"])  # type: ignore[arg-type]
    other_side = "seller" if side == "buyer" else "buyer"
    other_offer = current.get(other_side)
    store_slug = dispute.store.slug
    offer_form = forms_in.get("offer_form") or OfferForm()
    assert isinstance(offer_form, OfferForm)
    offer_form.limit_to_side(side)
    context: dict[str, Any] = {
        "dispute": dispute,
        "side": side,
        "store_slug": store_slug,
        "clocks": selectors.dispute_clocks(dispute=dispute, now=now),
        "current_offers": current,
        "acceptable_offer": other_offer if other_offer is not None and other_offer.accepted_at is None else None,
        "can_escalate": selectors.dispute_can_escalate(dispute=dispute, now=now, side=side),
        "offer_form": offer_form,
        "message_form": forms_in.get("message_form") or MessageForm(),
        "escalate_form": forms_in.get("escalate_form") or EscalateForm(),
        "return_form": forms_in.get("return_form") or ReturnShippedForm(),
        "cancel_form": forms_in.get("cancel_form") or CancelForm(),
        **case,
    }
    return context


@login_required
@require_http_methods(["GET", "POST"])
@object_view(load=_dispute_for_user, methods=["GET"])
def dispute_detail(request: HttpRequest, dispute: Dispute, dispute_id: int) -> HttpResponse:
    return render(request, "disputes/detail.html", _case_context(request, dispute))


def _action(
    request: HttpRequest,
    dispute_id: int,
    form_class: type[forms.Form],
    form_name: str,
    call: Callable[[Dispute, User, dict[str, Any]], object],
    success: str,
) -> HttpResponse:
    """POST one form of the case page: the service on success, the page with the typed input on error."""
    user = _user(request)
    dispute = selectors.dispute_get_for_user(user=user, dispute_id=dispute_id)
    if request.method == "GET":
        # Loaded first, so that a stranger gets 404 for every method, never 405.
        return redirect("disputes:detail", dispute_id=dispute.pk)
    passed = sweeps.dispute_catch_up(dispute_id=dispute.pk, now=timezone.now())
    if passed:
        messages.warning(request, " ".join([_("A deadline passed before your action:"), *passed]))
        if form_class is not MessageForm:
            # A deadline changed the case: show the new state, not a stale refusal. A message
            # still goes in if the case is open (and keeps its text with the refusal if not).
            return redirect("disputes:detail", dispute_id=dispute.pk)
        dispute.refresh_from_db()
    form = form_class(request.POST, request.FILES or None)
    if form.is_valid():
        try:
            call(dispute, user, form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, success)
            return redirect("disputes:detail", dispute_id=dispute.pk)
    dispute.refresh_from_db()
    if form.fields:
        messages.error(request, _("Please correct the errors below."))
    else:
        # A form without fields (accept, confirm receipt) can only carry the service's refusal.
        messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
    return render(request, "disputes/detail.html", _case_context(request, dispute, **{form_name: form}), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def dispute_offer(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _action(
        request,
        dispute_id,
        OfferForm,
        "offer_form",
        lambda d, u, data: services.dispute_make_offer(
            dispute_id=d.pk,
            actor=u,
            kind=data["kind"],
            amount=data["amount"],
            note=data["note"],
            photos=data["photos"],
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            now=timezone.now(),
        ),
        _("Your offer was sent."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def dispute_message(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _action(
        request,
        dispute_id,
        MessageForm,
        "message_form",
        lambda d, u, data: services.dispute_post_message(
            dispute_id=d.pk, actor=u, text=data["text"], photos=data["photos"], now=timezone.now()
        ),
        _("Your message was added to the case."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def dispute_escalate(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _action(
        request,
        dispute_id,
        EscalateForm,
        "escalate_form",
        lambda d, u, data: services.dispute_escalate(dispute_id=d.pk, actor=u, note=data["note"], now=timezone.now()),
        _("The platform will now decide the case."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def dispute_return_shipped(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _action(
        request,
        dispute_id,
        ReturnShippedForm,
        "return_form",
        lambda d, u, data: services.dispute_ship_return(
            dispute_id=d.pk, buyer=u, tracking_number=data["tracking_number"], now=timezone.now()
        ),
        _("The seller was told that the return is on its way."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def dispute_cancel(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _action(
        request,
        dispute_id,
        CancelForm,
        "cancel_form",
        lambda d, u, data: services.dispute_cancel(dispute_id=d.pk, buyer=u, note=data["note"], now=timezone.now()),
        _("The dispute was cancelled."),
    )


class _EmptyForm(forms.Form):
    """A form with no fields: a button whose POST carries only the CSRF token."""


@login_required
@require_http_methods(["GET", "POST"])
def dispute_accept(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _action(
        request,
        dispute_id,
        _EmptyForm,
        "accept_form",
        lambda d, u, data: services.dispute_accept_offer(dispute_id=d.pk, actor=u, now=timezone.now()),
        _("You accepted the offer."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def dispute_return_received(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _action(
        request,
        dispute_id,
        _EmptyForm,
        "received_form",
        lambda d, u, data: services.dispute_confirm_return(dispute_id=d.pk, seller=u, now=timezone.now()),
        _("Receipt confirmed: the refund is executed."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def dispute_replacement_received(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _action(
        request,
        dispute_id,
        _EmptyForm,
        "replacement_form",
        lambda d, u, data: services.dispute_confirm_replacement(dispute_id=d.pk, buyer=u, now=timezone.now()),
        _("Thank you: the replacement arrived and the case is closed."),
    )


# --- Lists -------------------------------------------------------------------------------------------------


@login_required
@require_GET
def my_disputes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    stores = [m.store for m in store_memberships_of(user=user)]
    return render(
        request,
        "disputes/my_disputes.html",
        {"disputes": selectors.disputes_for_buyer(user=user)[:100], "stores": stores},
    )


@login_required
@require_http_methods(["GET", "POST"])
@object_view(load=_store_for_member, methods=["GET"])
def store_disputes(request: HttpRequest, store: Store, slug: str) -> HttpResponse:
    open_only = request.GET.get("open") == "1"
    now = timezone.now()
    disputes = list(selectors.disputes_for_store(store=store, open_only=open_only)[:200])
    return render(
        request,
        "disputes/store_disputes.html",
        {
            "store": store,
            "rows": [(d, selectors.dispute_clocks(dispute=d, now=now)[:1]) for d in disputes],
            "open_only": open_only,
            "points": selectors.penalty_points_live(store=store, now=now),
        },
    )


# --- Penalties ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@object_view(load=_store_for_member, methods=["GET"])
def store_penalties(request: HttpRequest, store: Store, slug: str) -> HttpResponse:
    now = timezone.now()
    entries = list(selectors.penalties_for_store(store=store))
    return render(
        request,
        "disputes/penalties.html",
        {
            "store": store,
            "rows": [
                (
                    entry,
                    entry.expires_at > now,
                    selectors.penalty_can_appeal(entry=entry, now=now),
                    selectors.penalty_appeal_deadline(entry=entry),
                )
                for entry in entries
            ],
            "points": selectors.penalty_points_live(store=store, now=now),
            "restricted": selectors.store_is_restricted(store=store, now=now),
            "threshold": selectors.restriction_threshold(),
            "expiry_days": rules_now().penalty_expiry_days,
        },
    )


def _penalty_for_member(user: User, slug: str, entry_id: int) -> PenaltyEntry:
    store = store_get_for_member(user=user, slug=slug)
    entry = PenaltyEntry.objects.select_related("dispute__order", "store").filter(pk=entry_id, store=store).first()
    if entry is None:
        raise Http404("No such penalty entry.")
    return entry


@login_required
@require_http_methods(["GET", "POST"])
def penalty_appeal(request: HttpRequest, slug: str, entry_id: int) -> HttpResponse:
    user = _user(request)
    entry = _penalty_for_member(user, slug, entry_id)
    now = timezone.now()
    form = AppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = complaint_services.penalty_appeal(
                entry_id=entry.pk,
                actor=user,
                text=form.cleaned_data["text"],
                photos=form.cleaned_data["photos"],
                now=now,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your appeal was sent to the platform."))
            return redirect("disputes:complaint_detail", complaint_id=complaint.pk)
    return render(
        request,
        "disputes/appeal.html",
        {
            "store": entry.store,
            "entry": entry,
            "form": form,
            "can_appeal": selectors.penalty_can_appeal(entry=entry, now=now),
            "deadline": selectors.penalty_appeal_deadline(entry=entry),
            "appeal_days": (selectors.penalty_appeal_deadline(entry=entry) - entry.created_at).days,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Complaints ------------------------------------------------------------------------------------------------


@login_required
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "disputes/complaint_list.html",
        {"complaints": selectors.complaints_for_user(user=_user(request))[:100]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    initial: dict[str, Any] = {key: request.GET[key] for key in ("subject", "store", "reference") if key in request.GET}
    # Opened from an order page: that order is preselected and its store named. Another
    # buyer's order is a 404 like everywhere else, so its number and store never show here.
    from_order = None
    query = ComplaintFromOrderForm(request.GET)
    order_id = query.cleaned_data.get("order") if query.is_valid() else None  # a malformed id is ignored
    if order_id is not None:
        from_order = order_get_for_buyer(user=user, order_id=order_id)
        initial.update(order=from_order.pk, store=from_order.store.slug)
    form = ComplaintForm(request.POST or None, request.FILES or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = complaint_services.complaint_submit(
                author=user,
                subject=data["subject"],
                category=data["category"],
                text=data["text"],
                store=data["store"],
                order=data["order"],
                reference=data["reference"],
                photos=data["photos"],
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your complaint was sent. The platform answers within 48 hours."))
            return redirect("disputes:complaint_detail", complaint_id=complaint.pk)
    return render(
        request,
        "disputes/complaint_new.html",
        {"form": form, "from_order": from_order},
        status=400 if request.method == "POST" else 200,
    )


def _complaint_page(
    request: HttpRequest, complaint: Complaint, status: int = 200, **forms_in: forms.Form
) -> HttpResponse:
    return render(
        request,
        "disputes/complaint_detail.html",
        {
            "complaint": complaint,
            "events": complaint.events.select_related("actor").order_by("created_at", "pk"),
            "photos": complaint.photos.order_by("pk"),
            "clock": selectors.complaint_clock(complaint=complaint, now=timezone.now()),
            "forms_with_errors": list(forms_in.values()),
            "rate_form": forms_in.get("rate_form") or RateAnswerForm(),
            "follow_form": forms_in.get("follow_form") or FollowUpForm(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@object_view(load=_complaint_for_user, methods=["GET"])
def complaint_detail(request: HttpRequest, complaint: Complaint, complaint_id: int) -> HttpResponse:
    return _complaint_page(request, complaint)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_rate(request: HttpRequest, complaint_id: int) -> HttpResponse:
    user = _user(request)
    complaint = selectors.complaint_get_for_user(user=user, complaint_id=complaint_id)
    if request.method == "GET":
        return redirect("disputes:complaint_detail", complaint_id=complaint.pk)
    form = RateAnswerForm(request.POST)
    if form.is_valid():
        try:
            complaint_services.complaint_rate(
                complaint_id=complaint.pk,
                author=user,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Thank you for rating the answer."))
            return redirect("disputes:complaint_detail", complaint_id=complaint.pk)
    return _complaint_page(request, complaint, status=400, rate_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_follow_up(request: HttpRequest, complaint_id: int) -> HttpResponse:
    user = _user(request)
    complaint = selectors.complaint_get_for_user(user=user, complaint_id=complaint_id)
    if request.method == "GET":
        return redirect("disputes:complaint_detail", complaint_id=complaint.pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            complaint_services.complaint_follow_up(
                complaint_id=complaint.pk, author=user, text=form.cleaned_data["text"], now=timezone.now()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your reply was sent."))
            return redirect("disputes:complaint_detail", complaint_id=complaint.pk)
    return _complaint_page(request, complaint, status=400, follow_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_close(request: HttpRequest, complaint_id: int) -> HttpResponse:
    user = _user(request)
    complaint = selectors.complaint_get_for_user(user=user, complaint_id=complaint_id)
    if request.method == "GET":
        return redirect("disputes:complaint_detail", complaint_id=complaint.pk)
    try:
        complaint_services.complaint_close(complaint_id=complaint.pk, actor=user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The complaint is closed."))
    return redirect("disputes:complaint_detail", complaint_id=complaint.pk)
