"""Content-addressed artifact blobs on fsspec (local directory by default, S3 via s3fs)."""

from mlsteward.storage.artifacts.blob_store import BlobStore, open_blob_store

__all__ = ["BlobStore", "open_blob_store"]
