"""The work orders' service network and repair case, reused: returns are taken on the same
Spanish customer's washing machine."""

from __future__ import annotations

from aftersales.workorders.tests.conftest import network, repair_case, tech2  # noqa: F401
