"""Command-line programs over the pure core (no actors)."""
