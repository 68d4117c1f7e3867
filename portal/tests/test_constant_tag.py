"""`{% constant %}`: the site's frame drawn once per language, never with a page's or a viewer's data."""

from django.template import Context, engines
from django.test import Client
from django.urls import reverse
from django.utils import translation

TEMPLATE = """{% load i18n portal_constant %}{% constant %}<a href="{% url 'portal:store_search' %}">{% translate "Stores" %}</a>[{{ secret }}]{% endconstant %}|{{ secret }}"""


def _template():
    return engines["django"].from_string(TEMPLATE)


def test_the_block_is_drawn_once_per_language():
    template = _template()
    with translation.override("en"):
        first = template.render({"secret": "a"})
        assert template.render({"secret": "b"}).split("|")[0] == first.split("|")[0]
    with translation.override("pl"):
        polish = template.render({"secret": "c"})
    assert first.startswith('<a href="/stores/">Stores</a>')
    assert polish.startswith('<a href="/stores/">Sklepy</a>')
    (node,) = [n for n in template.template.nodelist if type(n).__name__ == "ConstantNode"]
    assert sorted(language for _generation, language, _prefix in node.rendered) == ["en", "pl"]


def test_the_block_never_sees_the_page_or_the_viewer():
    template = _template()
    with translation.override("en"):
        html = template.render({"secret": "alice@example.com"})
    constant, page = html.split("|")
    assert "alice" not in constant
    assert constant.endswith("[]")
    assert page == "alice@example.com"


def test_the_block_never_sees_the_request(rf, buyer):
    template = engines["django"].from_string(
        "{% load portal_constant %}{% constant %}[{{ request.path }}{{ user }}{{ csrf_token }}]{% endconstant %}"
    )
    request = rf.get("/private/path/")
    request.user = buyer
    with translation.override("en"):
        assert template.render({}, request) == "[]"


def test_the_block_keeps_the_page_autoescape_setting():
    template = engines["django"].from_string(
        "{% load portal_constant %}{% autoescape off %}{% constant %}{{ '<b>'|safe }}{% endconstant %}{% endautoescape %}"
    )
    assert template.render({}) == "<b>"
    node = template.template.nodelist[1].nodelist[0]
    assert node.render(Context(autoescape=False)) == "<b>"


def test_each_reader_gets_the_frame_in_their_language(db, store):
    url = reverse("portal:store_page", args=[store.slug])
    english = Client(headers={"accept-language": "en"}).get(url).content.decode()
    korean = Client(headers={"accept-language": "ko"}).get(url).content.decode()
    assert "Skip to content" in english
    assert 'lang="en"' in english
    assert 'lang="ko"' in korean
    assert "Skip to content" not in korean
    assert '<option value="ko" selected lang="ko">' in korean


def test_a_changed_setting_draws_the_block_again(settings):
    template = engines["django"].from_string(
        "{% load static portal_constant %}{% constant %}{% static 'css/site.css' %}{% endconstant %}"
    )
    with translation.override("en"):
        before = template.render({})
        settings.STATIC_URL = "/elsewhere/"
        after = template.render({})
    assert before != after
    assert after.startswith("/elsewhere/")
