"""A sweep's shared work and its scenarios run as one stream of tasks (dipscan.scan.sweep):
each scenario starts once the work it reads is in, ahead of the work still waiting; a failed
piece is left to the scenarios; a few tasks more than the workers are in flight."""

from concurrent.futures import Executor, Future, ThreadPoolExecutor

import pytest

from dipscan.scan.sweep import AHEAD, Work, run_sweep, run_works


class Recorder(Executor):
    """A thread pool that records what is submitted, in order, and the most tasks in flight."""

    def __init__(self, workers=2):
        self.pool = ThreadPoolExecutor(workers)
        self.submitted: list[tuple] = []
        self.futures: list[Future] = []
        self.most_in_flight = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted.append(args)
        self.futures.append(self.pool.submit(fn, *args, **kwargs))
        self.most_in_flight = max(self.most_in_flight, sum(not f.done() for f in self.futures))
        return self.futures[-1]


def piece(name):
    return name


def pair(i, j):
    return i, j


def failing(name):
    raise OSError(f"{name}: damaged table")


def test_a_scenario_starts_once_its_work_is_in_ahead_of_the_work_still_waiting():
    finished = []
    works = [Work([(piece, ("a1",)), (piece, ("a2",))], {0}, finished.append),
             *(Work([(piece, (f"b{i}",))], {1}, finished.append) for i in range(12))]
    pool = Recorder()
    order = []

    def submit(k):
        order.append((k, len(pool.submitted)))
        return pool.submit(lambda: f"scenario {k}")

    done = dict(run_sweep(works, 2, submit, pool, workers=2))
    assert sorted(done) == [0, 1]
    assert done[0].result() == "scenario 0"
    assert ["a1", "a2"] in finished  # the pieces of a work, in order
    # Scenario 0 starts long before the last of scenario 1's work is handed out.
    (k0, when0), (k1, when1) = order
    assert (k0, k1) == (0, 1) and when0 < when1 - 5
    assert pool.most_in_flight <= 2 + AHEAD


def test_a_failed_piece_is_left_to_the_scenarios_and_the_others_go_on():
    finished = []
    works = [Work([(piece, ("ok",)), (failing, ("bad",))], {0}, finished.append),
             Work([(piece, ("fine",))], {1}, finished.append)]
    with ThreadPoolExecutor(2) as pool:
        done = dict(run_sweep(works, 2, lambda k: pool.submit(piece, k), pool, workers=2))
    assert sorted(done) == [0, 1]  # both scenarios started: 0 redoes the failed work itself
    assert finished == [["fine"]]  # the failed work is not finished


def test_a_work_that_cannot_be_finished_is_left_to_the_scenarios():
    def disk_full(results):
        raise OSError(28, "No space left on device")

    works = [Work([(piece, ("a",))], {0}, disk_full), Work([(piece, ("b",))], {1}, disk_full)]
    with ThreadPoolExecutor(2) as pool:
        done = dict(run_sweep(works, 2, lambda k: pool.submit(piece, k), pool, workers=2))
    assert {k: f.result() for k, f in done.items()} == {0: 0, 1: 1}


def test_scenarios_with_nothing_to_wait_for_start_the_largest_first():
    pool = Recorder()
    started = []

    def submit(k):
        started.append(k)
        return pool.submit(piece, k)

    done = [k for k, _ in run_sweep([], 4, submit, pool, workers=1, size=[1, 5, 3, 2].__getitem__)]
    assert started == [1, 2, 3, 0] and sorted(done) == [0, 1, 2, 3]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_every_work_is_finished_once(workers):
    finished = []
    works = [Work([(pair, (i, j)) for j in range(3)], {0, 5}, finished.append) for i in range(7)]
    with ThreadPoolExecutor(workers) as pool:
        run_works(works, pool, workers)
    assert sorted(finished) == [[(i, j) for j in range(3)] for i in range(7)]
