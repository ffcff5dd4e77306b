"""The lake (Parquet days, leases, day states) and the DuckDB warehouse over it."""
