"""API keys: issuing (shown once), storing only a hash, and resolving a request's key."""
