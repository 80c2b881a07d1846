"""The words a policy decides in: what an operation does, to which kind of thing, and how
its request travels."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What an operation does to its resource, as a policy sees it."""

    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    #: Governance: approving, protecting, changing acceptance thresholds.
    APPROVE = "approve"
    #: Running a computation that records its result (a monitor run, a report, an export).
    EXECUTE = "execute"


class ResourceKind(StrEnum):
    """The kinds of thing a policy grants on; one per domain entity a client names."""

    SERVER = "server"
    EXPERIMENT = "experiment"
    RUN = "run"
    REGISTERED_MODEL = "registered_model"
    DATASET = "dataset"
    LABEL_QUEUE = "label_queue"
    PROFILE = "profile"
    MONITOR = "monitor"
    DEPLOYMENT = "deployment"
    #: A scheduled batch scoring job (its runs are about it too).
    BATCH_JOB = "batch_job"
    PREDICTION = "prediction"
    AUDIT_LOG = "audit_log"
    USER = "user"


class WireForm(StrEnum):
    """How the request and the result travel over HTTP."""

    #: Path and query parameters plus a JSON body; a JSON result (or 204).
    JSON = "json"
    #: The request carries content to upload (an artifact, a dataset file, a packed batch).
    UPLOAD = "upload"
    #: The result is content streamed back (an artifact, a dataset file, a rendered page).
    DOWNLOAD = "download"
