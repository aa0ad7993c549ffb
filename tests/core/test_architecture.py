"""The shape DESIGN.md promises: a kernel that imports no feature, features that plug in
through `init_app` and the kernel's registries, and never import each other."""

import ast
from pathlib import Path

import network

PACKAGE = Path(network.__file__).parent
#: What every feature may build on: the kernel, the members (the people), the cooperative's
#: settings and the API's plumbing.
FOUNDATION = {"core", "extensions", "members", "cooperative", "api"}
#: Files that bring every module together on purpose.
ASSEMBLERS = {"__init__.py", "__main__.py", "demo.py"}


def _imported_modules(path: Path) -> set[str]:
    """The `network.<module>` names a file imports (at any depth of the file)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "network" and len(parts) > 1:
                found.add(parts[1])
    return found


def _features() -> list[str]:
    return [
        p.name
        for p in PACKAGE.iterdir()
        if (p / "__init__.py").exists() and p.name not in FOUNDATION | {"translations"}
    ]


def test_the_kernel_imports_no_feature_module():
    for path in (PACKAGE / "core").glob("*.py"):
        outside = _imported_modules(path) - {"core", "extensions"}
        assert not outside, f"{path.name} imports {outside}"


def test_features_never_import_each_other():
    features = set(_features())
    assert {"chat", "feed", "search", "skills", "workspaces"} <= features
    for feature in features:
        for path in (PACKAGE / feature).rglob("*.py"):
            others = (_imported_modules(path) & features) - {feature}
            assert not others, f"{feature}/{path.name} imports the feature(s) {others}"


def test_every_module_plugs_in_through_init_app():
    for name in network.MODULES:
        module = __import__(f"network.{name}", fromlist=["init_app"])
        assert callable(getattr(module, "init_app", None)), name
    assert set(_features()) <= set(network.MODULES)


def test_the_header_lists_what_modules_registered_for_each_viewer(client, make_member, login):
    member = make_member()
    page = login(member).get("/feed", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for label in ("Feed", "Members", "Channels", "Skills", "Workspaces"):
        assert f">{label}</a>" in page
    assert 'aria-current="page">Feed</a>' in page
    assert ">Support team</a>" not in page and ">Settings</a>" not in page


def test_staff_and_admins_see_their_entries(app, make_member, login):
    page = (
        login(make_member(role="admin"), c=app.test_client())
        .get("/staff/members", headers={"Accept-Language": "en"})
        .get_data(as_text=True)
    )
    assert 'aria-current="page">Support team</a>' in page
    assert ">Settings</a>" in page
