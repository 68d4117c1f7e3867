"""The automatic rating is inserted by raw SQL (set-based): its column list comes from the model,
and every NOT NULL field is given a value, so a new required field fails here, not in the sweep."""

from feedback.models import ItemReview
from feedback.services import automatic_review_values


def test_the_insert_sets_every_required_field_of_the_model():
    values = automatic_review_values(true="true", false="false")
    required = {field.name for field in ItemReview._meta.concrete_fields if not field.primary_key and not field.null}
    concrete = {field.name for field in ItemReview._meta.concrete_fields}
    assert required - set(values) == set(), "add the new field's value to automatic_review_values"
    assert set(values) <= concrete
    assert list(values.values()).count("%s") == 2  # the creation and publication moments
