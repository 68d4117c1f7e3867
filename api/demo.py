"""The demo's API keys: one integration key and one store key, printed at every `seed_demo` run.

A key's secret exists only when it is issued, so each run revokes the previous demo keys and
issues new ones: the printed keys always work, and no older demo key does.
"""

from django.utils import timezone

from api import services
from api.models import ApiKey
from api.scopes import INTEGRATION_SCOPES, STORE_SCOPES
from portal.models import Store, User

DEMO_STAFF_EMAIL = "staff@opinia.test"
DEMO_SELLER_EMAIL = "seller@opinia.test"
DEMO_INTEGRATION_KEY_NAME = "Demo marketplace"
DEMO_STORE_KEY_NAME = "Demo helpdesk"


def demo_api_keys() -> list[str]:
    """Revoke the previous demo keys, issue new ones through `api_key_issue`, and return the lines to print."""
    staff = User.objects.filter(email=DEMO_STAFF_EMAIL, is_staff=True).first()
    store = Store.objects.filter(owner__email=DEMO_SELLER_EMAIL).order_by("pk").first()
    if staff is None or store is None:
        return []
    now = timezone.now()
    for key in ApiKey.objects.filter(
        kind=ApiKey.Kind.INTEGRATION, name=DEMO_INTEGRATION_KEY_NAME, revoked_at__isnull=True
    ):
        services.api_key_revoke(key_id=key.pk, actor=staff, now=now)
    for key in ApiKey.objects.filter(
        kind=ApiKey.Kind.STORE, store=store, name=DEMO_STORE_KEY_NAME, revoked_at__isnull=True
    ):
        services.api_key_revoke(key_id=key.pk, actor=store.owner, now=now, store=store)
    integration = services.api_key_issue(
        kind=ApiKey.Kind.INTEGRATION,
        name=DEMO_INTEGRATION_KEY_NAME,
        scopes=list(INTEGRATION_SCOPES),
        actor=staff,
        now=now,
    )
    store_key = services.api_key_issue(
        kind=ApiKey.Kind.STORE,
        store=store,
        name=DEMO_STORE_KEY_NAME,
        scopes=list(STORE_SCOPES),
        actor=store.owner,
        now=now,
    )
    return [
        "Demo API keys (new at each run; the previous ones are revoked; see docs/api.md):",
        f"  integration (all scopes)  INTEGRATION_KEY={integration.secret}",
        f"  store {store.name} (all scopes)  STORE_KEY={store_key.secret}",
    ]
