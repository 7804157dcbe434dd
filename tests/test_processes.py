"""The run's shared worker processes (pvcluster.processes): jobs on them equal jobs run here."""

from __future__ import annotations

import math
import operator
import os
import sys
import threading
import time

import pytest

from pvcluster import processes


def test_jobs_without_workers_run_here_in_order():
    ran = []
    out = processes.run_jobs([(operator.add, (1, 2)), (os.getpid, ()), (operator.mul, (3, 4))],
                             local=(lambda: ran.append("local"),))
    assert out == [3, os.getpid(), 12] and ran == ["local"]


def test_jobs_on_workers_give_the_same_results_in_order_and_the_workers_go_back():
    with processes.prestarted_workers(2, warm=("math",)):
        workers = list(processes._SPARE)
        jobs = [(operator.add, (i, i)) for i in range(12)] + [(time.sleep, (0.3,)), (os.getpid, ())] * 2
        out = processes.run_jobs(jobs)
        assert out[:12] == [2 * i for i in range(12)] and out[12] is None
        assert processes._SPARE == workers  # idle again, for the next stage
        pids = set(processes.run_jobs([(time.sleep, (0.3,)), (os.getpid, ())] * 3)[1::2])
        assert pids & {p.pid for _, p in workers}  # workers took some of the jobs
    assert processes._SPARE == [] and not any(p.is_alive() for _, p in workers)


def test_started_jobs_run_on_the_workers_while_this_process_goes_on():
    """start_jobs returns at once; the workers compute while this process does something else, and take
    jobs added later as they fall idle, without this process's help; the results come in order."""
    with processes.prestarted_workers(2):
        workers = list(processes._SPARE)
        pids = {p.pid for _, p in workers}
        queue = processes.start_jobs([(time.sleep, (1.0,)), (time.sleep, (1.0,))])
        assert queue._done == {} and processes._SPARE == []  # returned before any answer, both workers busy
        later = queue.add([(os.getpid, ()), (os.getpid, ()), (operator.add, (2, 3))])
        assert list(later) == [2, 3, 4]
        deadline = time.monotonic() + 30
        while len(queue._done) < 5 and time.monotonic() < deadline:  # this process only waits
            time.sleep(0.05)
        out = queue.results()
        assert out[:2] == [None, None] and set(out[2:4]) <= pids and out[4] == 5
        assert sorted(processes._SPARE, key=id) == sorted(workers, key=id)  # idle again, for the next stage
        again = queue.add([(os.getpid, ())] * 4)  # a new batch on the same queue, after results()
        assert set(queue.results()[again.start:]) & pids


def test_jobs_added_after_results_run_once_each():
    """Jobs this process ran from the back are done: a batch added later runs only the new jobs."""
    ran = []  # appended to here only (a worker appends to its own copy)
    with processes.prestarted_workers(1):
        queue = processes.start_jobs([(time.sleep, (0.5,)), (ran.append, ("b",)), (ran.append, ("c",))])
        assert queue.results() == [None, None, None] and ran == ["c", "b"]  # taken here from the back
        queue.add([(ran.append, ("d",)), (operator.add, (1, 2))])
        assert queue.results()[3:] == [None, 3]
    assert ran.count("b") == 1 and ran.count("c") == 1 and ran.count("d") <= 1


def test_a_queue_whose_worker_dies_stops_serving_and_runs_the_rest_here():
    """With its only worker dead the serving thread leaves (it does not spin while this process works);
    collected, every job runs here. A queue closed without collecting gives its idle workers back."""
    with processes.prestarted_workers(1):
        (conn, proc), = processes._SPARE
        conn.send(("call", (time.sleep, (0.0,))))  # wait until it is up
        assert conn.recv() == ("ok", None)
        queue = processes.start_jobs([(time.sleep, (1.0,)), (os.getpid, ()), (operator.neg, (4,))])
        proc.kill()
        queue._thread.join(10)
        assert not queue._thread.is_alive()
        assert queue.results() == [None, os.getpid(), -4]
    with processes.prestarted_workers(2):
        workers = list(processes._SPARE)
        queue = processes.start_jobs([(operator.add, (1, 1))])
        time.sleep(0.5)
        queue.close()  # never collected
        assert not queue._thread.is_alive() and len(processes._SPARE) == 2
        assert all(p.is_alive() for _, p in workers)


