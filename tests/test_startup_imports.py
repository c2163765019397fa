"""What a start of the service imports. Modules that only rarely used paths need (the OpenAPI
document, firmware images, the other programs' config schemas, the profile reader and the
shot file writer) are imported on first use; a top-level import of one of them would put it
back into every start of pyde1-run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pyde1.config.fields import ENV_PREFIXES

ROOT = Path(__file__).resolve().parent.parent

DEFERRED = ("pyde1.api.openapi", "pyde1.protocol.firmware", "pyde1.config.tool_schemas",
            "pyde1.profile.parse", "pyde1.db.shotfile")

# The simulated service as pyde1-run starts it (database prepared first), then the modules
# loaded once every actor, the HTTP gateway included, is up; then the lazy paths are used.
START_AND_LIST = """
import json, sys
from pyde1.config import load_config_text
from actors.db import prepare_database
from actors.service import Service
workdir = sys.argv[1]
config = load_config_text(
    f"database:\\n  FILENAME: {workdir}/pyde1.sqlite3\\n"
    f"logging:\\n  LOG_DIRECTORY: {workdir}\\n  LOG_FILENAME: t.log\\n"
    "http:\\n  SERVER_HOST: 127.0.0.1\\n  SERVER_PORT: 0\\n"
    "mqtt:\\n  BROKER_HOSTNAME: 127.0.0.1\\n  BROKER_PORT: 1\\n", environ={})
prepare_database(config.database.FILENAME)
service = Service(config, simulate=True)
try:
    result = service.start()
    started = sorted(sys.modules)
    handler = service.ctx.proxy("http").handler.get(timeout=10)
    openapi = json.loads(handler.openapi_body())
    from pyde1.config import SCHEMAS
    from actors.http.puts import check_firmware, plan_profile
    for check in (check_firmware, plan_profile):
        try:
            check(b"not a firmware image nor a profile")
        except Exception:
            pass
    service.ctx.proxy("database").store_profile(b'{"title": "t"}', "fingerprint").get(timeout=10)
finally:
    service.stop()
print(json.dumps({"result": result, "started": started, "later": sorted(sys.modules),
                  "openapi": openapi["openapi"], "schemas": [s.__name__ for s in SCHEMAS]}))
"""


def test_starting_the_service_leaves_rarely_used_modules_for_later(tmp_path):
    proc = subprocess.run([sys.executable, "-c", START_AND_LIST, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.splitlines()[-1])
    assert set(report["result"].values()) == {"running"}, report["result"]
    assert "http" in report["result"]
    started = set(report["started"])
    assert [m for m in DEFERRED if m in started] == []
    # ... and each is still there when its path is used.
    assert set(DEFERRED) <= set(report["later"])
    assert report["openapi"].startswith("3.1")
    assert report["schemas"] == ["Config", "VisualizerConfig", "ReplayConfig"]


def test_env_prefixes_name_every_program_schema_once():
    from pyde1.config import SCHEMAS

    assert {s.PROGRAM: s.ENV_PREFIX for s in SCHEMAS} == ENV_PREFIXES
