"""Where independent pieces of work run: this process, a local process pool, or a Dask cluster.

Every piece (a scenario of a sweep, a shard of a table) carries its own seeds, so the results are
the same bytes wherever it runs. Dask's Client offers the standard concurrent.futures interface,
so callers see one `Executor` whatever the engine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from multiprocessing import get_context

from dipscan.errors import DipscanError

EXECUTORS = ("local", "dask")


@contextlib.contextmanager
def open_executor(kind: str = "local", scheduler: str | None = None, workers: int | None = None,
                  connect_timeout_s: float = 10.0) -> Iterator[Executor | None]:
    """Yield an Executor, or None for "local" with one worker (run in this process).

    kind "dask": connect to `scheduler` (e.g. tcp://host:8786), or start a LocalCluster of
    `workers` processes when no address is given.
    """
    if kind not in EXECUTORS:
        raise DipscanError(f"--executor: found {kind!r}; allowed: {', '.join(EXECUTORS)}")
    if kind == "local":
        if scheduler:
            raise DipscanError("--scheduler: only with --executor dask")
        if workers == 1:
            yield None
            return
        # spawn: a fresh interpreter per worker, nothing inherited from the caller
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            try:
                yield pool
            except BaseException as err:
                # Failed: start no queued piece. Interrupted: also stop the running ones now
                # (their results would be thrown away; a batch scheduler's grace time is short).
                pool.shutdown(wait=False, cancel_futures=True)
                if isinstance(err, KeyboardInterrupt):
                    for process in list((getattr(pool, "_processes", None) or {}).values()):
                        process.terminate()
                raise
        return
    from dask.distributed import Client, LocalCluster
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{connect_timeout_s}s")
        except OSError as err:
            raise DipscanError(f"--scheduler: cannot reach the Dask scheduler at {scheduler!r} "
                               f"({err})") from err
        with client:
            yield client.get_executor(pure=False)
        return
    with LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client.get_executor(pure=False)
