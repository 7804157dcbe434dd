"""Worker processes that a run starts once and its stages share.

A full-year run sizes its sites in worker processes (:mod:`pvcluster.sizing.cluster`). A spawned
worker spends about 1.5 s importing Python, numpy and Pyomo before it can work, so
:func:`prestarted_workers` starts the workers when the run begins: they import while the weather,
demand and generation stages run in this process (which use one core). Once the sizing has its
results it gives its workers back (:func:`give_back`): each drops what it held and imports the modules
the run named for what comes next, while this process prices the projects; no more are kept than
there are cores besides this process's. The report then draws its figures on them and in this process
together (:func:`run_jobs`). Nothing outlives the run: on leaving
the block every worker is stopped.

While the workers compute, this process may do work of its own beside them at a lower priority
(:func:`beside_workers`: the run's weather ensemble while the workers size).

No stage starts a process for its own jobs: a run that started no workers (typical days, one sizing
process, a script on a Dask worker, which may not start processes) runs its jobs in this process, the
same functions on the same arguments, with the same results.

A worker runs :func:`_worker` and answers one message at a time on its pipe:

- ``("start", (factory, args))``: ``state = factory(*args)``, then commands are ``state``'s methods;
- ``(method, args)``: ``state.method(*args)``, answered ``("ok", value)`` or ``("error", repr)``;
- ``("call", (function, args))``: ``function(*args)``, answered the same way (a stateless job);
- ``("import", (modules,))``: import ``modules``, keeping the state; no answer (:func:`prepare`);
- ``("release", (modules,))``: drop the state (its garbage left uncollected), import ``modules``; no answer;
- ``("stop", ())``: exit.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing as mp
import os
import threading
from collections import deque
from contextlib import contextmanager
from multiprocessing.connection import wait
from typing import Any, Callable

#: How long stopped workers are given to leave their loop before they are ended. Leaving it, a worker's
#: ``multiprocessing`` finalizers release what it registered (Pyomo's import creates a named semaphore):
#: ended before that, the resource tracker warns of a leaked semaphore when the run's process exits. The
#: interpreter's teardown after it (0.5 s with Pyomo and matplotlib) is not waited for.
STOP_GRACE_S = 0.05

__all__ = ["prestarted_workers", "take_worker", "prepare", "give_back", "end_workers", "run_jobs", "start_jobs", "Jobs",
           "spawn_worker", "can_start_workers", "beside_workers", "hurry", "usable_cores"]

#: Objects a released worker may hold frozen (its own and what its states left, uncollected) before it
#: collects them after all: about two full-year site models (see ``release`` in :func:`_worker`).
FROZEN_LIMIT = 3_000_000
#: How much lower than its process a thread of :func:`beside_workers` runs (Linux nice levels).
BESIDE_NICENESS = 10


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to kill this worker when its parent dies, even by SIGKILL (``prctl(PR_SET_PDEATHSIG)``);
    if the parent is already gone, exit. Elsewhere the closed pipe ends the worker at its next read."""
    import signal
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
        except OSError:
            pass
    if os.getppid() != parent_pid:
        os._exit(0)


def _import(modules) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # the job that needs it will say so
            pass


def _worker(conn, parent_pid: int | None = None, imports: tuple[str, ...] = ()) -> None:
    if parent_pid is not None:
        _die_with_parent(parent_pid)
    _import(imports)
    state = None
    while True:
        try:
            command, args = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if command == "stop":
            return
        if command == "import":  # what a later stage needs, while the state waits for its next message
            _import(args[0])
            continue
        if command == "release":
            # What the state held is left as it is, never collected (a full-year site model is about a
            # million objects: 0.4-1.2 s to free, while the run waits on this worker for its figures); the
            # run ends its workers when it ends. The collector is on again for what comes next.
            state = None
            gc.freeze()
            if gc.get_freeze_count() > FROZEN_LIMIT:  # a worker that serves run after run: memory stays bounded
                gc.unfreeze()
                gc.collect()
                gc.freeze()
            gc.enable()
            _import(args[0])
            continue
        try:
            if command == "start":
                gc.enable()  # whatever a state before turned off
                factory, factory_args = args
                state, value = factory(*factory_args), None
            elif command == "call":
                function, function_args = args
                value = function(*function_args)
            else:
                value = getattr(state, command)(*args)
            answer = ("ok", value)
        except Exception as exc:  # report, do not hang the parent
            answer = ("error", repr(exc))
        try:
            conn.send(answer)
        except (EOFError, OSError):  # the parent is gone
            return
        except Exception as exc:  # an answer that cannot be pickled (nothing was sent): say so instead
            conn.send(("error", f"its result could not be sent back: {exc!r}"))


