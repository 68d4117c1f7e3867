"""Personas shared by every app's tests: buyer, seller (store owner), agent, other_buyer, staff."""

import pytest
from django.contrib.auth.models import Group

from portal.models import StoreMember
from portal.tests.factories import ProductFactory, StoreFactory, UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def buyer(db):
    return UserFactory(email="buyer@example.com", display_name="Alice Buyer")


@pytest.fixture
def other_buyer(db):
    return UserFactory(email="other@example.com", display_name="Charlie Other")


@pytest.fixture
def seller(db):
    return UserFactory(email="seller@example.com", display_name="Bob Seller")


@pytest.fixture
def store(seller):
    return StoreFactory(owner=seller, name="Bob's Gadgets", slug="bobs-gadgets", time_zone="Asia/Shanghai")


@pytest.fixture
def agent(store):
    user = UserFactory(email="agent@example.com", display_name="Dana Agent")
    StoreMember.objects.create(store=store, user=user, role=StoreMember.Role.AGENT)
    return user


@pytest.fixture
def other_seller(db):
    user = UserFactory(email="otherseller@example.com", display_name="Erin Seller")
    StoreFactory(owner=user, name="Erin's Shop", slug="erins-shop")
    return user


@pytest.fixture
def product(store):
    return ProductFactory(store=store, title="USB-C cable", slug="usb-c-cable")


@pytest.fixture
def staff(db):
    user = UserFactory(email="staff@example.com", display_name="Sam Staff", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=["Dispute resolvers", "Moderators", "Support agents"]))
    return user


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from api.public_reads import forget_kept_ids

    cache.clear()
    forget_kept_ids()  # what slugs led to in the last test's database


@pytest.fixture(autouse=True)
def _kept_ids_last_the_test(monkeypatch):
    """What slugs led to stays kept for the whole test (the one-second bound has its own test): a
    slow machine never sends a read to the database between a test's pinned query counts."""
    from api import public_reads

    monkeypatch.setattr(public_reads, "KEPT_IDS_SECONDS", 3600.0)


@pytest.fixture(autouse=True)
def _forget_rules(monkeypatch):
    """Each test reads the versions of the rules its own database holds (a test's rows are rolled
    back), once: a slow test never reads them again halfway through a pinned query count."""
    from portal import rules

    monkeypatch.setattr(rules, "CACHE_SECONDS", 24 * 3600.0)
    rules.forget()
    yield
    rules.forget()


@pytest.fixture(autouse=True)
def _default_language_and_zone():
    """Each test starts in English and UTC: a request made by a Korean user leaves the thread Korean."""
    from django.utils import timezone, translation

    translation.activate("en")
    timezone.deactivate()
    yield
    translation.activate("en")
    timezone.deactivate()


BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser_page(live_server, settings):
    """A Playwright page in Debian's Chromium, against the live server (skipped where Chromium is missing)."""
    import os
    import shutil

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: .ci/run must install Debian's chromium package.")
        pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped.")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=BROWSER_ARGS, headless=True)
        context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1200, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