def test_started_jobs_without_workers_run_here_when_collected():
    ran = []
    queue = processes.start_jobs([(ran.append, ("job",))])
    assert ran == []  # nothing ran yet: there is no worker
    assert queue.results(local=(lambda: ran.append("local"),)) == [None] and ran == ["local", "job"]


def test_a_job_that_fails_on_a_worker_raises_its_own_error_here():
    with processes.prestarted_workers(1):
        worker = processes._SPARE[0]
        with pytest.raises(ValueError, match="math domain error"):  # the one job goes to the worker first
            processes.run_jobs([(math.sqrt, (-1.0,))])
        assert processes._SPARE == [worker] and worker[1].is_alive()  # it answered: still of use


def test_a_job_that_cannot_be_pickled_runs_here():
    with processes.prestarted_workers(1):
        assert processes.run_jobs([(lambda x: x + 1, (1,)), (operator.neg, (2,))]) == [2, -2]
        assert len(processes._SPARE) == 1


def test_a_worker_that_dies_has_its_job_run_here():
    with processes.prestarted_workers(1):
        (conn, proc), = processes._SPARE
        conn.send(("call", (time.sleep, (0.0,))))  # wait until it is up
        assert conn.recv() == ("ok", None)

        def kill() -> None:  # this process's own work, run while the worker holds its job
            proc.kill()
            proc.join(5)
        assert processes.run_jobs([(time.sleep, (0.5,)), (operator.add, (2, 3))], local=(kill,)) == [None, 5]
        assert processes._SPARE == []  # the dead worker is not handed out again


def test_a_worker_given_back_drops_its_state_and_serves_jobs():
    with processes.prestarted_workers(1, warm=("json",)):
        w = processes.take_worker(spare_only=True)
        import collections

        w[0].send(("start", (collections.Counter, ("abca",))))
        assert w[0].recv() == ("ok", None)
        w[0].send(("most_common", (1,)))
        assert w[0].recv() == ("ok", [("a", 2)])
        processes.give_back([w])
        assert processes._SPARE == [w]
        assert processes.run_jobs([(operator.add, ("x", "y"))]) == ["xy"]
    assert not w[1].is_alive()


IMPORTED = "'colorsys' in __import__('sys').modules"  # evaluated in a worker


def test_a_prepared_worker_imports_the_runs_later_modules_and_keeps_its_state():
    """prepare: a worker still holding its stage's state (a sizing worker with no site left) imports what
    the run will give it back for (warm), without an answer; its state answers as before. A worker the run
    did not start, or a run that named no later use, is sent nothing."""
    import collections

    with processes.prestarted_workers(1, warm=("colorsys",)):
        w = processes.take_worker(spare_only=True)
        w[0].send(("start", (collections.Counter, ("abca",))))
        assert w[0].recv() == ("ok", None)
        processes.prepare(w)
        w[0].send(("most_common", (1,)))
        assert w[0].recv() == ("ok", [("a", 2)])  # the state is kept, and "import" sent no answer
        w[0].send(("call", (eval, (IMPORTED,))))
        assert w[0].recv() == ("ok", True)
        other = processes.spawn_worker()
        try:
            processes.prepare(other)  # not the run's: nothing sent
            other[0].send(("call", (eval, (IMPORTED,))))
            assert other[0].recv() == ("ok", False)
        finally:
            processes.end_workers([other])
        processes.give_back([w])
    with processes.prestarted_workers(1):  # no warm modules
        w = processes.take_worker(spare_only=True)
        processes.prepare(w)
        w[0].send(("call", (eval, (IMPORTED,))))
        assert w[0].recv() == ("ok", False)
        processes.give_back([w])


def test_a_nested_block_starts_nothing_and_the_outer_one_ends_the_workers():
    with processes.prestarted_workers(1):
        outer = list(processes._SPARE)
        with processes.prestarted_workers(2, warm=("json",)):
            assert processes._SPARE == outer
        assert processes._SPARE == outer and outer[0][1].is_alive()
    assert not outer[0][1].is_alive()


