"""Pages an app adds to a store's settings, listed on the settings page for the owner.

The core cannot import the apps, so an app that keeps per-store settings of its own (API keys,
webhook endpoints) registers a section here from its `AppConfig.ready()`: a translated label,
a sentence saying what it holds, and the name of its URL, which takes the store's slug.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

from portal.models import Store


@dataclass(frozen=True)
class StoreSettingsSection:
    key: str
    label: str | Promise
    description: str | Promise
    url_name: str

    def url(self, store: Store) -> str:
        return reverse(self.url_name, args=[store.slug])


STORE_SETTINGS_SECTIONS: dict[str, StoreSettingsSection] = {}


def register_store_settings_section(section: StoreSettingsSection) -> None:
    """Add (or replace, by key) a section linked from every store's settings page."""
    STORE_SETTINGS_SECTIONS[section.key] = section


def store_settings_sections(store: Store) -> list[tuple[StoreSettingsSection, str]]:
    """The registered sections with their URLs for `store`, in registration order."""
    return [(section, section.url(store)) for section in STORE_SETTINGS_SECTIONS.values()]
