"""A sweep on a pool: its shared work and its scenarios as one stream of tasks.

The shared work (`dipscan.scan.plan`: thermal-relic masses, BaBar grid rows, sampling units) goes
out the largest first. A scenario goes out as soon as every piece it reads is in, ahead of the
pieces still waiting: no core waits at a barrier between the two phases, the last tasks are
small ones, and each scenario's blocks leave the main process early (bounded memory). A few
tasks more than the workers are kept in flight, so that a worker never waits for the main
process to hand it the next one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field

#: Tasks in flight beyond one per worker.
AHEAD = 2


@dataclass
class Work:
    """A piece of shared work: tasks (function, arguments) whose results `finish` takes, in
    order, once all are in; the scenarios (by index) that read it wait for it."""

    tasks: list[tuple[Callable, tuple]]
    readers: set[int]
    finish: Callable[[list], None]
    results: list = field(default_factory=list)
    failed: bool = False


def run_sweep(works: list[Work], scenarios: int, submit_scenario: Callable[[int], Future],
              pool: Executor, workers: int,
              size: Callable[[int], int] = lambda k: 0) -> Iterator[tuple[int, Future]]:
    """Run the works' tasks in order on `pool` and start each of the `scenarios` with
    `submit_scenario(k)` once the works it reads are finished (the largest by `size` first);
    yield (k, future) as each scenario's task completes.

    A failed task marks its work failed and its `finish` is not called: the scenarios that read
    it do the work themselves and report the failure in one line, the others go on. A `finish`
    that fails (the overlay cache cannot be written) is left to them the same way.
    """
    waiting = dict.fromkeys(range(scenarios), 0)  # works each scenario still waits for
    for work in works:
        for k in work.readers & waiting.keys():
            waiting[k] += 1
    queue = [(work, task) for work in works for task in work.tasks]
    queue.reverse()  # popped from the end
    left = {id(work): len(work.tasks) for work in works}
    startable = sorted((k for k, n in waiting.items() if n == 0), key=size)
    in_flight: dict[Future, tuple[Work | None, int]] = {}
    limit = max(workers, 1) + AHEAD
    while queue or startable or in_flight:
        while len(in_flight) < limit and (startable or queue):
            if startable:
                k = startable.pop()
                in_flight[submit_scenario(k)] = (None, k)
            else:
                work, (function, args) = queue.pop()
                in_flight[pool.submit(function, *args)] = (work, len(work.results))
                work.results.append(None)
        done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        for future in done:
            work, index = in_flight.pop(future)
            if work is None:
                yield index, future
                continue
            try:
                work.results[index] = future.result()
            except Exception:  # left to the scenarios that read the work
                work.failed = True
            left[id(work)] -= 1
            if left[id(work)]:
                continue
            if not work.failed:
                with contextlib.suppress(Exception):  # a full disk, say: as a failed piece
                    work.finish(work.results)
            work.results = []
            for k in work.readers & waiting.keys():
                waiting[k] -= 1
                if waiting[k] == 0:
                    startable.append(k)
            startable.sort(key=size)


def run_works(works: list[Work], pool: Executor, workers: int) -> None:
    """Every work finished (or failed), with no scenario to start."""
    with contextlib.suppress(StopIteration):
        next(run_sweep(works, 0, lambda k: Future(), pool, workers))