def test_workers_that_imported_pyomo_end_without_a_leaked_semaphore_warning(tmp_path):
    # Pyomo's import creates a named semaphore; a worker ended before it left its loop left the resource
    # tracker to warn "leaked semaphore objects" as the run's process exited (on the command line's stderr).
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text("\n".join([
        "import os",
        "from pvcluster import processes",
        "if __name__ == '__main__':",
        "    with processes.prestarted_workers(2, imports=('pyomo.environ',)):",
        "        print(processes.run_jobs([(os.getpid, ())] * 4))",
    ]) + "\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "leaked" not in out.stderr, out.stderr


def test_a_result_that_cannot_be_pickled_leaves_the_worker_alive():
    import threading

    with processes.prestarted_workers(1):
        (conn, proc), = processes._SPARE
        conn.send(("call", (threading.Lock, ())))
        status, why = conn.recv()
        assert status == "error" and "could not be sent back" in why
        conn.send(("call", (operator.add, (1, 1))))
        assert conn.recv() == ("ok", 2) and proc.is_alive()


def test_a_block_ends_the_workers_a_stage_took_and_did_not_give_back():
    with processes.prestarted_workers(2):
        taken = processes.take_worker(spare_only=True)
        assert taken is not None and len(processes._SPARE) == 1
    assert not taken[1].is_alive()


def test_workers_given_back_without_a_later_use_are_stopped():
    with processes.prestarted_workers(1):  # no warm modules: nothing follows in a worker (compute alone)
        w = processes.take_worker(spare_only=True)
        processes.give_back([w])
        assert processes._SPARE == [] and not w[1].is_alive()


def test_an_inner_block_adds_its_warm_modules_while_it_lasts():
    with processes.prestarted_workers(0, warm=("json",)):
        with processes.prestarted_workers(0, warm=("csv", "json")):
            assert processes._RUNS[-1][1] == {"json", "csv"}
        assert processes._RUNS[-1][1] == {"json"}
    assert processes._RUNS == []


def test_a_process_that_may_not_start_workers_runs_everything_itself(monkeypatch):
    monkeypatch.setattr(processes, "can_start_workers", lambda: False)
    with processes.prestarted_workers(2):
        assert processes._SPARE == []
        assert processes.run_jobs([(os.getpid, ())] * 3) == [os.getpid()] * 3


def test_beside_workers_gives_its_result_and_raises_its_error():
    with processes.beside_workers(operator.add, 1, 2) as future:
        assert future.result(timeout=10) == 3
    with processes.beside_workers(math.sqrt, -1.0) as future:
        with pytest.raises(ValueError):
            future.result(timeout=10)


def _can_lower_a_thread() -> bool:
    out = []
    probe = threading.Thread(target=lambda: out.append(processes._lower_this_thread(1)))
    probe.start()
    probe.join()
    return len(out) == 1 and out[0] is not None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice level is Linux's")
def test_beside_workers_lowers_its_thread_only():
    if not _can_lower_a_thread():
        pytest.skip("this sandbox refuses a thread's setpriority")

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = nice()
    with processes.beside_workers(nice) as future:
        assert future.result(timeout=10) == min(before + processes.BESIDE_NICENESS, 19)
    assert nice() == before  # this thread (and so the process's own work) keeps its priority


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice level is Linux's")
def test_hurry_gives_the_thread_beside_the_workers_its_priority_back():
    # once the run waits for it, the thread runs at the process's priority again (where the system lets a
    # process raise a thread's priority back: root here, or a high enough RLIMIT_NICE)
    if not _can_lower_a_thread():
        pytest.skip("this sandbox refuses a thread's setpriority")
    waiting = threading.Event()

    def nice_before_and_after() -> tuple[int, int]:
        lowered = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        waiting.wait(timeout=10)
        return lowered, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    with processes.beside_workers(nice_before_and_after) as future:
        deadline = time.monotonic() + 10
        while "id" not in future.beside_thread and time.monotonic() < deadline:
            time.sleep(0.01)
        raised = processes.hurry(future)
        waiting.set()
        lowered, after = future.result(timeout=10)
    assert lowered == min(before + processes.BESIDE_NICENESS, 19)
    if not raised:
        pytest.skip("this system does not let a process raise a thread's priority back")
    assert after == before
    assert processes.hurry(future) is False  # done: nothing to change


def _collector_state() -> tuple[bool, int]:
    import gc

    return gc.isenabled(), gc.get_freeze_count()


def test_a_worker_given_back_leaves_its_states_garbage_frozen_and_collects_again():
    """A released worker does not spend time freeing its state (a sizing worker's dropped models), and its
    collector is on again for the jobs that follow (a sizing worker's state turns it off)."""
    import gc

    with processes.prestarted_workers(1, warm=("json",)):
        w = processes.take_worker(spare_only=True)
        w[0].send(("call", (gc.disable, ())))
        assert w[0].recv() == ("ok", None)
        processes.give_back([w])
        enabled, frozen = processes.run_jobs([(_collector_state, ())])[0]
    assert enabled and frozen > 0


def test_a_sizing_worker_collects_dropped_models_only_before_building_more(monkeypatch):
    """In a worker process of its own (own_process) a one-at-a-time sizing turns the automatic collector off
    and collects the models it dropped only when a site is about to be built with COLLECT_EVERY of them
    uncollected (a default run's worker, two sites, collects nothing); in the caller's process (the
    default) it leaves the collector alone."""
    import gc

    from pvcluster.sizing.cluster import _Sites
    from pvcluster.sizing.data import SolverSettings

    calls = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(a) or 0)
    here = _Sites([], SolverSettings(), one_at_a_time=True)
    assert gc.isenabled()
    for _ in range(3):
        here._room()
        here.dropped += 1
    assert calls == []
    try:
        own = _Sites([], SolverSettings(), one_at_a_time=True, own_process=True)
        assert not gc.isenabled()
        for _ in range(_Sites.COLLECT_EVERY):  # sizes as many sites: nothing collected, even after the last
            own._room()
            own.dropped += 1
        assert calls == []
        own._room()  # one more site: the dropped models go first
        assert len(calls) == 1 and own.dropped == 0
    finally:
        gc.enable()


