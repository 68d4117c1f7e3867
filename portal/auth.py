"""The sign-in backends: Django's and allauth's, reading the signed-in user by one fixed statement.

Every signed-in request reads its user (`get_user`); through the ORM, building that query costs
more CPU than running it. The user is the same row, built the same way (`portal.db.model_by`),
and refused the same way when inactive.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError

from portal.db import model_by
from portal.models import User


class _UserByFixedStatement:
    def get_user(self, user_id: object) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = model_by(User, column=str(User._meta.pk.column), value=pk)
        if user is None or not self.user_can_authenticate(user):  # type: ignore[attr-defined]
            return None
        return user


class ModelBackend(_UserByFixedStatement, DjangoModelBackend):
    """Django's e-mail and password backend (the admin, `force_login`)."""


class AuthenticationBackend(_UserByFixedStatement, AllauthBackend):
    """allauth's backend (sign-in by e-mail through its forms)."""
