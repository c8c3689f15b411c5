"""Administration: API keys, rulebook versions, the demo city."""
