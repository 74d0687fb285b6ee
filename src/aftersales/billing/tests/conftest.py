"""Billing stands on the work-order world: the service network and a repair case."""

from aftersales.workorders.tests.conftest import network, repair_case  # noqa: F401
