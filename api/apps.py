from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        # Fail at start-up, not on the first request, when the rate setting is malformed.
        from django.conf import settings

        from api.ratelimit import parse_rate
        from portal.settings_sections import StoreSettingsSection, register_store_settings_section

        parse_rate(settings.OPINIA_API_RATE_LIMIT)
        register_store_settings_section(
            StoreSettingsSection(
                key="api_keys",
                label=_("API keys"),
                description=_(
                    "Keys for your own software to read and answer the store's feedback, disputes and messages."
                ),
                url_name="api:store_keys",
            )
        )
