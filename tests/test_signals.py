"""A SIGTERM inside a tracker's store call is raised when the call returns, never inside it (an
interrupted SQLite write left the database locked for the KILLED status written next)."""

import os
import signal

import pytest

from cs_lab._signals import Deferred, deferred_interrupts, interrupt
from cs_lab.cli import Terminated, install_sigterm_handler


def test_interrupt_waits_for_the_outermost_block():
    done = []
    with pytest.raises(Terminated):
        with deferred_interrupts():
            with deferred_interrupts():
                interrupt(Terminated())
                done.append("inner")
            done.append("outer")             # still inside: not raised yet
    assert done == ["inner", "outer"]
    with pytest.raises(Terminated):
        interrupt(Terminated())              # outside any block: at once


def test_a_real_sigterm_lands_after_the_proxied_call():
    old = signal.getsignal(signal.SIGTERM)
    install_sigterm_handler()
    steps = []

    class Store:
        def write(self):
            os.kill(os.getpid(), signal.SIGTERM)
            for i in range(3):                # the handler runs at the next bytecode: deferred
                steps.append(i)
            return "written"

    try:
        with pytest.raises(Terminated):
            Deferred(Store()).write()
        assert steps == [0, 1, 2]             # the call ran whole before Terminated
    finally:
        signal.signal(signal.SIGTERM, old)
