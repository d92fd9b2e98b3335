"""How an inference worker reaches models, test inputs and predictions: a local folder or S3.

An inference worker has no database, so it cannot use Django's storage
through model fields; it works on the storage names its task message carries.
`LocalFiles` reads a folder shared with the web server (one host, or a shared
volume). `S3Files` talks to S3-compatible object storage with its own
credentials, which the operator scopes to test inputs and submissions
(docs/deploy.md): the truth files are never within its reach.

Test inputs from S3 are mirrored into a local cache and refreshed by ETag, so
a competition's images are downloaded once per worker host, not once per job.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Protocol


class JobFiles(Protocol):
    def fetch(self, name: str, target: Path) -> None: ...

    def inputs(self, prefix: str) -> Path: ...

    def store(self, source: Path, name: str) -> None: ...


class LocalFiles:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def fetch(self, name: str, target: Path) -> None:
        source = self.root / name
        if not source.is_file():
            raise FileNotFoundError(f"{name} is missing from storage {self.root}")
        shutil.copyfile(source, target)

    def inputs(self, prefix: str) -> Path:
        return self.root / prefix

    def store(self, source: Path, name: str) -> None:
        destination = self.root / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".partial")
        shutil.copyfile(source, partial)
        os.replace(partial, destination)  # readers never see half a file


class S3Files:
    def __init__(self, *, bucket: str, cache: Path, client: Any) -> None:  # a boto3 S3 client
        self.bucket = bucket
        self.cache = Path(cache)
        self.client = client

    def fetch(self, name: str, target: Path) -> None:
        self.client.download_file(self.bucket, name, str(target))

    def inputs(self, prefix: str) -> Path:
        """A local mirror of every object under `prefix`, brought up to date."""
        folder = self.cache / prefix
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder.with_name(folder.name + ".lock")):
            manifest_path = folder.with_name(folder.name + ".manifest.json")
            known = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
            current = dict(self._listing(prefix))
            for key, etag in current.items():
                local = folder / PurePosixPath(key).relative_to(prefix)
                if known.get(key) != etag or not local.exists():
                    local.parent.mkdir(parents=True, exist_ok=True)
                    self.client.download_file(self.bucket, key, str(local))
            for key in set(known) - set(current):
                (folder / PurePosixPath(key).relative_to(prefix)).unlink(missing_ok=True)
            manifest_path.write_text(json.dumps(current))
        return folder

    def store(self, source: Path, name: str) -> None:
        self.client.upload_file(str(source), self.bucket, name)

    def _listing(self, prefix: str) -> Iterator[tuple[str, str]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix + "/")
        for page in pages:
            for item in page.get("Contents", []):
                if not item["Key"].endswith("/"):  # folder markers some tools create
                    yield item["Key"], item["ETag"]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One job at a time refreshes a mirror (a worker may run several processes)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def job_files() -> JobFiles:
    """The storage this worker is configured for (settings PODIUM_STORAGE, PODIUM_S3_*)."""
    from workers.config import worker_config

    config = worker_config()
    if config.storage != "s3":
        return LocalFiles(config.media_root)
    import boto3
    from botocore.config import Config

    options = config.s3
    client = boto3.client(
        "s3", endpoint_url=options["endpoint_url"], region_name=options["region_name"],
        config=Config(s3={"addressing_style": options["addressing_style"]}),
    )
    return S3Files(bucket=options["bucket_name"], cache=config.var_dir / "input-cache", client=client)
