"""Analysis: pure functions on in-memory objects (sampling, statistics, objectives, rates)."""
