"""allauth, fitted to the portal."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
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
