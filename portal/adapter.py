"""allauth, fitted to the portal: messages in the page's language, failed-login limits that cannot lock a user out."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import get_ip
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation


def page_language(request: HttpRequest) -> str:
    """The language of the page a message made now will appear on.

    A signed-in user reads the site in their own language. Signing in happens halfway
    through a request that started anonymous (in the browser's language), so the user on
    the request decides, not the language that was active when the request began.
    """
    user = getattr(request, "user", None)
    language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    if language in dict(settings.LANGUAGES):
        return str(language)
    return translation.get_language() or settings.LANGUAGE_CODE


class AccountAdapter(DefaultAccountAdapter):
    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        # The message is rendered to text now and shown on the next page: render it in that page's language.
        with translation.override(page_language(request)):
            super().add_message(request, level, message_template, message_context, extra_tags, message)

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """Count failed logins per account *and* client address (ACCOUNT_RATE_LIMITS["login_failed"]).

        allauth counts them per account from anywhere, and refuses even the right password
        once the count is reached: anyone could then lock a chosen user out by typing wrong
        passwords for their e-mail. Per account and address, the guesser is stopped at their
        own address (and by the per-address limit across accounts) while the owner, from
        theirs, still signs in. `get_ip` is the address allauth's "ip" limits use (the
        client behind a trusted proxy, IPv6 grouped by prefix), so both limits agree.
        """
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{get_ip(request)}"
