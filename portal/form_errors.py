"""A service's refusal shown on the form that asked for it, in every app and the admin."""

from django import forms
from django.core.exceptions import ValidationError


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show `error` next to the field it names, or above the form.

    Services validate what forms cannot (state, deadlines, other rows) and raise a
    ValidationError that may name fields. A named field the form shows gets the message next
    to it; a field this form lacks (the service serves several forms, or the admin's form
    leaves it out) and a plain message go above the form, never a ValueError from `add_error`.
    """
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
