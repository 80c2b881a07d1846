"""Size limits enforced at the service boundary (and reported to clients by the server)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_key_length: int = 250
    max_param_value_length: int = 6000
    max_tag_value_length: int = 8000
    max_name_length: int = 250
    max_metrics_per_batch: int = 100_000
    max_params_per_batch: int = 1000
    max_tags_per_batch: int = 1000
    max_search_results: int = 50_000
    max_artifact_path_length: int = 1024
