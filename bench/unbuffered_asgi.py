"""The benchmarks' reference web app: Django in a2wsgi's threads, each body handed over as it arrives (no
podium.request_bodies), as Podium served requests before bodies were read on the event loop."""
from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podium.settings")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

application = WSGIMiddleware(get_wsgi_application(), workers=int(os.environ.get("PODIUM_WEB_THREADS", "8")))
