"""The HTML report printed to PDF by headless chromium, when one is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from selector.errors import SelectorError

CHROMIUM_ENV = "SELECTOR_CHROMIUM"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "/usr/lib/chromium/chromium")


def find_chromium() -> str | None:
    """A chromium executable to print with: $SELECTOR_CHROMIUM when set (an empty or missing path means none)."""
    if CHROMIUM_ENV in os.environ:
        path = os.environ[CHROMIUM_ENV].strip()
        return path if path and os.access(path, os.X_OK) else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
        if found:
            return found
    return None


def write_pdf(html: str, out: str | Path, chromium: str | None = None, timeout_s: float = 90) -> bool:
    """Print the HTML report to PDF with headless chromium; False when no chromium is available."""
    chromium = chromium or find_chromium()
    if chromium is None:
        return False
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix="selector-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
            "--virtual-time-budget=5000", f"--print-to-pdf={out}", page.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SelectorError(f"PDF: chromium {chromium} failed ({type(exc).__name__})") from None
    if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        raise SelectorError(f"PDF: chromium {chromium} exited with code {done.returncode} and wrote no PDF")
    return True
