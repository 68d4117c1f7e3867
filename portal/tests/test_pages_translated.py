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
