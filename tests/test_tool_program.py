"""The stand-alone programs' shared start: a bad configuration is one message and exit 2."""

from __future__ import annotations

import pytest

from actors.tools import replay, visualizer


@pytest.mark.parametrize("module, prog", [(replay, "pyde1-replay"), (visualizer, "pyde1-run-visualizer")])
def test_bad_config_is_one_message_and_exit_2(module, prog, tmp_path, capsys):
    bad = tmp_path / "bad.conf"
    bad.write_text("mqtt:\n  BROKER_PORT: not-a-port\n")
    assert module.main(["-c", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{prog}: configuration has problems:\n")
    assert "BROKER_PORT" in err and "Traceback" not in err


@pytest.mark.parametrize("module", [replay, visualizer])
def test_logging_options_are_offered(module):
    args = module.build_parser().parse_args(["--console", "--level", "info"])
    assert (args.console, args.level) == (True, "info")
