"""The portal's allauth adapter: failed-login limits that cannot be turned against a user."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import get_ip
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
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
