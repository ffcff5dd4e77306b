"""Caption intake: records, their validation and quarantine, and the sources read without Dagster
(the provider API client and day fetch, the drop folder reader, the demo generator)."""
