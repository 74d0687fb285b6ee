"""Configuration read from the environment, failing at start with a sentence that names
the variable."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no or on/off; it is {raw!r}."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; it is {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; it is {value}.")
    return value


def env_url(name: str, schemes: tuple[str, ...]) -> str | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}; "
            f"it is {raw!r}."
        )
    if not parsed.hostname and not parsed.path.strip("/"):
        raise ImproperlyConfigured(f"{name} must name a host or a database; it is {raw!r}.")
    return raw


def data_dir() -> Path:
    raw = os.environ.get("AFTERSALES_DATA_DIR", "").strip() or "./var"
    path = Path(raw).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"AFTERSALES_DATA_DIR must be a folder the service can create and write; "
            f"{path} cannot be used ({exc.strerror})."
        ) from None
    if not os.access(path, os.W_OK):
        raise ImproperlyConfigured(f"AFTERSALES_DATA_DIR {path} is not writable.")
    return path


def secret_key(directory: Path) -> str:
    """The key from AFTERSALES_SECRET_KEY, else one generated once and kept in the data folder,
    so every process of one installation signs sessions with the same key."""
    raw = os.environ.get("AFTERSALES_SECRET_KEY")
    if raw is not None:
        if len(raw) < 32:
            raise ImproperlyConfigured("AFTERSALES_SECRET_KEY must be at least 32 characters long.")
        return raw
    key_file = directory / "secret_key"
    if not key_file.exists():
        candidate = secrets.token_urlsafe(50)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process wrote it first; read theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(candidate)
    return key_file.read_text().strip()


def allowed_hosts() -> list[str]:
    raw = os.environ.get("AFTERSALES_ALLOWED_HOSTS")
    if raw is None:
        return ["127.0.0.1", "localhost", "[::1]"]
    hosts = [h.strip() for h in raw.split(",") if h.strip()]
    if not hosts:
        raise ImproperlyConfigured(
            "AFTERSALES_ALLOWED_HOSTS must list at least one host name, comma-separated."
        )
    return hosts


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None
    redis_url: str | None
    debug: bool


def load() -> Settings:
    return Settings(
        data_dir=data_dir(),
        database_url=env_url("AFTERSALES_DATABASE_URL", ("postgres", "postgresql", "sqlite")),
        redis_url=env_url("AFTERSALES_REDIS_URL", ("redis", "rediss", "unix")),
        debug=env_bool("AFTERSALES_DEBUG", False),
    )
