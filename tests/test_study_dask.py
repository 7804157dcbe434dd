"""A study on a real Dask cluster: ``dask scheduler`` and two ``dask worker`` processes on localhost,
started and stopped by the test (bounded in time). The cases equal the same study run in this process,
and killing one worker in the middle loses no case."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")

from pvcluster.study import load_study, run_study  # noqa: E402

DASK = str(Path(sys.executable).with_name("dask"))
STUDY = '''
method = "lhs"
samples = 24
seed = 4
batch_cases = 2
outputs = ["finance.*.npv_krw", "finance.portfolio.total_npv_krw"]
[overrides]
"sizing.periods" = "typical_days"
"weather.ensemble_years" = 0
[[parameters]]
key = "overrides.market.smp_krw_per_kwh"
distribution = "uniform"
low = 100.0
high = 140.0
[[parameters]]
key = "overrides.polysilicon.krw_per_usd"
distribution = "triangular"
low = 1250.0
mode = 1400.0
high = 1550.0
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError("the Dask cluster did not come up in time")


@pytest.fixture
def cluster(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "True"}
    logs = open(tmp_path / "dask.log", "w")
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", "127.0.0.1:0", "--no-show"], stdout=logs, stderr=logs, env=env)]
    from distributed import Client

    _wait_for(lambda: _reachable(port), 60)
    workers = [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1",
                                 "--no-dashboard", "--death-timeout", "60"], stdout=logs, stderr=logs, env=env,
                                start_new_session=True) for _ in range(2)]
    procs += workers
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(2, timeout=120)
    try:
        yield address, workers
    finally:
        for p in procs[::-1]:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM) if p in workers else p.terminate()
                except ProcessLookupError:
                    pass
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        logs.close()


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _study(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(textwrap.dedent(STUDY), encoding="utf-8")
    return load_study(path)


@pytest.fixture
def watchdog():
    """A hung cluster ends the test run (with tracebacks) rather than the CI job's time."""
    import faulthandler

    faulthandler.dump_traceback_later(600, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def test_a_study_on_a_dask_cluster_equals_the_local_run_and_survives_a_killed_worker(tmp_path, watchdog, cluster):
    address, workers = cluster
    spec = _study(tmp_path)
    local = run_study(spec, tmp_path / "local", workers=1)

    remote = run_study(spec, tmp_path / "remote", scheduler=address)
    drop = ["seconds"]
    pd.testing.assert_frame_equal(remote.cases.drop(columns=drop), local.cases.drop(columns=drop))

    # again, killing one worker (and its nanny) as soon as the first cases are back
    parts = tmp_path / "killed" / "parts"

    def kill_one() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(parts.glob("*.parquet")):
            time.sleep(0.05)
        os.killpg(workers[0].pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_one)
    killer.start()
    survived = run_study(spec, tmp_path / "killed", scheduler=address)
    killer.join()
    assert workers[0].poll() is not None  # the worker is gone
    assert (survived.cases["status"] == "ok").all()
    pd.testing.assert_frame_equal(survived.cases.drop(columns=drop), local.cases.drop(columns=drop))
