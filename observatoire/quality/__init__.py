"""Rules that judge the data and the dictionary: quality checks, stop-phrase discovery, diffs."""
