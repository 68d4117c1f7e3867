"""A service's ValidationError on the form that asked for it (`add_service_error`)."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from portal.form_errors import add_service_error


class NoteForm(forms.Form):
    note = forms.CharField()


def _bound() -> NoteForm:
    form = NoteForm({"note": "kept text"})
    assert form.is_valid()
    return form


def test_an_error_on_a_field_the_form_has_goes_next_to_it():
    form = _bound()
    add_service_error(form, ValidationError({"note": "Too rude."}))
    assert form.errors == {"note": ["Too rude."]}
    assert form["note"].value() == "kept text"


def test_an_error_on_a_field_the_form_lacks_goes_above_the_form_instead_of_raising():
    form = _bound()
    add_service_error(form, ValidationError({"amount": "Too much.", "note": "Too rude."}))
    assert form.errors["note"] == ["Too rude."]
    assert form.non_field_errors() == ["Too much."]


def test_a_plain_message_goes_above_the_form():
    form = _bound()
    add_service_error(form, ValidationError("The case is closed.", code="closed"))
    assert form.non_field_errors() == ["The case is closed."]
    assert form.errors.as_data()[NON_FIELD_ERRORS][0].code == "closed"


def test_a_list_of_messages_all_go_above_the_form():
    form = _bound()
    add_service_error(form, ValidationError(["First reason.", ValidationError("Second %(n)s.", params={"n": 2})]))
    assert form.non_field_errors() == ["First reason.", "Second 2."]


def test_a_non_field_key_in_an_error_dict_goes_above_the_form():
    form = _bound()
    add_service_error(form, ValidationError({NON_FIELD_ERRORS: ["Not now."], "note": ["Too rude."]}))
    assert form.non_field_errors() == ["Not now."]
    assert form.errors["note"] == ["Too rude."]
