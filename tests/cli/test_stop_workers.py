"""`cs-lab run --jobs` on SIGTERM: every worker is asked to stop, and one that does not (stuck in a
long native call, which sees the signal only when it returns) is killed after the grace period."""

import multiprocessing as mp
import signal
import time

from cs_lab.cli.run import stop_workers


def _polite():
    time.sleep(60)                       # default SIGTERM action: exits at once


def _stuck():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)   # like a fit inside C: the signal waits
    time.sleep(60)


def test_workers_are_stopped_within_the_grace_period():
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_polite), ctx.Process(target=_stuck)]
    for p in procs:
        p.start()
    time.sleep(1.5)                      # both running (the stuck one has set its handler)
    t0 = time.monotonic()
    stop_workers(procs, grace=2.0)
    took = time.monotonic() - t0
    assert not any(p.is_alive() for p in procs)
    assert procs[0].exitcode == -signal.SIGTERM      # asked politely, it went
    assert procs[1].exitcode == -signal.SIGKILL      # ignored the request: killed after the grace
    assert 1.5 < took < 6.0
