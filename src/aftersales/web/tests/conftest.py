from aftersales.web.tests.fixtures import *  # noqa: F403
