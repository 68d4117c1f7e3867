"""The delivery country's select, drawn once per language: the same markup as Django's own Select."""

import pytest
from django import forms
from django.utils import translation

from portal.countries import country_choices
from portal.forms import CountrySelect, DeliveryCountryForm


def _django_select(value: str | None, language: str) -> str:
    class Plain(forms.Form):
        country = forms.ChoiceField(label="Deliver to", choices=country_choices)

    with translation.override(language):
        return str(Plain(initial={"country": value})["country"])


@pytest.mark.parametrize("language", ["en", "pl", "zh-hans", "ko", "gu"])
@pytest.mark.parametrize("value", ["PL", "US", "", None, "XX", '"><script>'])
def test_the_drawn_select_is_djangos(language, value):
    CountrySelect._drawn.clear()
    for _ in range(2):  # drawn, then from the kept copy
        with translation.override(language):
            ours = str(DeliveryCountryForm(initial={"country": value})["country"])
        assert ours == _django_select(value, language)


def test_each_language_keeps_its_own_names_and_order():
    CountrySelect._drawn.clear()
    with translation.override("en"):
        english = str(DeliveryCountryForm(initial={"country": "DE"})["country"])
    with translation.override("pl"):
        polish = str(DeliveryCountryForm(initial={"country": "DE"})["country"])
    assert ">Germany<" in english
    assert ">Niemcy<" in polish
    assert '<option value="DE" selected>' in english
    assert '<option value="DE" selected>' in polish
    assert english.count(" selected") == polish.count(" selected") == 1


def test_a_bound_form_marks_the_posted_choice():
    with translation.override("en"):
        form = DeliveryCountryForm({"country": "FR"})
        html = str(form["country"])
    assert html == _bound_django_select("FR")
    assert '<option value="FR" selected>' in html


def _bound_django_select(value: str) -> str:
    class Plain(forms.Form):
        country = forms.ChoiceField(label="Deliver to", choices=country_choices)

    with translation.override("en"):
        return str(Plain({"country": value})["country"])


def test_the_options_are_drawn_once_per_language(monkeypatch):
    CountrySelect._drawn.clear()
    drawn = []
    original = forms.Select.optgroups

    def counting(self, name, value, attrs=None):
        drawn.append(name)
        return original(self, name, value, attrs)

    monkeypatch.setattr(forms.Select, "optgroups", counting)
    for country in ("PL", "DE", "US"):
        with translation.override("en"):
            str(DeliveryCountryForm(initial={"country": country})["country"])
    with translation.override("pl"):
        str(DeliveryCountryForm(initial={"country": "PL"})["country"])
    assert drawn == ["country", "country"]
