"""``python -m actors.soak.serve [pyde1-run arguments]``: ``pyde1-run`` plus the soak's
control actor (:mod:`actors.soak.control`). Only for simulated runs (benchmarks, soak)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    import actors.service as service_module
    from actors import run
    from actors.soak.control import control_spec

    base = service_module.Service

    class ServiceWithControl(base):  # type: ignore[misc, valid-type]
        def __init__(self, config, **kwargs):
            if kwargs.get("simulate"):
                kwargs["extra_specs"] = list(kwargs.get("extra_specs") or []) + [control_spec()]
            super().__init__(config, **kwargs)

    service_module.Service = ServiceWithControl  # run.main imports it at call time
    try:
        return run.main(argv)
    finally:
        service_module.Service = base


if __name__ == "__main__":
    sys.exit(main())
