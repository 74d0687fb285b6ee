from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from aftersales.urls import handler404, handler500  # noqa: F401
from aftersales.urls import urlpatterns as app_urls


@csrf_exempt
def bare_insert(request):
    """The floor: one row inserted per request, through the same server, middleware and
    database, without any of the application's work."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_row (note) VALUES (%s)", ["x"])
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [path("bench/bare-insert", bare_insert), *app_urls]
