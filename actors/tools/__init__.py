"""Stand-alone programs around the shot database: pyde1-replay, pyde1-run-visualizer, pyde1-db."""
