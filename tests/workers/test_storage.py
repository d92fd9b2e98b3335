"""The inference worker's view of object storage: models fetched, test inputs mirrored, predictions stored."""
from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from workers.storage import LocalFiles, S3Files

BUCKET = "podium"


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        client.create_bucket(Bucket=BUCKET)
        yield client


class CountingClient:
    """Passes calls through to boto3, counting downloads."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.downloads: list[str] = []

    def download_file(self, bucket: str, key: str, target: str) -> None:
        self.downloads.append(key)
        self.client.download_file(bucket, key, target)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.client, name)


def test_test_inputs_are_mirrored_once_and_kept_in_step_with_the_bucket(s3, tmp_path: Path) -> None:
    prefix = "competitions/shapes/test_inputs"
    for name, body in (("test.csv", b"id,image\n1,images/a.png\n"), ("images/a.png", b"A"), ("images/b.png", b"B")):
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{name}", Body=body)
    s3.put_object(Bucket=BUCKET, Key="competitions/shapes/truth/truth.csv", Body=b"secret")
    client = CountingClient(s3)
    files = S3Files(bucket=BUCKET, cache=tmp_path / "cache", client=client)

    folder = files.inputs(prefix)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "images/a.png",
        "images/b.png",
        "test.csv",
    ]
    assert len(client.downloads) == 3
    assert not any("truth" in key for key in client.downloads)

    assert files.inputs(prefix) == folder and len(client.downloads) == 3, "nothing changed: nothing downloaded"

    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/images/a.png", Body=b"A2")
    s3.delete_object(Bucket=BUCKET, Key=f"{prefix}/images/b.png")
    files.inputs(prefix)
    assert client.downloads[3:] == [f"{prefix}/images/a.png"]
    assert (folder / "images/a.png").read_bytes() == b"A2" and not (folder / "images/b.png").exists()


def test_models_are_fetched_and_predictions_stored(s3, tmp_path: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="submissions/shapes/m.pt", Body=b"model bytes")
    files = S3Files(bucket=BUCKET, cache=tmp_path / "cache", client=s3)
    files.fetch("submissions/shapes/m.pt", tmp_path / "model.pt")
    assert (tmp_path / "model.pt").read_bytes() == b"model bytes"
    (tmp_path / "out.csv").write_text("id,rle\n")
    files.store(tmp_path / "out.csv", "predictions/shapes/7.csv")
    assert s3.get_object(Bucket=BUCKET, Key="predictions/shapes/7.csv")["Body"].read() == b"id,rle\n"


def test_local_files_store_atomically_and_report_a_missing_model(tmp_path: Path) -> None:
    files = LocalFiles(tmp_path / "media")
    with pytest.raises(FileNotFoundError, match="missing from storage"):
        files.fetch("submissions/x.pt", tmp_path / "model.pt")
    (tmp_path / "p.csv").write_text("id,label\n")
    files.store(tmp_path / "p.csv", "predictions/c/1.csv")
    assert (tmp_path / "media/predictions/c/1.csv").read_text() == "id,label\n"
    assert not list((tmp_path / "media/predictions/c").glob("*.partial"))
