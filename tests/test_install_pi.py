"""scripts/install-pi.sh: dry run, a root install into a temporary prefix, re-runs, edited
configs, upgrades, and the systemd/user/apt steps driven against fake commands.

The installer runs from a snapshot of the source tree, so that edits made to the working
tree while the tests run cannot make a re-run rebuild the venv.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "install-pi.sh"
TAGS = ("[ok]", "[done]", "[skip]", "[would]", "[fail]")
CONFIGS = ("pyde1.conf", "pyde1-visualizer.conf", "pyde1-replay.conf")
UNITS = ("pyde1.service", "pyde1-visualizer.service")
VENV = "home/pyde1/venv/pyde1"
ETC = "usr/local/etc/pyde1"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the install into a prefix is tested as root (as in CI)")


def snapshot_source(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    for name in ("pyde1", "actors", "scripts", "conf"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    return dest / "scripts" / "install-pi.sh"


def run_installer(script: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, timeout=timeout)


def listing(prefix: Path) -> dict[str, str]:
    """Path -> type, mode, owner and content checksum (or link target), __pycache__ left out."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(prefix):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            st = path.lstat()
            key = str(path.relative_to(prefix))
            if path.is_symlink():
                out[key] = f"link {os.readlink(path)}"
            elif path.is_dir():
                out[key] = f"dir {st.st_mode:o} {st.st_uid}:{st.st_gid}"
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                out[key] = f"file {st.st_mode:o} {st.st_uid}:{st.st_gid} {digest}"
    return out


def tagged_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("[")]


# -- no root needed ---------------------------------------------------------------------------

def test_help_lists_every_option():
    r = run_installer(SCRIPT, "-h")
    assert r.returncode == 0, r.stderr
    for option in ("--prefix DIR", "--dry-run", "--with-mosquitto", "--python PY", "--create-user"):
        assert option in r.stdout


def test_unknown_option_is_refused_with_a_message():
    r = run_installer(SCRIPT, "--prefx", "/tmp/x")
    assert r.returncode == 2
    assert "unknown option '--prefx'" in r.stderr


def test_old_python_is_refused(tmp_path):
    fake = tmp_path / "python-old"
    fake.write_text("#!/bin/sh\n[ \"$1\" = --version ] && { echo 'Python 3.9.2'; exit 0; }\necho '3.9.2 /usr/bin/python3.9'; exit 3\n")
    fake.chmod(0o755)
    r = run_installer(SCRIPT, "--dry-run", "--prefix", str(tmp_path / "p"), "--python", str(fake))
    assert r.returncode == 1
    assert "pyde1 needs Python 3.11 or newer" in r.stderr and "3.9.2" in r.stderr


def test_dry_run_prints_every_step_and_changes_nothing(tmp_path):
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    r = run_installer(SCRIPT, "--dry-run", "--prefix", str(prefix))
    assert r.returncode == 0, r.stdout + r.stderr
    lines = tagged_lines(r.stdout)
    assert all(line.startswith(TAGS) for line in lines)
    would = "\n".join(line for line in lines if line.startswith("[would]"))
    for path in (ETC, "var/lib/pyde1", "var/log/pyde1", "home/pyde1", "home/pyde1/venv",
                 *(f"{ETC}/{name}" for name in CONFIGS + UNITS), "etc/logrotate.d/pyde1", VENV):
        assert f"{prefix}/{path}:" in would, path
    assert any(line.startswith("[skip]  user pyde1") for line in lines)
    assert any(line.startswith("[skip]  systemd") for line in lines)
    assert r.stdout.rstrip().endswith("dry run: 12 step(s) would change something")
    assert list(prefix.iterdir()) == []


def test_dry_run_does_not_create_a_missing_prefix(tmp_path):
    r = run_installer(SCRIPT, "--dry-run", "--prefix", str(tmp_path / "missing"))
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "missing").exists()


# -- a real install into a prefix (root) -------------------------------------------------------

@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the install into a prefix is tested as root (as in CI)")
    base = tmp_path_factory.mktemp("install")
    source = base / "src"
    source.mkdir()
    script = snapshot_source(source)
    prefix = base / "prefix"
    t0 = time.monotonic()
    r = run_installer(script, "--prefix", str(prefix))
    elapsed = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    print(f"first install took {elapsed:.1f} s")
    return {"script": script, "source": source, "prefix": prefix, "first": r, "seconds": elapsed}


