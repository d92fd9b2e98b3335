"""Run Podium locally: Redis (embedded unless REDIS_URL is set), a Celery worker and the web server."""
from __future__ import annotations

import os
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from podium.devstack import EmbeddedRedis, start_web, start_worker, stop_process


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args: Any, bind: str, concurrency: int, **options: Any) -> None:
        embedded = None
        env: dict[str, str] = {}
        if "REDIS_URL" not in os.environ:
            embedded = EmbeddedRedis(settings.REDIS_SOCKET).start()
            env["REDIS_URL"] = embedded.url
            self.stdout.write(f"Redis: embedded at {embedded.socket_path}")
        else:
            self.stdout.write(f"Redis: {os.environ['REDIS_URL']}")
        # Three workers: prediction files never wait behind models (a model may hold its worker for
        # minutes) or organizers' scoring programs (which may take minutes too); models run one at a
        # time, as on a GPU machine.
        children = [
            start_worker(queues="scoring", concurrency=concurrency, beat=True, env=env),
            start_worker(queues="programs", concurrency=1, env=env),
            start_worker(queues="inference", concurrency=1, env=env),
            start_web(bind=bind, env=env),
        ]
        stopping = False

        def request_stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        self.stdout.write(self.style.SUCCESS(f"Podium is running at http://{bind}/  (Ctrl-C to stop)"))
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.2)
        finally:
            self.stdout.write("Stopping…")
            for child in children:
                stop_process(child)
            if embedded is not None:
                embedded.stop()
        self.stdout.write("Stopped.")
