"""WSGI entry point: what podium.asgi runs in its threads for every request but event streams (or any WSGI server)."""
from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podium.settings")
application = get_wsgi_application()