def _lower_this_thread(by: int) -> tuple[int, int] | None:
    """Lower the calling thread's CPU priority by ``by`` nice levels; its id and former nice level if it was,
    else None. Linux only: there ``setpriority`` on a thread id changes that thread alone; elsewhere the id
    could name a process."""
    import sys

    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"):
        return None
    tid = threading.get_native_id()
    try:
        nice = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(nice + by, 19))
    except OSError:
        return None
    return tid, nice


def _lowered(function: Callable, args: tuple, thread: dict) -> Any:
    lowered = _lower_this_thread(BESIDE_NICENESS)
    if lowered is not None:
        thread["id"], thread["nice"] = lowered
    return function(*args)


def hurry(future) -> bool:
    """Give the thread of :func:`beside_workers` behind ``future`` its process's priority back, once the run
    waits for it: what it still has to do now stands between the run and its next stage, and at its lower
    priority the workers' next jobs (the report's figures) starved it (1.2 s and 2.7 s of waiting in two of
    five timed runs; README, "Levers for the default run"). True if it was raised; a thread that is done,
    or a system that does not let a process raise a thread's priority back (Linux without CAP_SYS_NICE or a
    high enough RLIMIT_NICE), changes nothing."""
    thread = getattr(future, "beside_thread", {})  # filled together by _lowered, or left empty
    if future.done() or not thread:
        return False
    try:
        os.setpriority(os.PRIO_PROCESS, thread["id"], thread["nice"])
    except OSError:
        return False
    return True


@contextmanager
def beside_workers(function: Callable, *args):
    """Run ``function(*args)`` in a thread of this process at a lower CPU priority while the block runs;
    yields a ``concurrent.futures.Future`` of its result (``result()`` waits for it, and raises its error).

    For work of this process while its workers compute: the block's own thread mostly waits on their
    pipes, and the workers keep the cores until one of them is done; then the thread takes the core that
    fell idle. On leaving the block the thread is waited for."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="pvcluster-beside") as thread:
        record: dict = {}  # the thread's id and priority, for hurry()
        future = thread.submit(_lowered, function, args, record)
        future.beside_thread = record
        yield future


def can_start_workers() -> bool:
    """Whether this process may start worker processes: not a daemonic process (a Dask worker, a
    multiprocessing pool's worker), which may not have children."""
    return not mp.current_process().daemon


def spawn_worker(imports: tuple[str, ...] = ()):
    """A new worker process running :func:`_worker`, and the parent's end of its pipe; the worker imports
    ``imports`` first."""
    ctx = mp.get_context("spawn")  # HiGHS threads do not survive fork
    # Work goes through the pipe, not the Process arguments: spawn writes the arguments into a pipe it
    # also holds open itself, so when a child dies before reading them (a script without a main guard
    # re-runs itself in the child) a year of site data does not fit the pipe and start() blocks for
    # ever. Here the parent drops its copy of the child's end, so a dead child shows up as a broken pipe.
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_worker, args=(child, os.getpid(), tuple(imports)), daemon=True)
    proc.start()
    child.close()
    return parent, proc


def end_workers(workers: list, grace_s: float = STOP_GRACE_S) -> None:
    """Stop ``workers`` ((connection, process) pairs): each is asked to stop, the lot given ``grace_s`` to
    exit, then any still running is ended. A worker holds nothing anybody waits for (tearing a full-year
    model down takes 0.4 s, an interpreter with Pyomo and matplotlib 0.5 s)."""
    import time

    for conn, _ in workers:
        try:
            conn.send(("stop", ()))
        except (BrokenPipeError, OSError):
            pass
    deadline = time.monotonic() + grace_s
    for conn, proc in workers:
        proc.join(timeout=max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)
        conn.close()


