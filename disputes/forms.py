"""Input validation only: every rule about states and clocks lives in the services."""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from disputes.models import Complaint, Dispute
from portal.models import Order, User
from portal.uploads import PhotosField

AMOUNT = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0.01")}


class _AmountRequiredForPartial(forms.Form):
    kind_field = "kind"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get(self.kind_field) == Dispute.Outcome.PARTIAL_REFUND and not cleaned.get("amount"):
            self.add_error("amount", _("Enter the amount of the partial refund."))
        return cleaned


class DisputeOpenForm(_AmountRequiredForPartial):
    kind_field = "requested_outcome"

    reason = forms.ChoiceField(label=_("What went wrong?"), choices=())
    detail = forms.ChoiceField(
        label=_("If not as described: what differs?"),
        choices=[("", "—"), *Dispute.Detail.choices],
        required=False,
    )
    requested_outcome = forms.ChoiceField(
        label=_("What do you ask for?"),
        choices=[c for c in Dispute.Outcome.choices if c[0] in Dispute.BUYER_OUTCOMES],
        widget=forms.RadioSelect,
    )
    amount = forms.DecimalField(
        label=_("Partial refund amount"),
        required=False,
        help_text=_("Only for a partial refund; at most the order total."),
        **AMOUNT,  # type: ignore[arg-type]
    )
    description = forms.CharField(
        label=_("Describe the problem"), max_length=3000, widget=forms.Textarea(attrs={"rows": 5})
    )
    photos = PhotosField(
        label=_("Photos of the problem"),
        max_count=5,
        help_text=_(
            "Up to 5 photos (JPEG, PNG or WebP, at most 5 MB each). Only the seller and the platform see them."
        ),
    )

    def __init__(self, *args: Any, reasons: list[str], order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Dispute.Reason.choices)
        reason_field = self.fields["reason"]
        assert isinstance(reason_field, forms.ChoiceField)
        reason_field.choices = [(r, labels[r]) for r in reasons]
        self.fields["amount"].widget.attrs["max"] = str(order.total)
        self.fields["photos"].widget.attrs["data-preview"] = "photo-preview"


class OfferForm(_AmountRequiredForPartial):
    kind = forms.ChoiceField(label=_("Offer"), choices=Dispute.Outcome.choices)
    amount = forms.DecimalField(label=_("Amount"), required=False, **AMOUNT)  # type: ignore[arg-type]
    carrier = forms.CharField(label=_("Carrier of the replacement"), max_length=64, required=False)
    tracking_number = forms.CharField(label=_("Tracking number of the replacement"), max_length=64, required=False)
    note = forms.CharField(
        label=_("Explain your offer"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = PhotosField(
        label=_("Evidence photos (optional)"),
        max_count=5,
        help_text=_("Up to 5 photos; they are added to the case thread with your note."),
    )

    def limit_to_side(self, side: str | None) -> None:
        """A buyer's offers are refunds; a replacement is the seller's to offer."""
        if side != "seller":
            kind = self.fields["kind"]
            assert isinstance(kind, forms.ChoiceField)
            kind.choices = [c for c in Dispute.Outcome.choices if c[0] in Dispute.BUYER_OUTCOMES]


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message"),
        max_length=settings.OPINIA_MESSAGE_TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField(label=_("Photos (evidence)"), max_count=5)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (cleaned.get("text") or "").strip() and not cleaned.get("photos") and not self.errors:
            self.add_error("text", _("Write a message or attach a photo."))
        return cleaned


class EscalateForm(forms.Form):
    note = forms.CharField(
        label=_("Why should the platform decide?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnShippedForm(forms.Form):
    tracking_number = forms.CharField(label=_("Tracking number of the return"), max_length=64)


class CancelForm(forms.Form):
    note = forms.CharField(label=_("Reason (optional)"), max_length=300, required=False)


class ComplaintForm(forms.Form):
    subject = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[c for c in Complaint.Subject.choices if c[0] != Complaint.Subject.PENALTY_APPEAL],
    )
    category = forms.ChoiceField(label=_("Kind of problem"), choices=Complaint.Category.choices)
    store = forms.CharField(label=_("Store (name or address name)"), max_length=140, required=False)
    order = forms.ModelChoiceField(label=_("Order"), queryset=Order.objects.none(), required=False)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=300,
        required=False,
        help_text=_("A link to the review or message, or its number."),
    )
    text = forms.CharField(label=_("Your complaint"), max_length=3000, widget=forms.Textarea(attrs={"rows": 6}))
    photos = PhotosField(label=_("Attachments"), max_count=5)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        order_field = self.fields["order"]
        assert isinstance(order_field, forms.ModelChoiceField)
        order_field.queryset = Order.objects.filter(buyer=user).order_by("-placed_at")
        self.fields["photos"].widget.attrs["data-preview"] = "photo-preview"

    def clean_store(self) -> Any:
        from portal.models import Store

        slug = (self.cleaned_data.get("store") or "").strip()
        if not slug:
            return None
        # Buyers know a store by its name more often than by its address name: either will do.
        store = Store.objects.filter(slug=slug).first() or Store.objects.filter(name__iexact=slug).first()
        if store is None:
            raise forms.ValidationError(_("No store has the address name “%(slug)s”."), params={"slug": slug})
        return store

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # A complaint about an order is about its store, unless the author named another one.
        order = cleaned.get("order")
        if order is not None and not cleaned.get("store") and "store" not in self.errors:
            cleaned["store"] = order.store
        return cleaned


class ComplaintFromOrderForm(forms.Form):
    """The query string of the complaint form opened from an order page."""

    order = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Why should the points be withdrawn?"), max_length=3000, widget=forms.Textarea(attrs={"rows": 5})
    )
    photos = PhotosField(label=_("Attachments"), max_count=5)


class RateAnswerForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How helpful was the answer?"),
        choices=[(i, str(i)) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment (optional)"), max_length=500, required=False)


class FollowUpForm(forms.Form):
    text = forms.CharField(label=_("Reply"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    """The staff decision (admin)."""

    resolution = forms.ChoiceField(label=_("Decision"), choices=Dispute.Resolution.choices, widget=forms.RadioSelect)
    amount = forms.DecimalField(label=_("Partial refund amount"), required=False, **AMOUNT)  # type: ignore[arg-type]
    responsibility = forms.ChoiceField(
        label=_("Responsibility"), choices=Dispute.Responsibility.choices, widget=forms.RadioSelect
    )
    shipped_without_tracking = forms.BooleanField(
        label=_("Shipped without valid tracking: decide as refused to ship"),
        required=False,
        help_text=_(
            "The seller is responsible and the refused-to-ship penalty points apply, whatever reason the buyer gave."
        ),
    )
    note = forms.CharField(
        label=_("Note to both parties"), max_length=3000, widget=forms.Textarea(attrs={"rows": 4, "cols": 80})
    )

    def __init__(self, *args: Any, total: Decimal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs["max"] = str(total)
        self.fields["amount"].help_text = _("Only for a partial refund; at most %(total)s.") % {"total": total}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("resolution") == Dispute.Resolution.PARTIAL_REFUND and not cleaned.get("amount"):
            self.add_error("amount", _("Enter the amount of the partial refund."))
        return cleaned


class ComplaintAnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer to the author"), widget=forms.Textarea(attrs={"rows": 6, "cols": 80}))
    uphold_appeal = forms.BooleanField(label=_("Uphold the appeal: withdraw the penalty points"), required=False)
