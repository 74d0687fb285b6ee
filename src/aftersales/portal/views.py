from __future__ import annotations

from django.shortcuts import render


def track(request):
    return render(request, "portal/track.html", {})
