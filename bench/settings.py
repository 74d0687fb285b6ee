"""The production settings plus one bare endpoint the intake figure is compared with."""

from aftersales.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
