"""The built distribution holds every package and data file of the source tree.

A wheel once shipped without ``m2gui.ui.plots`` and ``m2gui.ui.commands``
(pyproject.toml listed the packages by hand), so an installed ``m2gui`` died at
start. Building a wheel is too slow and needs the network for the unit tests
(``.ci/check-wheel`` builds, installs and starts one in CI); here the packaging
configuration is expanded the way setuptools expands it and compared with the
source tree.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Any

from setuptools import find_namespace_packages, find_packages

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "m2gui"


def setuptools_config() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        config: dict[str, Any] = tomllib.load(f)["tool"]["setuptools"]
    return config


def source_dir(name: str, package_dir: dict[str, str]) -> Path:
    """Where setuptools takes package ``name`` from (longest mapped prefix wins)."""
    parts = name.split(".")
    for i in range(len(parts), -1, -1):
        prefix = ".".join(parts[:i])
        if prefix in package_dir:
            return ROOT / package_dir[prefix] / Path(*parts[i:])
    return ROOT / Path(*parts)


def shipped_packages() -> dict[str, Path]:
    """The packages a build would put in the wheel, with their source folders."""
    config = setuptools_config()
    package_dir: dict[str, str] = dict(config.get("package-dir", {}))
    packages = config.get("packages", [])
    if isinstance(packages, dict):
        find = dict(packages["find"])
        finder = find_namespace_packages if find.pop("namespaces", True) else find_packages
        wheres = find.pop("where", ["."])
        packages = [
            name
            for where in ([wheres] if isinstance(wheres, str) else wheres)
            for name in finder(where=str(ROOT / where), **find)
        ]
    return {name: source_dir(name, package_dir) for name in packages}


def source_packages() -> set[str]:
    """Every folder under m2gui/ that holds Python code, as a dotted name."""
    found = set()
    for path in (ROOT / PACKAGE).rglob("*.py"):
        folder = path.parent.relative_to(ROOT)
        if "__pycache__" not in folder.parts:
            found.add(".".join(folder.parts))
    return found


def test_every_source_package_is_in_the_distribution() -> None:
    shipped = shipped_packages()
    missing = source_packages() - set(shipped)
    assert not missing, f"packages left out of the wheel: {sorted(missing)}"
    assert {"m2gui.ui.plots", "m2gui.ui.commands", "m2gui.resources"} <= set(shipped)
    for name, folder in shipped.items():
        assert (folder / "__init__.py").is_file(), f"{name}: no {folder}/__init__.py"


def test_every_data_file_is_in_the_distribution() -> None:
    """Non-Python files in a shipped package match its package-data patterns."""
    package_data: dict[str, list[str]] = setuptools_config().get("package-data", {})
    checked = []
    for name, folder in shipped_packages().items():
        patterns = package_data.get(name, []) + package_data.get("*", [])
        for path in folder.iterdir():
            if path.is_file() and path.suffix not in (".py", ".pyc"):
                assert any(fnmatch.fnmatch(path.name, p) for p in patterns), (
                    f"{path.relative_to(ROOT)} would be left out of the wheel"
                )
                checked.append(path.name)
    assert {"protocol.json", "cell_geometry.json"} <= set(checked)


def test_console_scripts_point_into_shipped_packages() -> None:
    with (ROOT / "pyproject.toml").open("rb") as f:
        scripts: dict[str, str] = tomllib.load(f)["project"]["scripts"]
    shipped = shipped_packages()
    assert set(scripts) == {"m2gui", "m2gui-sim", "m2gui-cli"}
    for target in scripts.values():
        module = target.split(":", 1)[0]
        package, _, leaf = module.rpartition(".")
        assert package in shipped, target
        assert (shipped[package] / f"{leaf}.py").is_file(), target