@pytest.mark.slow
def test_install_completes_and_reports_every_step(installed):
    prefix, r, source = installed["prefix"], installed["first"], installed["source"]
    lines = tagged_lines(r.stdout)
    assert all(line.startswith(TAGS) for line in lines), r.stdout
    assert f"[done]  {prefix}/{VENV}: installed pyde1 " in r.stdout
    assert "[done]  check: " in r.stdout and "config OK" in r.stdout
    for name in CONFIGS:
        conf = prefix / ETC / name
        assert conf.read_bytes() == (source / "conf" / name).read_bytes()
        assert conf.stat().st_mode & 0o777 == 0o640
    assert (prefix / "etc/logrotate.d/pyde1").read_bytes() == (source / "conf/logrotate-pyde1").read_bytes()
    assert (prefix / "var/lib/pyde1").stat().st_mode & 0o777 == 0o750
    assert (prefix / VENV / "bin/pyde1-disconnect-btid.sh").exists()
    # The venv was built as pyde1.new and renamed: its scripts must point at the final path.
    assert (prefix / VENV / "bin/pyde1-run").read_text().splitlines()[0] == f"#!{prefix}/{VENV}/bin/python"
    assert not (prefix / "home/pyde1/venv/pyde1.new").exists()


@pytest.mark.slow
def test_installed_pyde1_run_checks_the_installed_config(installed):
    prefix = installed["prefix"]
    r = subprocess.run([str(prefix / VENV / "bin/pyde1-run"), "-c", str(prefix / ETC / "pyde1.conf"),
                        "--check-config"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"config OK: {prefix / ETC / 'pyde1.conf'}"


@pytest.mark.slow
@pytest.mark.parametrize("unit", UNITS)
def test_units_pass_systemd_analyze_verify(installed, tmp_path, unit):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here")
    prefix = installed["prefix"]
    text = (prefix / ETC / unit).read_text()
    program = Path(text.split("ExecStart=", 1)[1].split()[0]).name
    if not (prefix / VENV / "bin" / program).exists():
        pytest.skip(f"{program} is not in this build: {unit} cannot be verified")
    # The unit names the real venv path; point it at the one in the prefix.
    (tmp_path / unit).write_text(text.replace("/home/pyde1/venv/pyde1", str(prefix / VENV)))
    r = subprocess.run(["systemd-analyze", "verify", str(tmp_path / unit)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


@pytest.mark.slow
def test_second_run_changes_nothing(installed):
    prefix = installed["prefix"]
    before = listing(prefix)
    t0 = time.monotonic()
    r = run_installer(installed["script"], "--prefix", str(prefix))
    print(f"re-run took {time.monotonic() - t0:.1f} s")
    assert r.returncode == 0, r.stdout + r.stderr
    assert listing(prefix) == before
    assert not [line for line in tagged_lines(r.stdout) if line.startswith(("[done]", "[would]"))], r.stdout
    assert r.stdout.rstrip().endswith("finished: nothing to change, everything was up to date")


@pytest.mark.slow
def test_dry_run_on_an_installed_prefix_finds_nothing_to_do(installed):
    prefix = installed["prefix"]
    before = listing(prefix)
    r = run_installer(installed["script"], "--dry-run", "--prefix", str(prefix))
    assert r.returncode == 0, r.stderr
    assert "dry run: 0 step(s) would change something" in r.stdout
    assert listing(prefix) == before


@pytest.mark.slow
def test_edited_config_survives_and_a_new_example_goes_beside_it(installed):
    prefix, source = installed["prefix"], installed["source"]
    conf = prefix / ETC / "pyde1.conf"
    new = prefix / ETC / "pyde1.conf.new"
    edited = conf.read_text().replace("SERVER_PORT: 1234", "SERVER_PORT: 8080")
    assert edited != conf.read_text()
    conf.write_text(edited)
    conf.chmod(0o644)  # a careless editor; the installer puts 0640 back (it may hold passwords)
    r = run_installer(installed["script"], "--prefix", str(prefix))
    assert r.returncode == 0, r.stdout + r.stderr
    assert conf.read_text() == edited
    assert conf.stat().st_mode & 0o777 == 0o640
    # The example it was edited from has not changed: nothing new to offer.
    assert f"[done]  {conf}: your edited file is kept (the example has not changed) (owner and mode set to" in r.stdout
    assert not new.exists()

    # A newer example arrives with an upgrade: it goes beside the edited file.
    example = source / "conf/pyde1.conf"
    example.write_text(example.read_text() + "# a newer example\n")
    r = run_installer(installed["script"], "--prefix", str(prefix))
    assert r.returncode == 0, r.stdout + r.stderr
    assert conf.read_text() == edited
    assert new.read_bytes() == example.read_bytes()
    assert new.stat().st_mode & 0o777 == 0o640
    assert f"[done]  {conf}: your edited file is kept; the new example is {new} (compare: diff -u {conf} {new})" in r.stdout
    # ... and once offered, a re-run leaves both alone.
    before = listing(prefix)
    r = run_installer(installed["script"], "--prefix", str(prefix))
    assert r.returncode == 0
    assert f"[ok]    {conf}: your edited file is kept; {new} is the current example" in r.stdout
    assert listing(prefix) == before
    # Removing the .new does not make it come back while the example stays the same.
    new.unlink()
    r = run_installer(installed["script"], "--prefix", str(prefix))
    assert f"[ok]    {conf}: your edited file is kept (the example has not changed)" in r.stdout
    assert not new.exists()


@pytest.mark.slow
def test_a_file_from_before_this_installer_gets_a_new_beside_it(installed):
    """E.g. a pyDE1 2.0 config: no record of what was installed, so it counts as edited."""
    prefix, source = installed["prefix"], installed["source"]
    conf = prefix / ETC / "pyde1-visualizer.conf"
    manifest = prefix / ETC / ".pyde1-installed.sha256"
    manifest.write_text("".join(ln + "\n" for ln in manifest.read_text().splitlines()
                                if not ln.endswith(f"/{ETC}/pyde1-visualizer.conf")))
    theirs = "---\nvisualizer:\n    USERNAME: me@example.com\n"
    conf.write_text(theirs)
    r = run_installer(installed["script"], "--prefix", str(prefix))
    assert r.returncode == 0, r.stdout + r.stderr
    assert conf.read_text() == theirs
    assert (prefix / ETC / "pyde1-visualizer.conf.new").read_bytes() == (source / "conf/pyde1-visualizer.conf").read_bytes()


@pytest.mark.slow
def test_an_unedited_earlier_example_is_updated(installed):
    """A file exactly as an earlier run installed it (recorded in the manifest) takes the new example."""
    prefix = installed["prefix"]
    conf = prefix / ETC / "pyde1-replay.conf"
    manifest = prefix / ETC / ".pyde1-installed.sha256"
    old = b"---\n# an older example\n"
    conf.write_bytes(old)
    key = f"/{ETC}/pyde1-replay.conf"
    lines = [ln for ln in manifest.read_text().splitlines() if not ln.endswith("  " + key)]
    manifest.write_text("\n".join([*lines, f"{hashlib.sha256(old).hexdigest()}  {key}"]) + "\n")
    r = run_installer(installed["script"], "--prefix", str(prefix))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"[done]  {conf}: updated to the new example (it had not been edited)" in r.stdout
    assert conf.read_bytes() == (installed["source"] / "conf/pyde1-replay.conf").read_bytes()
    assert not (prefix / ETC / "pyde1-replay.conf.new").exists()


def _pretend_the_source_changed(prefix: Path) -> None:
    (prefix / VENV / ".pyde1-source.sha256").write_text("0" * 64 + "\n")


@pytest.mark.slow
def test_a_failing_database_check_stops_an_upgrade_before_the_swap(installed):
    """The check step on its own (a build costs a minute on a busy machine): a copy of the
    installed venv stands in for a freshly built pyde1.new."""
    prefix = installed["prefix"]
    venvs = prefix / "home/pyde1/venv"
    shutil.copytree(venvs / "pyde1", venvs / "pyde1.new", symlinks=True)
    db = prefix / "var/lib/pyde1/pyde1.sqlite3"
    db.write_bytes(b"this is not an SQLite database\n")
    before = listing(prefix / VENV)
    try:
        r = subprocess.run(["bash", "-c", f"source {installed['script']}; PREFIX={prefix}; set_paths; "
                            "check_new_venv; echo 'went on to the swap'"],
                           capture_output=True, text=True, timeout=120)
    finally:
        db.unlink()
    assert r.returncode == 1, r.stdout + r.stderr
    assert "[done]  check: " in r.stdout          # the config was fine ...
    assert "[fail]  migrate: the new version could not open or migrate" in r.stderr  # ... the database not
    assert "The installed venv is unchanged" in r.stderr
    assert "went on to the swap" not in r.stdout
    assert not (venvs / "pyde1.new").exists()
    assert listing(prefix / VENV) == before


@pytest.mark.slow
def test_upgrade_keeps_the_previous_venv_and_rollback_works(installed):
    prefix = installed["prefix"]
    venvs = prefix / "home/pyde1/venv"
    # A database made by the installed version: the upgrade checks it with the new one.
    db = prefix / "var/lib/pyde1/pyde1.sqlite3"
    made = subprocess.run([str(prefix / VENV / "bin/pyde1-run"), "-c", str(prefix / ETC / "pyde1.conf"),
                           "--log-dir", str(prefix / "var/log/pyde1"), "--migrate-only"],
                          env={**os.environ, "PYDE1_DATABASE__FILENAME": str(db)},
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0 and db.exists(), made.stdout + made.stderr
    _pretend_the_source_changed(prefix)
    r = run_installer(installed["script"], "--prefix", str(prefix))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"[ok]    migrate: {db}: schema " in r.stdout and "nothing to do (checked with the new version)" in r.stdout
    assert f"the previous venv is kept as {venvs}/pyde1.previous" in r.stdout
    assert f"to roll back: sudo systemctl stop pyde1 && sudo rm -rf {venvs}/pyde1 && " \
           f"sudo mv {venvs}/pyde1.previous {venvs}/pyde1" in r.stdout
    assert (venvs / "pyde1.previous/.pyde1-source.sha256").read_text() == "0" * 64 + "\n"
    # Roll back the way the installer says, and the old venv runs from its old place.
    shutil.rmtree(venvs / "pyde1")
    (venvs / "pyde1.previous").rename(venvs / "pyde1")
    v = subprocess.run([str(venvs / "pyde1/bin/pyde1-run"), "--version"], capture_output=True, text=True, timeout=60)
    assert v.returncode == 0 and v.stdout.startswith("pyde1 "), v.stderr


# -- the steps that a --prefix run skips, driven against fake commands --------------------------

FAKES = {
    "systemctl": """#!/bin/sh
echo "systemctl $*" >> "$FAKE/calls"
case $1 in
    link) ln -s "$2" "$SYSTEMD_DIR/$(basename "$2")" ;;
    is-enabled) if [ -f "$FAKE/enabled-$2" ]; then echo enabled; exit 0; fi; echo disabled; exit 1 ;;
    enable) touch "$FAKE/enabled-$2" ;;
    is-active) [ -f "$FAKE/active" ] || exit 3 ;;
esac
exit 0
""",
    "getent": """#!/bin/sh
grep "^$2:" "$FAKE/$1" 2>/dev/null || exit 2
""",
    "useradd": """#!/bin/sh
echo "useradd $*" >> "$FAKE/calls"
for last; do :; done
echo "$last:x:999:999::/home/$last:/usr/sbin/nologin" >> "$FAKE/passwd"
""",
    "usermod": """#!/bin/sh
echo "usermod $*" >> "$FAKE/calls"
echo "$3" >> "$FAKE/members-$4"
""",
    "id": """#!/bin/sh
if [ "$1" = -nG ]; then cat "$FAKE/members-$2" 2>/dev/null || exit 1; exit 0; fi
exec /usr/bin/id "$@"
""",
    "apt-get": """#!/bin/sh
echo "apt-get $*" >> "$FAKE/calls"
""",
}


def run_step(tmp_path: Path, body: str, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Source the installer (main does not run) and run BODY with fake system commands first on PATH."""
    fake = tmp_path / "fake"
    bindir = fake / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for name, text in FAKES.items():
        (bindir / name).write_text(text)
        (bindir / name).chmod(0o755)
    (tmp_path / "systemd").mkdir(exist_ok=True)
    calls = fake / "calls"
    if calls.exists():
        calls.unlink()
    script = f"""
source {SCRIPT}
set_paths
SYSTEMD_DIR={tmp_path}/systemd; export SYSTEMD_DIR
systemd_running() {{ return 0; }}
{body}
"""
    full_env = {"PATH": f"{bindir}:/usr/bin:/bin", "FAKE": str(fake), **env}
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=full_env, timeout=60)
    return r, calls.read_text().splitlines() if calls.exists() else []


def test_systemd_step_links_reloads_and_enables_once(tmp_path):
    r, calls = run_step(tmp_path, "step_systemd")
    assert r.returncode == 0, r.stderr
    assert calls == ["systemctl link /usr/local/etc/pyde1/pyde1.service",
                     "systemctl link /usr/local/etc/pyde1/pyde1-visualizer.service",
                     "systemctl daemon-reload",
                     "systemctl is-enabled pyde1.service",
                     "systemctl enable pyde1.service",
                     "systemctl is-enabled pyde1-visualizer.service",
                     "systemctl is-active --quiet pyde1.service"]
    assert r.stdout.splitlines() == [
        f"[done]  {tmp_path}/systemd/pyde1.service: linked to /usr/local/etc/pyde1/pyde1.service",
        f"[done]  {tmp_path}/systemd/pyde1-visualizer.service: linked to /usr/local/etc/pyde1/pyde1-visualizer.service",
        "[done]  systemd: reloaded the unit files",
        "[done]  pyde1.service: enabled (starts at boot)",
        "[skip]  pyde1-visualizer.service: not enabled (pyde1-run-visualizer is not installed in /home/pyde1/venv/pyde1)",
        "[skip]  pyde1.service: not running; start it with: sudo systemctl start pyde1",
    ]
    # Again: nothing left to do, only questions asked.
    r, calls = run_step(tmp_path, "step_systemd")
    assert r.returncode == 0, r.stderr
    assert calls == ["systemctl is-enabled pyde1.service", "systemctl is-enabled pyde1-visualizer.service",
                     "systemctl is-active --quiet pyde1.service"]
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["[ok]", "[ok]", "[ok]", "[skip]", "[skip]"]


def test_systemd_step_warns_about_an_enabled_uploader_without_its_program(tmp_path):
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake/enabled-pyde1-visualizer.service").touch()   # e.g. pyDE1's uploader
    r, calls = run_step(tmp_path, "step_systemd")
    assert r.returncode == 0, r.stderr
    assert "[skip]  pyde1-visualizer.service: enabled, but pyde1-run-visualizer is not installed in " \
           "/home/pyde1/venv/pyde1: it will fail; sudo systemctl disable --now pyde1-visualizer.service" in r.stdout
    assert "systemctl disable" not in "\n".join(calls)


def test_systemd_step_enables_the_uploader_only_with_a_login_configured(tmp_path):
    venv, etc = tmp_path / "venv", tmp_path / "etc"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin/pyde1-run-visualizer").write_text("#!/bin/sh\n")
    (venv / "bin/pyde1-run-visualizer").chmod(0o755)
    etc.mkdir()
    shutil.copy(ROOT / "conf/pyde1-visualizer.conf", etc / "pyde1-visualizer.conf")
    body = f"VENV={venv}; ETC={etc}; step_systemd"
    r, calls = run_step(tmp_path, body)
    assert r.returncode == 0, r.stderr
    assert f"[skip]  pyde1-visualizer.service: not enabled until your Visualizer login is in " \
           f"{etc}/pyde1-visualizer.conf (then run this again)" in r.stdout
    assert "systemctl enable pyde1-visualizer.service" not in calls
    (etc / "pyde1-visualizer.conf").write_text("---\nvisualizer:\n    USERNAME: me@example.com\n")
    r, calls = run_step(tmp_path, body)
    assert "systemctl enable pyde1-visualizer.service" in calls
    assert "[done]  pyde1-visualizer.service: enabled (starts at boot)" in r.stdout


def test_systemd_step_restarts_a_running_service_after_an_upgrade(tmp_path):
    run_step(tmp_path, "step_systemd")
    (tmp_path / "fake/active").touch()
    r, calls = run_step(tmp_path, "VENV_CHANGED=1; step_systemd")
    assert r.returncode == 0, r.stderr
    assert "systemctl restart pyde1.service" in calls
    assert r.stdout.splitlines()[-1] == "[done]  pyde1.service: restarted with the new version"
    r, calls = run_step(tmp_path, "step_systemd")
    assert "systemctl restart pyde1.service" not in calls
    assert r.stdout.splitlines()[-1] == "[ok]    pyde1.service: running"


def test_systemd_step_leaves_a_unit_file_it_did_not_link(tmp_path):
    (tmp_path / "systemd").mkdir()
    (tmp_path / "systemd/pyde1.service").write_text("[Service]\nExecStart=/bin/true\n")
    r, calls = run_step(tmp_path, "step_systemd")
    assert "systemctl link /usr/local/etc/pyde1/pyde1.service" not in calls
    assert f"[skip]  {tmp_path}/systemd/pyde1.service: exists and is not a link to /usr/local/etc/pyde1/pyde1.service; left as it is" in r.stdout
    assert (tmp_path / "systemd/pyde1.service").read_text().startswith("[Service]")


def test_systemd_dry_run_asks_but_changes_nothing(tmp_path):
    r, calls = run_step(tmp_path, "DRY_RUN=1; step_systemd")
    assert r.returncode == 0, r.stderr
    assert not any(c.split()[1] in ("link", "daemon-reload", "enable", "restart") for c in calls), calls
    assert list((tmp_path / "systemd").iterdir()) == []
    assert r.stdout.count("[would]") == 4


def test_user_step_creates_the_user_and_joins_bluetooth_once(tmp_path):
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "group").write_text("bluetooth:x:112:\n")
    r, calls = run_step(tmp_path, "step_user")
    assert r.returncode == 0, r.stderr
    assert calls == ["useradd --system --user-group --home-dir /home/pyde1 --no-create-home "
                     "--shell /usr/sbin/nologin --comment pyde1 DE1 controller pyde1",
                     "usermod -a -G bluetooth pyde1"]
    assert r.stdout.splitlines() == [
        "[done]  user pyde1: created system user and group (home /home/pyde1, no login shell)",
        "[done]  group bluetooth: added pyde1"]
    r, calls = run_step(tmp_path, "step_user")
    assert calls == []
    assert r.stdout.splitlines() == ["[ok]    user pyde1: exists", "[ok]    group bluetooth: pyde1 is a member"]


def test_user_step_without_a_bluetooth_group_says_what_to_do(tmp_path):
    r, calls = run_step(tmp_path, "step_user")
    assert r.returncode == 0, r.stderr
    assert "[skip]  group bluetooth: does not exist (install bluez, then run this again)" in r.stdout
    assert not any(c.startswith("usermod") for c in calls)


def test_user_step_under_a_prefix_creates_nobody(tmp_path):
    r, calls = run_step(tmp_path, f"PREFIX={tmp_path}/p; set_paths; step_user; echo HAVE_USER=$HAVE_USER")
    assert calls == []
    assert "[skip]  user pyde1: not created under --prefix (it does not exist: files stay owned by" in r.stdout
    assert "HAVE_USER=0" in r.stdout


def test_packages_step_installs_only_what_is_missing(tmp_path):
    body = "have() { [[ \" $HAVE \" == *\" $1 \"* ]]; }; venv_usable() { true; }; WITH_MOSQUITTO=1; step_packages"
    r, calls = run_step(tmp_path, body, HAVE="")
    assert r.returncode == 0, r.stderr
    assert calls == ["apt-get install -y -q bluez mosquitto mosquitto-clients"]
    assert r.stdout.strip() == "[done]  packages: installed bluez mosquitto mosquitto-clients with apt"
    r, calls = run_step(tmp_path, body, HAVE="bluetoothctl mosquitto")
    assert calls == []
    assert r.stdout.strip() == "[ok]    packages: python3-venv bluez mosquitto present"


def test_packages_step_under_a_prefix_installs_nothing(tmp_path):
    body = f"have() {{ false; }}; venv_usable() {{ true; }}; PREFIX={tmp_path}/p; step_packages"
    r, calls = run_step(tmp_path, body)
    assert r.returncode == 0, r.stderr
    assert calls == []
    assert r.stdout.strip() == "[skip]  packages: not installed under --prefix (missing on this machine: bluez)"
