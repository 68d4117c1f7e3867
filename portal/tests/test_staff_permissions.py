"""Staff rights are permissions: who holds one is chosen in one query, and no code spells a group name."""

import ast
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission

from portal.selectors import users_with_permission
from portal.tests.factories import UserFactory

# The staff groups the data migrations create and grant permissions to.
GROUP_NAMES = ("Dispute resolvers", "Moderators", "Support agents")


def _python_sources():
    root = Path(settings.BASE_DIR)
    skipped = {"migrations", "tests", "node_modules", "__pycache__", "var", "staticfiles"}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skipped and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py") and name != "conftest.py" and not name.startswith("test_"):
                yield root, Path(folder) / name


def test_no_code_outside_migrations_and_tests_names_a_staff_group():
    """Renaming a group in the admin must not remove rights, so code checks permissions only."""
    found = []
    for root, path in _python_sources():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += [f"{path.relative_to(root)}:{node.lineno}: {n}" for n in GROUP_NAMES if n in node.value]
    assert found == []


def test_the_scan_sees_the_code_it_guards():
    names = {str(path.relative_to(root)) for root, path in _python_sources()}
    assert {"portal/services.py", "disputes/sweeps.py", "messaging/selectors.py", "feedback/admin.py"} <= names
    assert not any("/migrations/" in name or "/tests/" in name for name in names)


@pytest.fixture
def perm(db):
    return Permission.objects.get(content_type__app_label="disputes", codename="resolve_dispute")


def test_users_with_permission_through_groups_directly_and_as_superusers(perm, django_assert_num_queries):
    renamed = Group.objects.get(name="Dispute resolvers")
    renamed.name = "Arbiters"
    renamed.save()
    in_group = UserFactory(email="group@example.com")
    in_group.groups.add(renamed)
    direct = UserFactory(email="direct@example.com")
    direct.user_permissions.add(perm)
    root = UserFactory(email="root@example.com", is_superuser=True)
    both = UserFactory(email="both@example.com")
    both.groups.add(renamed)
    both.user_permissions.add(perm)
    inactive = UserFactory(email="gone@example.com", is_active=False, is_superuser=True)
    inactive.groups.add(renamed)
    other = UserFactory(email="other@example.com")
    other.groups.set(Group.objects.filter(name="Moderators"))
    UserFactory(email="nobody@example.com")
    with django_assert_num_queries(1):
        holders = list(users_with_permission(perm="disputes.resolve_dispute"))
    assert holders == sorted([in_group, direct, root, both], key=lambda u: u.pk)


def test_users_with_permission_refuses_a_malformed_name(db):
    with pytest.raises(ValueError, match="resolve_dispute"):
        users_with_permission(perm="resolve_dispute")
