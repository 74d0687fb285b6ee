"""Settings for the test suite: the production settings, pointed at the test services.

`AFTERSALES_TEST_DATABASE_URL` and `AFTERSALES_TEST_REDIS_URL` (set by .ci/run) move the
suite onto PostgreSQL and Redis; without them it runs on SQLite with a database cache.
"""

from __future__ import annotations

import os
import tempfile
from urllib.parse import urlsplit

os.environ.setdefault("AFTERSALES_DATA_DIR", tempfile.mkdtemp(prefix="aftersales-test-"))
if os.environ.get("AFTERSALES_TEST_DATABASE_URL"):
    os.environ["AFTERSALES_DATABASE_URL"] = os.environ["AFTERSALES_TEST_DATABASE_URL"]
else:
    os.environ.pop("AFTERSALES_DATABASE_URL", None)
if os.environ.get("AFTERSALES_TEST_REDIS_URL"):
    # Each xdist worker gets a Redis database of its own: a test that clears the cache (the
    # rate-limit counters) would otherwise wipe a test's counters in the other worker.
    _redis = urlsplit(os.environ["AFTERSALES_TEST_REDIS_URL"])
    _db = int(_redis.path.strip("/") or 0)
    _worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    os.environ["AFTERSALES_REDIS_URL"] = _redis._replace(path=f"/{(_db - _worker) % 16}").geturl()
else:
    os.environ.pop("AFTERSALES_REDIS_URL", None)

from aftersales.settings import *  # noqa: E402,F403
from aftersales.settings import HUEY  # noqa: E402

# Tasks run inline in tests unless a test drives a real queue itself.
HUEY = {**HUEY, "immediate": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]

if DATABASES["default"]["ENGINE"] == "aftersales.core.sqlite":  # noqa: F405
    # A file, as in production: an in-memory shared-cache database answers "table is locked"
    # to a second connection instead of waiting, which is not what a real installation does.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
