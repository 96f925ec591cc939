"""Room messaging."""
