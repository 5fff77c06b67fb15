"""Every environment variable the code reads is in .env.example and the README table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READERS = re.compile(
    r"""(?:_int|_bool|_required|env\.(?:str|int|bool|list|db)|os\.environ\.get|getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)
SOURCES = [
    "portal/settings.py",
    "portal/demo.py",
    "bench",
    "loadtest",
    "accounts/management",
]
# Read from the environment by tools, not by the portal's settings.
NOT_SETTINGS = {
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "CI",
    "PATH",
    "HOME",
}


def read_variables() -> set[str]:
    names: set[str] = set()
    for source in SOURCES:
        path = ROOT / source
        files = [path] if path.is_file() else sorted(path.glob("**/*.py"))
        for file in files:
            names |= set(READERS.findall(file.read_text()))
    return names - NOT_SETTINGS


def test_variables_are_found():
    assert {
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "DATABASE_URL",
        "REDIS_URL",
    } <= read_variables()


def test_every_variable_is_in_env_example_and_readme():
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    missing_example = sorted(
        v for v in read_variables() if not re.search(rf"^#?\s*{v}=", example, re.M)
    )
    missing_readme = sorted(v for v in read_variables() if f"`{v}`" not in readme)
    assert not missing_example, f"add to .env.example: {missing_example}"
    assert not missing_readme, f"add to the README table: {missing_readme}"
