"""The processes a large build tokenises in: a pool whose workers run below the priority of the
process that started them, ignore Ctrl-C and leave with it, and whose loss fails the build
rather than hanging it."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

# How often a worker looks whether the process that started it is still there: a killed
# build's workers (a bot stopped mid-build kills its child's) are gone this soon after it.
PARENT_CHECK_SECONDS = 0.25
# How much lower a worker's scheduling priority is than the process that started it: that
# process reads the documents every worker waits for, so it goes first where they share a
# core, and so does a bot answering questions beside its index build.
WORKER_NICENESS = 10


class BuildWorkerLost(RuntimeError):
    """A build's worker process stopped before it sent back its work: killed, say by the
    kernel for lack of memory. Not an :class:`OSError`, which a build into the index cache
    takes for a disk that cannot keep it and answers by building again in memory."""


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """``workers`` worker processes, forked where the platform allows (they share what the
    parent loaded), shut down when the block ends: on an error, without the tasks not begun.

    A worker killed fails the block with :class:`BuildWorkerLost`: ``concurrent.futures``'
    pool knows its workers and fails the tasks in flight, where ``multiprocessing``'s starts
    another and waits forever for the task the lost one held.
    """
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
    )
    try:
        yield pool
    except BaseException as error:
        # Tasks not begun are dropped; a task under way ends with its worker's current chunk.
        pool.shutdown(wait=False, cancel_futures=True)
        if isinstance(error, BrokenProcessPool):
            raise BuildWorkerLost(
                "a worker process of the index build stopped before it finished (killed, "
                "perhaps for lack of memory); the build was abandoned"
            ) from None
        raise
    pool.shutdown()


def _start_worker(parent: int) -> None:
    """A worker's start. It runs at a lower priority (:data:`WORKER_NICENESS`). It ignores
    Ctrl-C: the parent stops it, and the terminal shows no traceback from each worker. It
    leaves once ``parent`` is gone, killed say: nothing else tells it, since it holds both
    ends of the pipe its tasks come through."""
    with contextlib.suppress(OSError):  # not allowed here: it runs at its parent's priority
        os.nice(WORKER_NICENESS)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_leave_with, args=(parent,), name="leave-with-parent", daemon=True
    ).start()


def _leave_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)
