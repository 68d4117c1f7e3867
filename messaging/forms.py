"""Input validation of the message centre's forms (the services check the rules)."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from messaging.models import MessageReport, MessagingPreferences, SupportTopic
from portal.uploads import PhotosField


class MessageTextField(forms.CharField):
    """Browsers send a line break as CRLF but count it as one character against `maxlength`.

    Normalising to LF before the length check means a message the textarea accepted is
    never refused for being a few characters too long.
    """

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


class MessageForm(forms.Form):
    text = MessageTextField(
        label=_("Message"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField(
        label=_("Photos"),
        help_text=_("Up to 5 photos: JPEG, PNG or WebP, at most 5 MB each."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.OPINIA_MESSAGE_TEXT_MAX
        text_field = self.fields["text"]
        assert isinstance(text_field, forms.CharField)
        text_field.max_length = limit
        self.fields["text"].widget.attrs["maxlength"] = str(limit)
        self.fields["text"].validators.append(MaxLengthValidator(limit))
        photos_field = self.fields["photos"]
        assert isinstance(photos_field, PhotosField)
        photos_field.max_count = settings.OPINIA_PHOTOS_PER_ITEM

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("text") and not cleaned.get("photos") and not self.errors:
            raise forms.ValidationError(_("Write a message or attach a photo."), code="empty")
        return cleaned


class SupportStartForm(MessageForm):
    """The first message of a support chat names its topic; a message added to the open chat does not."""

    topic = forms.ChoiceField(
        label=_("What is your question about?"),
        choices=[("", "—"), *SupportTopic.choices],
        required=False,
    )

    def __init__(self, *args: Any, topic_required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].required = topic_required
        self.fields["topic"].error_messages["required"] = _("Choose what your question is about.")
        self.order_fields(["topic", "text", "photos"])


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why are you reporting this message?"), choices=MessageReport.Reason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Details (optional)"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How helpful was support?"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = MessagingPreferences
        fields = ("email_messages", "email_notifications", "sms_notifications")


class ResolveReportForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (MessageReport.Status.UPHELD, _("Uphold: remove the message")),
            (MessageReport.Status.DISMISSED, _("Dismiss the report")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note for the record"), required=False, max_length=500)


class NotificationFilterForm(forms.Form):
    """The Notifications tab's query string: a topic among those the reader has, and the page."""

    topic = forms.ChoiceField(label=_("Show"), required=False)
    # A keyset cursor: the id of the last notification on the previous page. Capped at the
    # largest id the database can hold, so a forged value is refused here, not by the database.
    before = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def __init__(self, *args: Any, topics: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic_field = self.fields["topic"]
        assert isinstance(topic_field, forms.ChoiceField)
        topic_field.choices = [("", _("All notifications")), *topics]
        topic_field.widget.attrs["id"] = "notifications-topic"

    def value(self, name: str) -> Any:
        """The field's cleaned value, or its empty value when it was bad (bad input never fails the page)."""
        if not self.is_valid() and name in self.errors:
            return None
        return self.cleaned_data.get(name)
