"""Where files live (local or object storage), the lake (Parquet days, leases, day states) and the
DuckDB warehouse over it."""