def test_a_worker_that_imported_the_later_modules_goes_back_first(monkeypatch):
    # the sizing gives its workers back in its own order; one that prepare() already had import the run's
    # later modules goes first, so the next stage's first job goes to it, not to one still importing
    monkeypatch.setattr(processes, "usable_cores", lambda: 3)  # room for both
    with processes.prestarted_workers(2, warm=("json",)):
        first, second = (processes.take_worker(spare_only=True) for _ in range(2))
        processes.prepare(second)
        processes.give_back([first, second])
        assert processes._SPARE == [second, first]
        assert not processes._PREPARED  # the mark goes with the worker's return
        taken = [processes.take_worker(spare_only=True) for _ in range(2)]
        processes.give_back(taken)  # none prepared: the order given
        assert processes._SPARE == taken


@pytest.mark.parametrize("cores", [1, 2, 3])
def test_the_run_keeps_no_more_idle_workers_than_cores_besides_its_own(monkeypatch, cores):
    """Given back, workers beyond the cores this process leaves (it works beside them) are stopped, the
    prepared one kept first; a worker still idle in the run counts."""
    monkeypatch.setattr(processes, "usable_cores", lambda: cores)
    with processes.prestarted_workers(3, warm=("json",)):
        first, second = (processes.take_worker(spare_only=True) for _ in range(2))
        (idle,) = processes._SPARE  # the third, never taken: it counts against the room
        processes.prepare(second)
        processes.give_back([first, second])
        kept = [second, first][:max(cores - 2, 0)]
        assert processes._SPARE == [idle, *kept]
        for w in (first, second):
            if w not in kept:
                w[1].join(timeout=5)
                assert not w[1].is_alive()  # stopped, not left idle
        assert processes.run_jobs([(operator.add, ("x", "y"))] * 3) == ["xy"] * 3


# --- a run's workers do not outlive it ------------------------------------------------------------

_KILLED_RUN = """
import os
import time
from pvcluster import processes

if __name__ == "__main__":
    with processes.prestarted_workers(1, imports=("json",)):
        conn, proc = processes.take_worker(spare_only=True)
        conn.send(("call", (os.getpid, ())))
        pid = conn.recv()[1]  # the worker is up (past its start's check that this process lives)
        conn.send(("call", (time.sleep, (60,))))  # busy (as in a long solve): it reads no pipe for a minute
        print(pid, flush=True)
        time.sleep(60)
"""


def test_workers_end_when_the_runs_process_is_killed(tmp_path):
    # SIGKILL leaves no finalizer to run, and a busy worker reads no pipe: its parent-death signal ends it
    import signal
    import subprocess

    if not sys.platform.startswith("linux"):
        pytest.skip("the parent-death signal is Linux's")
    script = tmp_path / "killed_run.py"
    script.write_text(_KILLED_RUN)
    run = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    pid = int(run.stdout.readline())
    time.sleep(0.5)  # the worker reads its minute of sleep
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.05)
    assert not _running(pid)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
