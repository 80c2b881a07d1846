"""Column statistics, correlations and the offline HTML report of a table."""
