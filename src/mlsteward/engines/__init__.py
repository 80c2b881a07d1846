"""Pure computation used by services: statistics, profiles, metrics, exports. No I/O."""
