"""Computation used by services: statistics, profiles, metrics, exports, data readers.

No store access and no rules: engines take data (or a source to stream it from) and
return results; services decide what to keep.
"""
