"""Where files live: a local folder or an `s3://bucket/prefix` URL, and the filesystem reaching it.

The lake and the caption drop folder are both addressed this way; parsing the URL and building the
S3 client happen here only, so both accept the same URLs and object storage settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.fs as pafs


@dataclass(frozen=True)
class S3Location:
    """Where an `s3://bucket/prefix` location lives; secrets are deliberately not part of it."""

    bucket: str
    prefix: str
    endpoint: str | None
    region: str | None


@dataclass(frozen=True)
class StorageLocation:
    """A resolved location: its root path in `filesystem` (no scheme) and, on object storage,
    its bucket, prefix, endpoint and region."""

    url: str
    root: str
    filesystem: pafs.FileSystem
    s3: S3Location | None

    def describe(self) -> str:
        """Where the files are, for logs and error messages (never includes credentials)."""
        if self.s3 is None:
            return self.root
        endpoint = self.s3.endpoint or "the default AWS endpoint"
        return f"s3://{self.root} at {endpoint}"


def s3_filesystem(
    endpoint: str | None,
    region: str | None,
    access_key: str | None,
    secret_key: str | None,
) -> pafs.S3FileSystem:
    """An S3 client for AWS or any S3-compatible endpoint such as `https://s3.fr-par.scw.cloud`."""
    options: dict[str, object] = {
        "region": region or "us-east-1",
        "connect_timeout": 5.0,
        "request_timeout": 60.0,
        "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=3),
        # Small objects then go up as one PutObject on close; larger ones as a multipart upload,
        # which the store only publishes on completion. Either way no partial object is visible.
        "allow_delayed_open": True,
    }
    if bool(access_key) != bool(secret_key):
        given, missing = ("access", "secret") if access_key else ("secret", "access")
        raise ValueError(
            f"object storage credentials need both keys: the {given} key is set "
            f"but the {missing} key is not"
        )
    if access_key and secret_key:
        options["access_key"] = access_key
        options["secret_key"] = secret_key
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        options["endpoint_override"] = parts.netloc
        options["scheme"] = parts.scheme or "https"
    return pafs.S3FileSystem(**options)


def storage_location(
    url: str,
    *,
    s3_endpoint: str | None = None,
    s3_region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    filesystem: pafs.FileSystem | None = None,
    what: str = "lake",
) -> StorageLocation:
    """The location of a local path, `file://` URL or `s3://bucket/prefix` URL; `filesystem`
    reuses an existing pyarrow filesystem. `what` names the location in error messages."""
    url = str(url)
    if url.startswith("s3://"):
        parts = urlsplit(url)
        if not parts.netloc:
            raise ValueError(f"{what} URL {url!r} has no bucket: use s3://bucket/prefix")
        s3 = S3Location(
            bucket=parts.netloc,
            prefix=parts.path.strip("/"),
            endpoint=s3_endpoint,
            region=s3_region,
        )
        root = "/".join(p for p in (s3.bucket, s3.prefix) if p)
        return StorageLocation(
            url,
            root,
            filesystem or s3_filesystem(s3_endpoint, s3_region, access_key, secret_key),
            s3,
        )
    if "://" in url and not url.startswith("file://"):
        raise ValueError(f"unsupported {what} URL {url!r}: use a local path or s3://bucket/prefix")
    root = str(Path(url.removeprefix("file://")).expanduser().resolve())
    return StorageLocation(url, root, filesystem or pafs.LocalFileSystem(), None)
