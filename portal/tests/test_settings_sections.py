"""Apps add pages to a store's settings through `portal.settings_sections`."""

import pytest
from django.urls import reverse

from portal.settings_sections import (
    STORE_SETTINGS_SECTIONS,
    StoreSettingsSection,
    register_store_settings_section,
)
from portal.tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_a_registered_section_is_linked_from_the_owners_settings_page(client, monkeypatch):
    monkeypatch.setattr("portal.settings_sections.STORE_SETTINGS_SECTIONS", dict(STORE_SETTINGS_SECTIONS))
    register_store_settings_section(
        StoreSettingsSection(
            key="public-page",
            label="Shop window",
            description="How the store looks to buyers.",
            url_name="portal:store_page",
        )
    )
    store = StoreFactory()
    client.force_login(store.owner)
    page = client.get(reverse("portal:store_settings", args=[store.slug])).content.decode()
    assert f'<a href="{reverse("portal:store_page", args=[store.slug])}">Shop window</a>' in page
    assert "How the store looks to buyers." in page
