import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connections  # noqa: E402
from django.urls import get_resolver  # noqa: E402

application = get_wsgi_application()
# As aftersales.wsgi does: the URLconf loaded before gunicorn forks its workers.
get_resolver().url_patterns  # noqa: B018
connections.close_all()
