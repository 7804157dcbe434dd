"""A study's cases on Dask distributed: a LocalCluster by default, or an existing scheduler.

The bundle (scenario and its files) and the base case's records go to every worker once
(``Client.scatter(..., broadcast=True)``); each task is a batch of cases and returns their rows.
At most two batches per worker are in flight, so the client's memory does not grow with the study.
A batch lost with its worker (``KilledWorker``, or the scheduler giving up on it) is submitted again
case by case; a single case lost that way is recorded as ``worker_died`` - so a case that kills its
worker is tried twice (Dask's own retry, ``allowed-failures = 1``, then once on its own) and never
takes the study down.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from pvcluster.errors import InputError, Problem
from pvcluster.processes import usable_cores


def run_on_dask(bundle, base, design: str, rows: list, sink: Callable[[list[dict]], None], *, scheduler: str | None,
                workers: int | None, batch_cases: int, say: Callable[[str], None]) -> None:
    import dask
    from distributed import Client, LocalCluster, as_completed

    from pvcluster.study.engine import evaluate_batch

    cluster = None
    with dask.config.set({"distributed.scheduler.allowed-failures": 1, "distributed.worker.daemon": True,
                          "distributed.admin.tick.limit": "60s"}):
        try:
            if scheduler:
                try:
                    client = Client(scheduler, timeout="20s")
                except (OSError, TimeoutError) as exc:
                    raise InputError(Problem("--scheduler", "", "the address of a running Dask scheduler "
                                             "(tcp://host:port)", f"{scheduler!r}: {exc}"),
                                     headline="cannot reach the scheduler") from None
                say(f"Dask scheduler {scheduler}: {len(client.scheduler_info()['workers'])} workers")
            else:
                n = workers or usable_cores()
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
                client = Client(cluster)
                say(f"Dask LocalCluster: {n} worker processes on this machine")
            try:
                n_workers = max(1, len(client.scheduler_info()["workers"]))
                size = batch_cases or max(1, min(50, len(rows) // (4 * n_workers) or 1))
                shared_bundle, shared_base = client.scatter([bundle, base], broadcast=True)
                _drive(client, as_completed, evaluate_batch, shared_bundle, shared_base, design, rows, size,
                       2 * n_workers, sink)
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()


def _drive(client, as_completed, evaluate_batch, bundle, base, design, rows, size, in_flight, sink) -> None:
    from distributed import KilledWorker

    pending = deque(rows[i:i + size] for i in range(0, len(rows), size))
    running = as_completed()
    batches = {}

    def submit(batch) -> None:
        f = client.submit(evaluate_batch, bundle, base, design, batch, pure=False)
        batches[f.key] = batch
        running.add(f)

    for _ in range(min(in_flight, len(pending))):
        submit(pending.popleft())
    for future in running:
        batch = batches.pop(future.key)
        try:
            sink(future.result())
        except KilledWorker:
            if len(batch) > 1:  # find the case that kills its worker: the others still run
                for row in batch:
                    pending.appendleft([row])
            else:
                case, _, _ = batch[0]
                sink([{"case": case, "outputs": {}, "status": "worker_died", "seconds": 0.0,
                       "message": "the case's worker process died twice (out of memory, or killed)"}])
        finally:
            future.release()
        while pending and running.count() < in_flight:
            submit(pending.popleft())
