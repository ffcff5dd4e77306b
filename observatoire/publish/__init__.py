"""What the public reads: indicators, tables, open data and the report."""
