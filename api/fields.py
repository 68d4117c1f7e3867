"""Naming a service's field errors as the API's request fields."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError


@contextmanager
def fields_as(names: dict[str, str]) -> Iterator[None]:
    """Re-raise a service's ValidationError with its fields renamed (`email` → `owner_email`)."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError({names.get(field, field): errors for field, errors in error.error_dict.items()}) from None
