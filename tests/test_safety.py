"""Data safety: pvcluster never deletes or replaces what it did not write, names cannot escape the output
folder, two runs into one folder take turns, and sizing workers die with their run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pvcluster.cli import main
from pvcluster.report.writer import atomic_folder

FAST = ["--set", "sizing.periods=typical_days", "--set", "weather.ensemble_years=0", "-q"]


def _user_folder(path: Path) -> dict:
    path.mkdir(parents=True, exist_ok=True)
    (path / "thesis.docx").write_text("years of work")
    (path / "data").mkdir(exist_ok=True)
    (path / "data" / "meter.csv").write_text("1,2,3")
    return _snapshot(path)


def _snapshot(path: Path) -> dict:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_a_users_folder_is_never_replaced(tmp_path, capsys):
    before = _user_folder(tmp_path / "mine")
    assert main(["run", "--out", str(tmp_path / "mine"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "did not write" in err and str(tmp_path / "mine") in err and "Traceback" not in err
    assert _snapshot(tmp_path / "mine") == before


def test_the_current_folder_is_never_the_output(tmp_path, monkeypatch, capsys):
    before = _user_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--out", ".", *FAST]) == 2
    assert "current folder" in capsys.readouterr().err
    assert _snapshot(tmp_path) == before


def test_a_symlink_or_a_file_at_the_output_path_is_an_error(tmp_path, capsys):
    before = _user_folder(tmp_path / "real")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert main(["run", "--out", str(tmp_path / "link"), *FAST]) == 2
    assert "symbolic link" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("keep me")
    assert main(["run", "--out", str(tmp_path / "notes.txt"), *FAST]) == 2
    assert "a file" in capsys.readouterr().err
    assert main(["run", "--out", str(tmp_path / "notes.txt" / "sub"), *FAST]) == 2
    assert "under the file" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "keep me" and _snapshot(tmp_path / "real") == before
    assert main(["run", "--out", str(tmp_path / ("x" * 300)), *FAST]) == 2
    assert "too long" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["../../../victim", "/tmp/victim", "", "a/b", "x" * 65, "..", ["a"]])
def test_scenario_and_village_names_are_identifiers(name, capsys):
    value = repr(name) if isinstance(name, str) else '["a"]'
    value = value.replace("'", '"')
    assert main(["validate", "--set", f"scenario.name={value}"]) == 2
    err = capsys.readouterr().err
    assert "scenario.name" in err and "Traceback" not in err
    assert main(["validate", "--set", f"villages.0.name={value}"]) == 2
    assert "villages.0.name" in capsys.readouterr().err


def test_a_previous_run_is_replaced_but_not_one_with_files_added(tmp_path, typical_results, capsys):
    out = typical_results.write(tmp_path / "run")
    typical_results.write(out)  # its own previous output: replaced
    assert (out / "summary.json").is_file()
    (out / "my_notes.txt").write_text("added by hand")
    assert main(["run", "--out", str(out), *FAST]) == 2
    assert "my_notes.txt" in capsys.readouterr().err and (out / "my_notes.txt").is_file()


def test_two_writers_into_one_folder_take_turns(tmp_path):
    target, events = tmp_path / "out", []

    def write(tag: str, hold_s: float) -> None:
        with atomic_folder(target) as tmp:
            events.append(f"{tag} in")
            (tmp / "manifest.json").write_text(
                '{"pvcluster_version": "test", "files": ["manifest.json", "who.txt"]}')
            (tmp / "who.txt").write_text(tag)
            time.sleep(hold_s)
            events.append(f"{tag} out")

    first = threading.Thread(target=write, args=("first", 1.0))
    first.start()
    time.sleep(0.3)
    write("second", 0.0)  # waits for the first writer, then replaces its (pvcluster) output
    first.join()
    assert events == ["first in", "first out", "second in", "second out"]
    assert (target / "who.txt").read_text() == "second"
    assert not list(tmp_path.glob(".out.tmp-*"))


def _children(pid: int) -> set[int]:
    """Every descendant process of ``pid`` (from /proc)."""
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sizing_workers_die_when_the_run_is_killed(tmp_path):
    # the full year sizes in two worker processes; kill the run with SIGKILL while they solve
    run = subprocess.Popen([sys.executable, "-m", "pvcluster", "run", "--out", str(tmp_path / "o"),
                            "--set", "weather.ensemble_years=0"], stderr=subprocess.PIPE, text=True)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 240
        for line in run.stderr:
            if "2 processes" in line or time.monotonic() > deadline:
                break
        for _ in range(100):  # the two workers start and begin to solve
            workers = _children(run.pid)
            if len([p for p in workers if _alive(p)]) >= 2:
                break
            time.sleep(0.1)
        time.sleep(1.0)
        assert len(workers) >= 2, workers
    finally:
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers), [p for p in workers if _alive(p)]
    assert not (tmp_path / "o").exists()
