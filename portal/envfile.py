"""Write a `.env` with freshly generated secrets for a local quick start.

Run as `python -m portal.envfile PATH [KEY=VALUE ...]`. An existing file is kept and
only missing keys are added, so a second `make demo` reuses the same secrets (and so
can still decrypt what the first run stored).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet


def _defaults() -> dict[str, str]:
    return {
        "DEBUG": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def _read(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def write_env(path: Path, overrides: dict[str, str]) -> list[str]:
    """Add missing keys (and the given overrides) to the file; return what changed."""
    current = _read(path)
    wanted = {**_defaults(), **overrides}
    changed = [
        k
        for k, v in wanted.items()
        if k not in current or (k in overrides and current[k] != v)
    ]
    if not changed:
        return []
    merged = {**wanted, **current, **overrides}
    text = "# Written by `make demo` for local use only. Never commit this file.\n"
    text += "".join(f"{key}={value}\n" for key, value in merged.items())
    path.write_text(text)
    os.chmod(path, 0o600)
    return changed


def main(argv: list[str]) -> int:
    """Write the file named by the first argument; later arguments are KEY=VALUE."""
    if not argv:
        print("usage: python -m portal.envfile PATH [KEY=VALUE ...]", file=sys.stderr)
        return 2
    overrides = dict(arg.split("=", 1) for arg in argv[1:])
    changed = write_env(Path(argv[0]), overrides)
    if changed:
        # Names only: the values are secrets.
        print(f"{argv[0]}: set {', '.join(changed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
