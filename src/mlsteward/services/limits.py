"""Size limits enforced at the service boundary (and reported to clients by the server)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlsteward.domain.filter_limits import FilterLimits


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
    #: Rows a server re-reads from one source in a rebuild (about 1-2 GB of memory for a
    #: table of ordinary width); more is a 413, and the user rebuilds locally.
    max_rebuild_rows: int = 10_000_000
    #: Bounds on search filters (runs and registry): length, nesting, comparisons, IN values.
    filters: FilterLimits = field(default_factory=FilterLimits)

    def __post_init__(self) -> None:
        longest = max(self.max_param_value_length, self.max_tag_value_length)
        if self.filters.max_value_length < longest:
            raise ValueError(
                f"filters.max_value_length ({self.filters.max_value_length}) must allow the "
                f"longest stored value ({longest}), or some values could never be searched for"
            )
