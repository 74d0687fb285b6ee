import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
application = get_wsgi_application()


def load_urls() -> None:
    """Imports the URLconf (every API router and its schemas) now rather than on the first
    request: under gunicorn, which loads this module before forking its workers, that work
    is done once and shared, instead of once per worker on its first request. No database
    connection opened meanwhile is carried into the workers."""
    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    connections.close_all()


load_urls()
