"""Finding dictionary keywords in captions: the matcher, word timing, stories and evidence."""
