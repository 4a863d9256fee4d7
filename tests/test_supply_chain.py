"""Supply-chain guards: LiteLLM 1.82.7 and 1.82.8 were malicious releases (a .pth that ran at start-up)."""

from __future__ import annotations

import importlib.metadata
import re
import site
import sys
import sysconfig
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPROMISED = {"1.82.7", "1.82.8"}


def site_packages_dirs() -> list[Path]:
    """Every site-packages directory this interpreter reads (venv, user, system)."""
    candidates = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    candidates.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    candidates.add(site.getusersitepackages())
    candidates.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return sorted(Path(p) for p in candidates if Path(p).is_dir())


def litellm_hooks() -> list[Path]:
    return [d / "litellm_init.pth" for d in site_packages_dirs() if (d / "litellm_init.pth").exists()]


def test_installed_litellm_is_not_a_compromised_release():
    version = importlib.metadata.version("litellm")
    assert version not in COMPROMISED, f"litellm {version} is a known malicious release: uninstall it now"


def test_pyproject_pins_litellm_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = [dep for dep in project["dependencies"] if re.match(r"litellm\b(?![-_.\w])", dep.split("[")[0])]
    assert len(specs) == 1, f"expected one litellm requirement, found {specs}"
    match = re.fullmatch(r"litellm(\[[^\]]*\])?==(\d+(?:\.\d+)*)", specs[0].replace(" ", ""))
    assert match, f"litellm must be pinned with == to one version (got {specs[0]!r})"
    assert match.group(2) not in COMPROMISED, f"pyproject.toml pins a malicious litellm release ({specs[0]})"


def test_pinned_litellm_is_the_installed_one():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    [spec] = [dep for dep in project["dependencies"] if dep.replace(" ", "").startswith("litellm==")]
    assert importlib.metadata.version("litellm") == spec.split("==", 1)[1].strip()


def test_no_litellm_init_pth_in_site_packages():
    assert site_packages_dirs(), "found no site-packages directory to inspect"
    found = [str(path) for path in litellm_hooks()]
    assert not found, f"malicious start-up hook present: {found}; remove it and reinstall from a clean environment"


def test_pth_scan_would_catch_the_hook(tmp_path, monkeypatch):
    """The scan above looks where Python looks: a planted hook on sys.path is found."""
    planted = tmp_path / "site-packages"
    planted.mkdir()
    (planted / "litellm_init.pth").write_text("import os\n")
    monkeypatch.setattr(sys, "path", [*sys.path, str(planted)])
    assert planted / "litellm_init.pth" in litellm_hooks()
