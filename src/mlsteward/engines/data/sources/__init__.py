"""Sources that stream record batches in bounded memory: files, SQL queries, paged APIs."""
