"""The generated demo credentials and ``<data-dir>/credentials.json`` (mode 0600).

They are generated with ``secrets`` on first start and never change after: a
reset restores them, and rotations made through the API live in the state only.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from dataclasses import asdict, dataclass, field
from pathlib import Path

_ID_ALPHABET = string.ascii_uppercase + string.digits
FILENAME = "credentials.json"


@dataclass(frozen=True)
class SeedCredentials:
    """The master account's REST and console credentials, plus seeded SA tokens."""

    auth_id: str
    auth_token: str
    email: str
    password: str
    sub_account_tokens: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Return the JSON form written to credentials.json."""
        return asdict(self)


def random_auth_id(prefix: str) -> str:
    """Return an auth id like ``MA_7K2Q9XBD``."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def generate() -> SeedCredentials:
    """Make new master credentials."""
    return SeedCredentials(
        auth_id=random_auth_id("MA_"),
        auth_token=secrets.token_urlsafe(30),
        email=f"admin+{secrets.token_hex(3)}@vobiz-sim.example",
        password=secrets.token_urlsafe(15),
    )


def write_private_json(path: Path, payload: object, *, compact: bool = False) -> None:
    """Write JSON atomically (temp file + rename) to a file only the owner reads."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if compact:
                json.dump(payload, handle, separators=(",", ":"))
            else:
                json.dump(payload, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_or_create(data_dir: Path) -> SeedCredentials:
    """Read credentials.json, creating it on first start."""
    path = data_dir / FILENAME
    if path.exists():
        raw = json.loads(path.read_text(encoding="utf-8"))
        return SeedCredentials(
            auth_id=raw["auth_id"],
            auth_token=raw["auth_token"],
            email=raw["email"],
            password=raw["password"],
            sub_account_tokens=dict(raw.get("sub_account_tokens", {})),
        )
    creds = generate()
    write_private_json(path, creds.as_dict())
    return creds


def with_sub_account_tokens(
    data_dir: Path, creds: SeedCredentials, sub_auth_ids: list[str]
) -> SeedCredentials:
    """Give every seeded sub-account a token, saving any new ones."""
    tokens = dict(creds.sub_account_tokens)
    missing = [sa for sa in sub_auth_ids if sa not in tokens]
    if not missing:
        return creds
    for sa in missing:
        tokens[sa] = secrets.token_urlsafe(30)
    updated = SeedCredentials(
        creds.auth_id, creds.auth_token, creds.email, creds.password, tokens
    )
    write_private_json(data_dir / FILENAME, updated.as_dict())
    return updated