_SPARE: list = []  # (connection, process) of idle workers of the active run, not taken
_PREPARED: set = set()  # ids of the connections of workers prepare() had import the run's later modules
_SPARE_LOCK = threading.Lock()
_RUNS: list = []  # the active outermost prestarted_workers block: (its workers, modules to import when idle)


@contextmanager
def prestarted_workers(n: int, imports: tuple[str, ...] = (), warm: tuple[str, ...] = ()):
    """Start ``n`` worker processes now, for this run's stages to take (:func:`take_worker`) and give back
    (:func:`give_back`). Each imports the modules ``imports`` names as it starts (what the first stage to
    take it needs), and those ``warm`` names when it is given back, while it waits.

    Inside another such block nothing new starts: the outer block's workers serve both (its ``warm``
    modules and the inner one's, while the inner one lasts), and the outer block stops them; an outer
    block of no workers leaves the stages to start and stop their own, as without any block. In a process
    that may not start workers (:func:`can_start_workers`) none starts. On leaving the outermost block
    every worker it started that is still alive is stopped, whoever holds it."""
    with _SPARE_LOCK:
        outer = _RUNS[-1] if _RUNS else None
        added = set(warm) - outer[1] if outer is not None else set()
        if outer is not None:
            outer[1].update(added)
    if outer is not None:
        try:
            yield
        finally:
            with _SPARE_LOCK:
                outer[1].difference_update(added)
        return
    started: list = []
    with _SPARE_LOCK:
        _RUNS.append((started, set(warm)))
    try:
        for _ in range(max(0, n) if can_start_workers() else 0):
            w = spawn_worker(imports)
            started.append(w)
            with _SPARE_LOCK:
                _SPARE.append(w)
        yield
    finally:
        with _SPARE_LOCK:
            _RUNS.pop()
            for w in started:
                if w in _SPARE:
                    _SPARE.remove(w)
            _PREPARED.difference_update(id(w[0]) for w in started)
        end_workers([w for w in started if w[1].is_alive()])


def take_worker(spare_only: bool = False):
    """A live idle worker of the run (:func:`prestarted_workers`), else a new one (None if ``spare_only``)."""
    while True:
        with _SPARE_LOCK:
            spare = _SPARE.pop(0) if _SPARE else None
        if spare is None:
            return None if spare_only else spawn_worker()
        if spare[1].is_alive():
            return spare
        end_workers([spare])


def _later_use() -> tuple[list, tuple[str, ...]]:
    """The active run's workers and the modules it named for their later use (``warm``)."""
    with _SPARE_LOCK:
        started, warm = _RUNS[-1] if _RUNS else ([], set())
        return started, tuple(sorted(warm))


def prepare(worker) -> None:
    """Have ``worker`` ((connection, process), idle, its state kept) import now what the run will give it
    back for (:func:`prestarted_workers`'s ``warm``), while it waits for its stage's next message: a sizing
    worker with no site left imports matplotlib while the other one sizes, not after the sizing. Nothing
    is sent to a worker the run did not start, nor when the run named no later use."""
    started, modules = _later_use()
    if modules and any(worker[0] is w[0] for w in started):
        try:
            worker[0].send(("import", (modules,)))
        except (BrokenPipeError, OSError):
            return
        with _SPARE_LOCK:
            _PREPARED.add(id(worker[0]))


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity on Linux), else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def give_back(workers: list) -> None:
    """Return idle ``workers`` (none may have a message unanswered) to the run: each drops its state and
    imports what the run named for later (``warm``). The run keeps no more idle workers than there are
    cores besides this process's (:func:`usable_cores`), which works beside them: on two cores one
    worker and this process keep both busy, and a second worker would only import matplotlib and
    pandas (0.9 s of CPU) and drop a model, on cores the others need (README, "Levers for the default
    run"). Those that imported the modules already (:func:`prepare`) are kept first. Workers the run
    did not start, those beyond that number, and all of them when the run named no later use
    (``compute`` alone: nothing follows the sizing in a worker), are stopped instead, with what they
    hold: a worker still dropping a full-year model (0.4 s) when the run ends would be ended before it
    left its loop (see :data:`STOP_GRACE_S`)."""
    keep = []
    started, modules = _later_use()
    if modules:
        with _SPARE_LOCK:
            # those that imported the modules already first: the next stage's first job goes to them at
            # once, where the send to a worker still importing (0.9 s for matplotlib and pandas) blocks
            # until it reads, and a worker after it waited as long
            candidates = sorted((w for w in workers if w in started and w[1].is_alive()),
                                key=lambda w: id(w[0]) not in _PREPARED)
            room = usable_cores() - 1 - sum(w in started for w in _SPARE)
        for w in candidates[:max(room, 0)]:
            try:
                w[0].send(("release", (modules,)))
            except (BrokenPipeError, OSError):
                continue
            keep.append(w)
    with _SPARE_LOCK:
        _PREPARED.difference_update(id(w[0]) for w in workers)
        _SPARE.extend(keep)
    end_workers([w for w in workers if w not in keep])


