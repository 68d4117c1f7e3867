from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from django.conf import settings

        from api import services
        from api.demo import demo_api_keys
        from api.ratelimit import parse_rate
        from portal.deadlines import HOURLY, register_sweep
        from portal.demo import register_demo_printout
        from portal.settings_sections import StoreSettingsSection, register_store_settings_section

        # Fail at start-up, not on the first request, when the rate setting is malformed.
        parse_rate(settings.OPINIA_API_RATE_LIMIT)
        # Idempotency records past OPINIA_API_IDEMPOTENCY_RETENTION_HOURS: delete them. Retention, left to beat.
        register_sweep(
            "api.idempotency_prune",
            lambda now: services.idempotency_records_prune(now=now),
            schedule=HOURLY,
            deadline=False,
        )
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
        register_demo_printout(demo_api_keys)
        # A key changed or deleted (revoked, above all) is forgotten by this process at once,
        # and so are the keys of a user saved (their language is the keys' problems' language).
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from api.models import ApiKey
        from api.selectors import api_keys_forget

        for signal in (post_save, post_delete):
            signal.connect(
                lambda **kwargs: api_keys_forget(), sender=ApiKey, weak=False, dispatch_uid="api-keys-forget"
            )
            signal.connect(
                lambda instance, **kwargs: api_keys_forget(created_by_id=instance.pk),
                sender=get_user_model(),
                weak=False,
                dispatch_uid="api-keys-forget-creator",
            )
