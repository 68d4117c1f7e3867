"""The empty choice of a select list is translated like the rest of the page (issue 13, defect 3)."""

import re

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from portal.models import Order
from portal.tests.factories import make_order

LANGUAGES = ["pl", "zh-hans", "ko", "gu"]
ENGLISH = "- Select an option -"


def _in(language: str) -> str:
    with translation.override(language):
        text = translation.gettext(ENGLISH)
    assert text != ENGLISH, f"no {language} translation of {ENGLISH!r}"
    return text


@pytest.mark.parametrize("language", LANGUAGES)
def test_complaint_forms_order_list_offers_a_translated_empty_choice(client, buyer, store, language):
    make_order(buyer=buyer, store=store, status=Order.Status.SHIPPED)
    buyer.language = language
    buyer.save(update_fields=["language"])
    client.force_login(buyer)
    body = client.get(reverse("disputes:complaint_new")).content.decode()
    select = re.search(r'<select name="order"[^>]*>(.*?)</select>', body, re.DOTALL)
    assert select
    assert f'<option value="" selected>{escape(_in(language))}</option>' in select.group(1)
    assert ENGLISH not in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_model_select_gets_the_translated_empty_choice(db, language):
    field = forms.ModelChoiceField(queryset=Order.objects.none(), required=False)
    with translation.override(language):
        assert str(field.empty_label) == _in(language)
