"""Caption intake: records, their validation and quarantine, and the demo source."""
