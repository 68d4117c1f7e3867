"""The house's import rules, checked on the source (STYLE.md, "Layout").

- No module uses another module's private name: neither `from app.module import _name` nor
  `module._name` on an imported project module. A helper another module needs is public,
  with a proper name. Dunder names, Django's `_meta` and `_` (gettext) are allowed.
- `portal` imports none of the other apps; only its `urls.py` and settings wire them in.

Tests and migrations are not checked (a test may reach into the module it tests; a migration
keeps a frozen copy of what it needs).
"""

import ast
import importlib.util
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "messaging", "feedback", "disputes", "webhooks", "api", "trust")
ALLOWED_PRIVATE = {"_meta", "_"}
PORTAL_WIRING = {"portal/urls.py", "portal/settings.py"}


def _checked_files() -> list[Path]:
    files = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts:
                continue
            files.append(path)
    return files


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_project(module: str) -> bool:
    return module.split(".")[0] in APPS


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__")) and name not in ALLOWED_PRIVATE


def _is_module(dotted: str) -> bool:
    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, ValueError):
        return False


def _absolute(node: ast.ImportFrom, current: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _dotted(node: ast.expr) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"]; None for anything that is not a plain attribute chain."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    names.append(node.id)
    return names[::-1]


def private_uses(source: str, *, current: str, is_package: bool = False) -> list[str]:
    """Every use of another project module's private name in `source`, as readable strings."""
    tree = ast.parse(source)
    modules: dict[str, str] = {}  # local name -> the project module it is bound to
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_project(alias.name):
                    if alias.asname:
                        modules[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        modules[top] = top
        elif isinstance(node, ast.ImportFrom):
            source_module = _absolute(node, current, is_package)
            if not _is_project(source_module):
                continue
            for alias in node.names:
                if _is_private(alias.name):
                    found.append(f"line {node.lineno}: from {source_module} import {alias.name}")
                elif _is_module(f"{source_module}.{alias.name}"):
                    modules[alias.asname or alias.name] = f"{source_module}.{alias.name}"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not _is_private(node.attr):
            continue
        chain = _dotted(node.value)
        if chain is None or chain[0] not in modules:
            continue
        owner = ".".join([modules[chain[0]], *chain[1:]])
        if owner != current and _is_module(owner):
            found.append(f"line {node.lineno}: {owner}.{node.attr}")
    return found


def portal_imports_of_apps(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module]
        else:
            continue
        found += [f"line {node.lineno}: {name}" for name in names if name.split(".")[0] in APPS[1:]]
    return found


def test_the_checks_see_what_they_are_meant_to_see():
    """The checker itself: each forbidden form is reported, each allowed one is not."""
    source = "\n".join(
        [
            "from disputes.services.disputes import _lock",
            "from disputes import sweeps",
            "import messaging.services",
            "import feedback.services as feedback_services",
            "from django.utils.translation import gettext as _",
            "from django.db import _private_django_thing",
            "sweeps._group_members('x')",
            "messaging.services._preview(1)",
            "feedback_services._helper()",
            "sweeps.__name__",
            "model._meta",
            "sweeps.CLOCKS",
            "_('text')",
        ]
    )
    assert private_uses(source, current="portal.example") == [
        "line 1: from disputes.services.disputes import _lock",
        "line 7: disputes.sweeps._group_members",
        "line 8: messaging.services._preview",
        "line 9: feedback.services._helper",
    ]
    assert private_uses("from ._x import y\nfrom .sweeps import _due", current="disputes.admin") == [
        "line 2: from disputes.sweeps import _due"
    ]
    assert portal_imports_of_apps("from disputes import services\nimport portal.models\nimport feedback") == [
        "line 1: disputes",
        "line 3: feedback",
    ]


@pytest.mark.parametrize("path", _checked_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_uses_another_modules_private_names(path):
    source = path.read_text(encoding="utf-8")
    uses = private_uses(source, current=_module_name(path), is_package=path.name == "__init__.py")
    assert uses == [], f"{path.relative_to(ROOT)} uses private names of other modules: {uses}"


@pytest.mark.parametrize(
    "path",
    [path for path in _checked_files() if path.relative_to(ROOT).parts[0] == "portal"],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_portal_imports_none_of_the_other_apps(path):
    if path.relative_to(ROOT).as_posix() in PORTAL_WIRING:
        return
    found = portal_imports_of_apps(path.read_text(encoding="utf-8"))
    assert found == [], f"{path.relative_to(ROOT)} imports another app: {found}"


MEMBERSHIP_SELECTORS = "portal/selectors.py"


@pytest.mark.parametrize("path", _checked_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_store_membership_is_read_only_through_the_portal_selectors(path):
    """Who works for which store is read in one place, so a new membership rule changes one module."""
    if path.relative_to(ROOT).as_posix() == MEMBERSHIP_SELECTORS:
        return
    lines = [
        f"line {number}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "StoreMember.objects.filter(" in line
    ]
    assert lines == [], f"{path.relative_to(ROOT)} queries StoreMember directly ({lines}); use portal.selectors"


READ_ONLY_MIXIN = "portal/admin_mixins.py"
HAND_WRITTEN_READ_ONLY = ("def has_change_permission", "def has_delete_permission", "can_delete = False")


@pytest.mark.parametrize("path", _checked_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_admin_pages_are_made_read_only_by_the_one_mixin(path):
    """Refusing change and delete is written once; a page that needs an exception overrides the mixin."""
    if path.relative_to(ROOT).as_posix() == READ_ONLY_MIXIN:
        return
    lines = [
        f"line {number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.strip().startswith(HAND_WRITTEN_READ_ONLY)
    ]
    assert lines == [], f"{path.relative_to(ROOT)} refuses admin edits by hand ({lines}); use ReadOnlyAdminMixin"


def test_every_apps_tests_run_and_count_towards_coverage():
    """A new app's tests are in the suite `make test` runs, and its code in the coverage figure."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(config["tool"]["pytest"]["ini_options"]["testpaths"]) == {f"{app}/tests" for app in APPS}
    assert set(config["tool"]["coverage"]["run"]["source"]) == set(APPS)