class Jobs:
    """Jobs handed to the run's idle workers as they come (:func:`start_jobs`), collected by
    :meth:`results`; more may be added (:meth:`add`), before or after that.

    A thread of this process serves the workers: it sends each worker the next job from the front as
    the worker falls idle and receives the answers, so the workers keep going while this process does
    something else (prices the projects while they draw the sizing's figures). :meth:`results` runs
    what is left from the back in this process, then waits for the rest. A job that fails, that
    cannot be pickled, whose answer cannot be read, or whose worker dies is run again in this process,
    so its error is raised here as in a plain call; the workers go back to the run when the queue is
    empty. :meth:`close` stops serving (a stage that failed before it collected): the workers that still
    owe an answer are ended, the rest go back."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable, tuple]] = []
        self._done: dict[int, Any] = {}
        self._retry: list[int] = []
        self._lock = threading.Lock()
        self._pending: deque[int] = deque()  # jobs not started: workers take the left end, this process the right
        self._thread: threading.Thread | None = None
        self._serving = False  # a thread serves workers (and takes what add queues)
        self._closing = False
        self._wake = None  # (reader, writer): add and close wake the serving thread
        self._sent = threading.Event()  # the serving thread has sent its workers their first jobs
        self._sent.set()

    def add(self, jobs: list[tuple[Callable, tuple]]) -> range:
        """Queue ``jobs`` ((function, args) pairs); their indices in :meth:`results`. Returns at once: the
        serving thread sends idle workers their first jobs."""
        with self._lock:
            start = len(self.jobs)
            self.jobs.extend(jobs)
            self._pending.extend(range(start, len(self.jobs)))
            serving = self._serving and not self._closing
        if serving and jobs:
            self._wake_up()
        if not serving and jobs:
            if self._thread is not None:
                self._thread.join()  # it has left its loop: it gives its workers back
            self._closing = False
            workers = []
            while len(workers) < len(jobs):
                w = take_worker(spare_only=True)
                if w is None:
                    break
                workers.append(w)
            if workers:
                if self._wake is None:
                    self._wake = mp.Pipe(duplex=False)
                self._serving = True
                self._sent.clear()
                self._thread = threading.Thread(target=self._serve, args=(workers,), name="pvcluster-jobs",
                                                daemon=True)
                self._thread.start()
        return range(start, start + len(jobs))

    def _wake_up(self) -> None:
        try:
            self._wake[1].send_bytes(b"")
        except (OSError, TypeError):  # closed meanwhile: the thread has left its loop
            pass

    def _take(self, front: bool) -> int | None:
        """The next job not started, from the front (a worker's) or the back (this process's)."""
        with self._lock:
            if not self._pending:
                return None
            return self._pending.popleft() if front else self._pending.pop()

    def _send(self, w, busy: dict, broken: list) -> bool:
        """Send worker ``w`` the next job from the front; False when there is none left for it."""
        while (i := self._take(front=True)) is not None:
            busy[w[0]] = (w, i)  # owes an answer from here on (an interrupted send too: it is ended)
            try:
                w[0].send(("call", self.jobs[i]))
            except (BrokenPipeError, OSError):
                busy.pop(w[0])
                broken.append(w)
                self._retry.append(i)
                return True
            except Exception:  # not picklable (nothing was sent): this process runs it
                busy.pop(w[0])
                self._retry.append(i)
                continue
            return True
        return False

    def _serve(self, workers: list) -> None:
        busy: dict = {}  # connection -> (worker, job index)
        broken: list = []
        wake = self._wake[0]
        try:
            # each worker's first job (a send blocks while the worker reads, e.g. after its imports)
            idle = [w for w in workers if not self._send(w, busy, broken)]
            self._sent.set()
            while not self._closing:
                for w in list(idle):
                    if self._send(w, busy, broken):
                        idle.remove(w)
                if not busy:
                    with self._lock:
                        if not self._pending or not idle:  # done, or no worker left: results() runs the rest
                            self._serving = False  # what add queues from now on starts a new thread
                            break
                    continue
                for conn in wait([*busy, wake], timeout=0.5):
                    if conn is wake:
                        wake.recv_bytes()
                        continue
                    w, i = busy.pop(conn)  # answered, or broken (an interrupted receive leaves it owing)
                    try:
                        status, value = conn.recv()
                    except (EOFError, OSError):
                        broken.append(w)
                        self._retry.append(i)
                        continue
                    except Exception:  # an answer this process cannot read: the job runs here
                        self._retry.append(i)
                        idle.append(w)
                        continue
                    if status == "ok":
                        self._done[i] = value
                    else:
                        self._retry.append(i)
                    idle.append(w)
                for conn, (w, i) in list(busy.items()):
                    if not w[1].is_alive():
                        busy.pop(conn)
                        broken.append(w)
                        self._retry.append(i)
        finally:
            self._sent.set()
            with self._lock:
                self._serving = False
            self._retry.extend(i for _, i in busy.values())  # owed when it stopped: they run here
            idle = [w for w in workers if w not in broken and w[0] not in busy and w[1].is_alive()]
            with _SPARE_LOCK:
                _SPARE.extend(idle)
            end_workers([w for w in workers if w not in idle])

    def close(self) -> None:
        """Stop serving and wait for the thread: jobs not collected stay queued (:meth:`results` would run
        them here); a worker that owes an answer is ended, the others go back to the run."""
        self._closing = True
        if self._thread is not None:
            self._wake_up()
            self._thread.join()
        if self._wake is not None:
            for end in self._wake:
                end.close()
            self._wake = None

    def results(self, local: tuple[Callable[[], Any], ...] = ()) -> list[Any]:
        """Every job's result, in the order added. ``local``: callables without arguments that this process
        runs first, while the workers go on with the jobs (work that stays here, such as writing tables)."""
        try:
            self._sent.wait()  # the workers start on the jobs before this process takes any
            for work in local:
                work()
            while (i := self._take(front=False)) is not None:
                function, args = self.jobs[i]
                self._done[i] = function(*args)
            if self._thread is not None:
                self._thread.join()
        except BaseException:
            self.close()
            raise
        self.close()
        retry, self._retry = sorted(self._retry), []
        for i in retry:
            function, args = self.jobs[i]
            self._done[i] = function(*args)
        return [self._done[i] for i in range(len(self.jobs))]


def start_jobs(jobs: list[tuple[Callable, tuple]]) -> Jobs:
    """Start ``jobs`` ((function, args) pairs) on the run's idle workers and return at once (see
    :class:`Jobs`); without idle workers nothing starts, and :meth:`Jobs.results` runs them here."""
    queue = Jobs()
    queue.add(jobs)
    return queue


def run_jobs(jobs: list[tuple[Callable, tuple]], local: tuple[Callable[[], Any], ...] = ()) -> list[Any]:
    """``[function(*args) for function, args in jobs]``, the jobs shared between the run's idle workers
    and this process; the results in the order of ``jobs``. ``local``: callables without arguments that
    this process runs first, while the workers start on the jobs (work that stays here, such as writing
    tables).

    Workers take jobs from the front, this process from the back, each the next as it falls idle.
    Functions and arguments go to a worker by pickle (module-level functions); a job that cannot be
    pickled runs here. A job that fails or whose worker dies is run again in this process, so its error
    is raised here as in a plain call. Without idle workers every job runs in this process."""
    return start_jobs(jobs).results(local)
