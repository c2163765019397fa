"""Stand-alone programs beside the service: pyde1-replay, pyde1-run-visualizer and pyde1-db
(around the shot database) and pyde1-firmware (through the service's HTTP API)."""
