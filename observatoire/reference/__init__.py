"""Reference data: channels and their names, the programme grid and time monitored."""
