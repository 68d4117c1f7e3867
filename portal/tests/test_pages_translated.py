"""Every page a buyer, a seller and a staff member reaches from the navigation is free of the
catalogues' English in Polish, Chinese, Korean and Gujarati (server-rendered HTML, no browser).

The demo marketplace is the data: it has every kind of order, review, dispute and conversation.
"""

import html
import io
import pprint
import re

import pytest
from django.core.management import call_command

from portal.models import User
from portal.tests.pages import reachable_pages
from portal.tests.untranslated import find_untranslated, visible_texts_from_html

LANGUAGES = ["pl", "zh-hans", "ko", "gu"]
PERSONAS = ["buyer@opinia.test", "seller@opinia.test", "staff@opinia.test"]
HREF = re.compile(r'<a\b[^>]*\bhref="([^"]*)"')


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def _pages(client, email: str) -> list[str]:
    user = User.objects.get(email=email)
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)

    def links_of(path: str) -> list[str]:
        response = client.get(path, follow=True)  # /seller/ leads to the only store's desk
        assert response.status_code == 200, (email, path, response.status_code)
        return [html.unescape(href) for href in HREF.findall(response.content.decode())]

    return reachable_pages(["/"], links_of)


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("email", PERSONAS)
def test_every_page_a_person_reaches_is_translated(client, email):
    pages = _pages(client, email)
    assert len(pages) >= 8, pages
    user = User.objects.get(email=email)
    problems: dict[str, dict[str, list[str]]] = {}
    for language in LANGUAGES:
        user.language = language
        user.save(update_fields=["language"])
        client.force_login(user)
        for path in pages:
            response = client.get(path, follow=True)
            assert response.status_code == 200, (language, path, response.status_code)
            texts = visible_texts_from_html(response.content.decode(), language)
            left = find_untranslated(texts, language)
            if left:
                problems.setdefault(language, {})[path] = left
    if problems:
        pytest.fail("English left on translated pages:\n" + pprint.pformat(problems, width=120))


PROJECT_APPS = ("portal", "messaging", "feedback", "disputes", "api")
PERMISSION_PICKERS = re.compile(r'<select[^>]*name="(?:user_permissions|permissions)"[^>]*>.*?</select>', re.S)


@pytest.mark.usefixtures("demo")
def test_every_admin_list_and_change_page_of_the_project_is_translated(client):
    """Staff reach every model of the project in the admin, not only the work queues the walk opens."""
    from django.contrib import admin
    from django.urls import reverse

    staff = User.objects.get(email="staff@opinia.test")
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    pages = []
    for model in admin.site._registry:
        meta = model._meta
        if meta.app_label not in PROJECT_APPS:
            continue
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
    assert len(pages) > 30
    problems: dict[str, dict[str, list[str]]] = {}
    for language in LANGUAGES:
        staff.language = language
        staff.save(update_fields=["language"])
        client.force_login(staff)
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, (language, path, response.status_code)
            # Django stores permission names ("Can view feedback window") in the database in English
            # and the user page's permission picker shows them as stored: Django's own limit, left out.
            page = PERMISSION_PICKERS.sub("", response.content.decode())
            left = find_untranslated(visible_texts_from_html(page, language), language)
            if left:
                problems.setdefault(language, {})[path] = left
    if problems:
        pytest.fail("English left on translated admin pages:\n" + pprint.pformat(problems, width=120))
