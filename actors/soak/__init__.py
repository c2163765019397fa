"""Soak runs and their fault-injection control channel (``scripts/soak``).

* :mod:`actors.soak.control` — a debug actor added to a simulated service only by
  :mod:`actors.soak.serve`; it counts the ShotSamples the simulator sent and the bus
  delivered, and takes fault commands (JSON lines on a loopback TCP port).
* :mod:`actors.soak.serve` — ``python -m actors.soak.serve [pyde1-run args]``: exactly
  ``pyde1-run`` with that actor added.
* :mod:`actors.soak.process` — start/stop such a service as a subprocess, talk to it.
* :mod:`actors.soak.__main__` — the soak itself.
"""
