"""Input validation of the feedback pages; the services check the rules again."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from feedback.models import ReviewReport
from feedback.receipts import receipt_normalise
from portal.models import OrderItem
from portal.uploads import PhotosField

STAR_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


def stars_field(*, label: Any, required: bool = True) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=STAR_CHOICES,
        coerce=int,
        required=required,
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose from 1 to 5 stars.")},
    )


def text_field(*, label: Any, required: bool = False, max_length: int | None = None) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length or settings.OPINIA_REVIEW_TEXT_MAX,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@dataclass
class ItemFields:
    item: OrderItem
    stars: forms.BoundField
    text: forms.BoundField
    photos: forms.BoundField


class ReviewForm(forms.Form):
    """Stars (required), words and photos for every item, and the optional detailed ratings."""

    as_described = stars_field(required=False, label=_("Item as described"))
    communication = stars_field(required=False, label=_("Communication"))
    shipping = stars_field(required=False, label=_("Shipping speed"))

    def __init__(self, *args: Any, items: list[OrderItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"stars_{item.pk}"] = stars_field(label=_("Your rating"))
            self.fields[f"text_{item.pk}"] = text_field(label=_("Your review (optional)"))
            self.fields[f"photos_{item.pk}"] = PhotosField(
                max_count=settings.OPINIA_PHOTOS_PER_ITEM, label=_("Photos (optional, up to 5)")
            )
            self.fields[f"photos_{item.pk}"].widget.attrs["data-preview"] = f"preview-{item.pk}"

    def item_rows(self) -> list[ItemFields]:
        return [
            ItemFields(
                item=item,
                stars=self[f"stars_{item.pk}"],
                text=self[f"text_{item.pk}"],
                photos=self[f"photos_{item.pk}"],
            )
            for item in self.items
        ]

    def detail_fields(self) -> list[forms.BoundField]:
        return [self["as_described"], self["communication"], self["shipping"]]


class SellerRatingForm(forms.Form):
    stars = stars_field(label=_("Your rating of the buyer"))
    text = text_field(label=_("Comment (optional)"))


class AdditionalReviewForm(forms.Form):
    text = text_field(label=_("Additional review"), required=True)
    photos = PhotosField(max_count=settings.OPINIA_PHOTOS_PER_ITEM, label=_("Photos (optional, up to 5)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["photos"].widget.attrs["data-preview"] = "preview-additional"


class ReplyForm(forms.Form):
    text = text_field(label=_("Your public reply"), required=True)


class RevisionAnswerForm(forms.Form):
    stars = stars_field(label=_("New rating"))
    note = text_field(label=_("Note (optional)"))


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=ReviewReport.Reason.choices, widget=forms.RadioSelect)
    details = text_field(label=_("Details (optional)"), max_length=500)


class ModerationForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the log"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReceiptCheckForm(forms.Form):
    receipt = forms.CharField(
        label=_("Receipt"),
        max_length=40,
        help_text=_("The 12 characters the buyer was shown when they submitted the review."),
    )
    review = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean_receipt(self) -> str:
        receipt = receipt_normalise(self.cleaned_data["receipt"])
        if receipt is None:
            raise forms.ValidationError(_("A receipt is 12 characters, 0–9 and a–f."), code="invalid")
        return receipt
