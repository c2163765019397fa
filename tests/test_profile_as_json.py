"""``de1-profile-as-json`` options, input and output rules (pyDE1's, with its defects fixed)."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyde1.tools.profile_as_json import main, title_file_name

DATA = Path(__file__).resolve().parent / "data" / "tcl"
FLOW_TITLE_FILE = "Hand_flow_no_preinfusion.json"   # title "Hand flow/no preinfusion"


class Run:
    def __init__(self, argv, stdin_bytes=b""):
        self.stdout = io.BytesIO()
        self.stderr = io.StringIO()
        self.status = main(argv, stdin=io.BytesIO(stdin_bytes), stdout=self.stdout,
                           stderr=self.stderr)

    @property
    def json(self):
        return json.loads(self.stdout.getvalue().decode("utf-8"))


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    shutil.copy(DATA / "hand_flow.tcl", tmp_path / "hand_flow.tcl")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_stdin_to_stdout_by_default(workdir):
    run = Run([], (DATA / "hand_flow.tcl").read_bytes())
    assert run.status == 0
    out = run.stdout.getvalue().decode()
    assert out.endswith("}\n") and out.splitlines()[1] == '  "version": "2.1",'
    assert run.json["title"] == "Hand flow/no preinfusion"
    assert run.json["reference_file"] is None
    assert run.stderr.getvalue() == ""


def test_input_file_and_reference_file_as_typed(workdir):
    run = Run(["-i", "hand_flow.tcl"])
    assert run.status == 0
    assert run.json["reference_file"] == "hand_flow.tcl"
    long_run = Run(["--input", str(workdir / "hand_flow.tcl")])
    assert long_run.json["reference_file"] == str(workdir / "hand_flow.tcl")


def test_author_option(workdir):
    assert Run(["-i", "hand_flow.tcl", "-a", "Someone Else"]).json["author"] == "Someone Else"
    assert Run(["--author", "X", "-i", "hand_flow.tcl"]).json["author"] == "X"


def test_output_alone_writes_that_file(workdir):
    # pyDE1 crashed here (TypeError on a None directory)
    run = Run(["-i", "hand_flow.tcl", "-o", "out.json"])
    assert run.status == 0 and run.stdout.getvalue() == b""
    written = (workdir / "out.json").read_text(encoding="utf-8")
    assert written.endswith("}\n") and json.loads(written)["type"] == "flow"
    assert "Output written to out.json" in run.stderr.getvalue()


def test_output_and_dir(workdir):
    run = Run(["-i", "hand_flow.tcl", "--output", "x.json", "--dir", "outdir"])
    assert run.status == 0
    assert json.loads((workdir / "outdir" / "x.json").read_text())["type"] == "flow"


def test_dir_with_input_uses_the_input_name_and_is_created(workdir):
    run = Run(["-i", "hand_flow.tcl", "-d", "new/deeper"])
    assert run.status == 0
    assert (workdir / "new" / "deeper" / "hand_flow.json").is_file()


def test_dir_with_stdin_uses_the_title_inside_dir(workdir):
    # pyDE1 wrote <title>.json into the current directory instead
    run = Run(["-d", "outdir"], (DATA / "hand_flow.tcl").read_bytes())
    assert run.status == 0
    assert (workdir / "outdir" / FLOW_TITLE_FILE).is_file()
    assert not (workdir / FLOW_TITLE_FILE).exists()


def test_existing_output_needs_force(workdir):
    (workdir / "out.json").write_text("keep me")
    run = Run(["-i", "hand_flow.tcl", "-o", "out.json"])
    assert run.status == 1
    assert "exists (use -f to overwrite)" in run.stderr.getvalue()
    assert (workdir / "out.json").read_text() == "keep me"

    forced = Run(["-i", "hand_flow.tcl", "-o", "out.json", "-f"])
    assert forced.status == 0
    assert "Overwriting out.json" in forced.stderr.getvalue()
    assert json.loads((workdir / "out.json").read_text())["type"] == "flow"
    assert Run(["-i", "hand_flow.tcl", "-o", "out.json", "--force"]).status == 0


def test_input_and_visualizer_are_exclusive(workdir, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["-i", "hand_flow.tcl", "-v", "AB12"])
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_bad_profile_is_one_line_naming_source_and_key(workdir):
    (workdir / "bad.tcl").write_text("settings_profile_type settings_2c\nadvanced_shot {}\n")
    run = Run(["-i", "bad.tcl"])
    assert run.status == 2 and run.stdout.getvalue() == b""
    lines = run.stderr.getvalue().splitlines()
    assert lines == ["de1-profile-as-json: error: bad.tcl: advanced_shot: "
                     "no steps (an advanced profile needs at least one)"]


def test_json_input_gets_a_hint(workdir):
    run = Run([], b'{"version": "2.1", "steps": []}')
    assert run.status == 2
    assert "already a JSON profile" in run.stderr.getvalue()


def test_missing_input_file(workdir):
    run = Run(["-i", "nowhere.tcl"])
    assert run.status == 1
    assert "cannot read nowhere.tcl" in run.stderr.getvalue()


def test_latin1_input_is_read(workdir):
    text = (DATA / "hand_flow.tcl").read_text().replace("{Hand flow/no preinfusion}", "{Caf\xe9}")
    run = Run([], text.encode("latin-1"))
    assert run.status == 0 and run.json["title"] == "Caf\xe9"


@pytest.mark.parametrize("title, name", [
    ("Tea portafilter/Sencha", "Tea_portafilter_Sencha.json"),
    ("Blooming Allongé", "Blooming_Allong_.json"),
    ("a.b-c_d", "a.b-c_d.json"),
    (None, "profile.json"),
    ("..", "profile.json"),
])
def test_title_file_name(title, name):
    assert title_file_name(title) == name


def test_console_script_runs():
    script = Path(sys.executable).parent / "de1-profile-as-json"
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    done = subprocess.run([str(script), "-i", str(DATA / "hand_pressure.tcl")],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["legacy_profile_type"] == "settings_2a"
