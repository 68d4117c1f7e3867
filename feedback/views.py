"""HTTP of the feedback app: buyer and seller pages. Every object is loaded through a
`*_get_for_*` selector, so another user's order or review is a 404 on GET and POST alike."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback import selectors, services
from feedback.forms import (
    AdditionalReviewForm,
    ReceiptCheckForm,
    ReplyForm,
    ReportForm,
    ReviewForm,
    RevisionAnswerForm,
    SellerRatingForm,
)
from feedback.models import FeedbackWindow, ItemReview, SellerRating
from portal.form_errors import add_service_error
from portal.http import request_user as _user
from portal.models import OrderItem, Photo
from portal.selectors import order_get_for_buyer

# A refused text is shown back up to its limit and a little more: enough to keep every word
# the page allowed, never megabytes of whatever was posted.
KEPT_TEXT_MARGIN = 100


# --- Buyer --------------------------------------------------------------------------------------


@login_required
@require_GET
def my_feedback(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "feedback/my_feedback.html",
        {"windows": selectors.windows_for_buyer(user=_user(request)), "now": timezone.now()},
    )


def _buyer_can_rate(window: FeedbackWindow) -> bool:
    return window.is_pending and window.buyer_rated_at is None and timezone.now() < window.closes_at


def _additional_allowed(window: FeedbackWindow) -> bool:
    return (
        window.state == FeedbackWindow.State.PUBLISHED
        and window.buyer_rated_at is not None
        and timezone.now() < window.additional_until
        and not hasattr(window, "additional_review")
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_form(request: HttpRequest, order_id: int) -> HttpResponse:
    """Rate the items and the store; afterwards, the buyer's own (sealed or published) feedback."""
    user = _user(request)
    window = selectors.window_find_for_buyer(user=user, order_id=order_id)
    if window is None:
        # The buyer's own order that has not completed (yet): say why, rather than a 404.
        order = order_get_for_buyer(user=user, order_id=order_id)
        return render(
            request,
            "feedback/not_completed.html",
            {"order": order},
            status=400 if request.method == "POST" else 200,
        )
    items = list(window.order.items.all())
    form: ReviewForm | None = None
    refused_texts: list[tuple[OrderItem, str]] = []
    if _buyer_can_rate(window):
        form = ReviewForm(request.POST or None, request.FILES or None, items=items)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.review_submit(
                    window_id=window.pk,
                    author=user,
                    items=[
                        services.ItemInput(
                            order_item_id=item.pk,
                            stars=data[f"stars_{item.pk}"],
                            text=data[f"text_{item.pk}"],
                            photos=data[f"photos_{item.pk}"],
                        )
                        for item in items
                    ],
                    as_described=data["as_described"],
                    communication=data["communication"],
                    shipping=data["shipping"],
                    now=timezone.now(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Thank you! Your feedback is sealed until the seller has rated you."))
                return redirect("feedback:review_form", order_id=order_id)
        if request.method == "POST" and not form.is_valid() and request.FILES:
            messages.error(request, _("Please correct the errors below and choose your photos again."))
    elif request.method == "POST":
        messages.error(request, _("This order can no longer be rated."))
        # The window closed (or the feedback was sent from another tab) while this was typed:
        # the words stay on the page, read-only, so that the buyer can copy them.
        kept = [
            (item, request.POST.get(f"text_{item.pk}", "")[: settings.OPINIA_REVIEW_TEXT_MAX + KEPT_TEXT_MARGIN])
            for item in items
        ]
        refused_texts = [(item, text) for item, text in kept if text.strip()]
    seller_rating = None
    if window.state == FeedbackWindow.State.PUBLISHED:
        seller_rating = SellerRating.objects.filter(window=window).first()
    window = selectors.window_get_for_buyer(user=user, order_id=order_id)
    return render(
        request,
        "feedback/review_form.html",
        {
            "window": window,
            "order": window.order,
            "form": form,
            "reviews": list(window.item_reviews.all()),
            "seller_rating": seller_rating,
            "additional": getattr(window, "additional_review", None),
            "refused_texts": refused_texts,
            "additional_allowed": _additional_allowed(window),
        },
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def additional_review(request: HttpRequest, order_id: int) -> HttpResponse:
    user = _user(request)
    window = selectors.window_get_for_buyer(user=user, order_id=order_id)
    form = AdditionalReviewForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.additional_review_submit(
                window_id=window.pk,
                author=user,
                text=form.cleaned_data["text"],
                photos=form.cleaned_data["photos"],
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your additional review is published."))
            return redirect("feedback:review_form", order_id=order_id)
    allowed = _additional_allowed(window)
    if form.is_bound and not allowed:
        # Refused (too late, or already added from another tab): the words stay on the page,
        # read-only, so that the buyer can copy them rather than lose them.
        form.fields["text"].widget.attrs["readonly"] = True
    return render(
        request,
        "feedback/additional_form.html",
        {"window": window, "order": window.order, "form": form, "allowed": allowed},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def revision_answer(request: HttpRequest, review_id: int) -> HttpResponse:
    user = _user(request)
    review = selectors.review_get_for_buyer(user=user, review_id=review_id)
    request_row = getattr(review, "revision_request", None)
    if request_row is None:
        raise Http404("No revision request.")
    form = RevisionAnswerForm(request.POST or None, initial={"stars": str(review.stars)})
    if request.method == "POST" and form.is_valid():
        try:
            services.revision_answer(
                review_id=review.pk,
                author=user,
                stars=form.cleaned_data["stars"],
                note=form.cleaned_data["note"],
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your review was updated."))
            return redirect("feedback:review_form", order_id=review.window.order_id)
    return render(
        request,
        "feedback/revision_form.html",
        {"review": review, "revision": request_row, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_review(request: HttpRequest, review_id: int) -> HttpResponse:
    review = selectors.review_get_public(review_id=review_id)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_report(
                review_id=review.pk,
                reporter=_user(request),
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        except PermissionDenied:
            raise Http404("No such review.") from None
        else:
            messages.success(request, _("Thank you. A moderator will look at this review."))
            return redirect("portal:product_page", slug=review.store.slug, product_slug=review.product.slug)
    return render(
        request,
        "feedback/report_form.html",
        {"review": review, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


def _back_to(request: HttpRequest, review: ItemReview) -> str:
    """Where a vote without JavaScript returns: the page it came from when it is ours, else the product page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("portal:product_page", args=[review.store.slug, review.product.slug]) + f"#review-{review.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def mark_helpful(request: HttpRequest, review_id: int) -> HttpResponse:
    """Mark a public review helpful, once. htmx swaps the button; without JavaScript the page
    comes back with a message. GET (where a signed-out visitor lands after logging in) asks first."""
    review = selectors.review_get_public(review_id=review_id)
    htmx = bool(getattr(request, "htmx", False))
    if request.method == "GET":
        return render(request, "feedback/helpful_confirm.html", {"review": review, "next": _back_to(request, review)})
    error = ""
    voted = False
    try:
        review, voted = services.review_mark_helpful(review_id=review.pk, voter=_user(request), now=timezone.now())
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    except ItemReview.DoesNotExist:
        raise Http404("No such review.") from None
    if htmx:
        return render(
            request,
            "feedback/_helpful_button.html",
            {"review_id": review.pk, "count": review.helpful_count, "done": not error, "error": error},
        )
    if error:
        messages.error(request, error)
    elif voted:
        messages.success(request, _("Thank you: your vote is counted."))
    else:
        messages.info(request, _("You have already marked this review as helpful."))
    return redirect(_back_to(request, review))


@require_GET
def verify_receipt(request: HttpRequest) -> HttpResponse:
    """Check a published review against the receipt its author was given: "matches" or "does not match".

    Reads public reviews only, so a receipt of a sealed review gets the same answer as one
    that never existed.
    """
    form = ReceiptCheckForm(request.GET or None)
    check = None
    review = None
    if form.is_bound and form.is_valid():
        check = selectors.review_receipt_check(
            receipt=form.cleaned_data["receipt"], review_id=form.cleaned_data.get("review")
        )
        if check.review_id is not None:
            review = selectors.review_get_public(review_id=check.review_id)
    return render(
        request,
        "feedback/verify_receipt.html",
        {"form": form, "check": check, "review": review},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_GET
def review_photo(request: HttpRequest, photo_uuid: str) -> HttpResponse:
    """One review photo, for htmx: a photo still being re-encoded by the worker replaces its
    placeholder once ready, without a reload (as in the message centre)."""
    photo = selectors.review_photo_get_for_user(user=request.user, photo_uuid=photo_uuid)
    if photo.status == Photo.Status.PROCESSING:
        return HttpResponse(status=204)  # nothing to swap yet; the placeholder asks again
    return render(request, "feedback/_photo.html", {"photo": photo})


# --- Seller -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def seller_rate(request: HttpRequest, slug: str, order_id: int) -> HttpResponse:
    user = _user(request)
    window = selectors.window_get_for_seller(user=user, slug=slug, order_id=order_id)
    can_rate = window.is_pending and window.seller_rated_at is None and timezone.now() < window.closes_at
    form = SellerRatingForm(request.POST or None) if can_rate else None
    if request.method == "POST":
        if form is None:
            messages.error(request, _("This buyer can no longer be rated."))
        elif form.is_valid():
            try:
                services.seller_rating_submit(
                    window_id=window.pk,
                    author=user,
                    stars=form.cleaned_data["stars"],
                    text=form.cleaned_data["text"],
                    now=timezone.now(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Your rating of the buyer is saved."))
                return redirect("feedback:seller_rate", slug=slug, order_id=order_id)
    window = selectors.window_get_for_seller(user=user, slug=slug, order_id=order_id)
    public_reviews: list[ItemReview] = []
    if window.state == FeedbackWindow.State.PUBLISHED:
        public_reviews = list(
            ItemReview.objects.filter(selectors.PUBLIC, window=window).select_related("product", "reply")
        )
    return render(
        request,
        "feedback/seller_rate.html",
        {
            "window": window,
            "store": window.store,
            "order": window.order,
            "form": form,
            "own_rating": SellerRating.objects.filter(window=window).first(),
            "public_reviews": public_reviews,
        },
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def invite(request: HttpRequest, slug: str, order_id: int) -> HttpResponse:
    user = _user(request)
    window = selectors.window_get_for_seller(user=user, slug=slug, order_id=order_id)
    try:
        services.review_invite(window_id=window.pk, actor=user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The buyer was invited to rate the order."))
    return redirect("portal:store_order_detail", slug=slug, order_id=order_id)


def _reply_page(request: HttpRequest, slug: str, context: dict[str, Any], **target: int) -> HttpResponse:
    user = _user(request)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reply_submit(author=user, text=form.cleaned_data["text"], now=timezone.now(), **target)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your reply is published."))
            return redirect("portal:store_dashboard", slug=slug)
    return render(
        request,
        "feedback/reply_form.html",
        {**context, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def reply(request: HttpRequest, slug: str, review_id: int) -> HttpResponse:
    review = selectors.review_get_for_seller(user=_user(request), slug=slug, review_id=review_id)
    revision = getattr(review, "revision_request", None)
    return _reply_page(
        request,
        slug,
        {"review": review, "store": review.store, "revision": revision, "now": timezone.now()},
        review_id=review.pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
def reply_additional(request: HttpRequest, slug: str, additional_id: int) -> HttpResponse:
    additional = selectors.additional_get_for_seller(user=_user(request), slug=slug, additional_id=additional_id)
    return _reply_page(
        request, slug, {"additional": additional, "store": additional.store}, additional_id=additional.pk
    )


@login_required
@require_POST
def request_revision(request: HttpRequest, slug: str, review_id: int) -> HttpResponse:
    user = _user(request)
    review = selectors.review_get_for_seller(user=user, slug=slug, review_id=review_id)
    try:
        services.revision_request(review_id=review.pk, actor=user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The buyer was asked to reconsider the review."))
    return redirect("feedback:reply", slug=slug, review_id=review.pk)
