"""Optuna studies that live in the run folder (journal file) so a killed run resumes, or in a
shared storage URL so several workers join one study.

Reliability rules (docs/failure_modes.md):

- Journal files are opened by absolute path, with :class:`StaleSafeJournalLock`: a lock left by
  a killed process (or a dangling symlink from a relative path) is removed after a short grace
  period instead of spinning forever.
- Samplers are reseeded per trial from ``(seed, k)``, k = the number of non-FAIL trials created
  before it (:class:`SeededTPESampler`, :class:`SeededNSGAIISampler`, :func:`trial_index`), so a
  killed-and-resumed study proposes exactly what an uninterrupted one would: the re-run of a
  killed trial (marked FAIL by :func:`fail_stale_trials`) gets the seed the killed one had.
"""

from __future__ import annotations

import errno
import logging
import os
import time
import uuid
from pathlib import Path

import numpy as np
import optuna
from optuna.storages.journal._file import BaseJournalFileLock  # public base, private module
from optuna.trial import TrialState

log = logging.getLogger(__name__)

#: a journal lock is held for one append (milliseconds); one older than this is left by a dead
#: process and is removed
JOURNAL_LOCK_GRACE_S = 10.0


class StaleSafeJournalLock(BaseJournalFileLock):
    """Symlink lock ``<journal>.lock`` -> absolute journal path (compatible with Optuna's
    ``JournalFileSymlinkLock``), that cannot spin and cannot stay stuck.

    Optuna's own lock ``os.stat``s the lock to age it: a dangling symlink (made by a client that
    opened the journal by a relative path) raises, and the loop ``continue``s without sleeping,
    forever, at 100% CPU. This one ages the link itself (``os.lstat``), always sleeps between
    attempts, removes a lock older than ``grace_period`` seconds, and on an interrupt only
    releases a lock it holds.
    """

    def __init__(self, journal: str | Path, grace_period: float = JOURNAL_LOCK_GRACE_S) -> None:
        self._target = str(Path(journal).absolute())
        self._lock_file = self._target + ".lock"
        self.grace_period = grace_period

    def _age(self) -> float | None:
        try:
            return time.time() - os.lstat(self._lock_file).st_mtime
        except FileNotFoundError:
            return None

    def break_if_stale(self, dangling: bool = False) -> bool:
        """Remove the lock if it is older than the grace period (its holder died), or, with
        ``dangling``, if it is a symlink pointing nowhere (left by a client that opened the journal
        by a relative path; an append holds the lock for milliseconds). True if removed."""
        age = self._age()
        if age is None:
            return False
        is_dangling = dangling and not os.path.exists(self._lock_file)
        if age <= self.grace_period and not is_dangling:
            return False
        aside = f"{self._lock_file}.{uuid.uuid4().hex}.stale"
        try:
            os.rename(self._lock_file, aside)   # atomic: only one process breaks a given lock
        except FileNotFoundError:
            return False
        if not self._still_stale(aside, dangling):
            # between our look and the rename, another process broke it and a live one took a
            # fresh lock: give that one back (a hard link keeps its age) and keep waiting
            try:
                os.link(aside, self._lock_file, follow_symlinks=False)
            except FileExistsError:
                pass
            os.unlink(aside)
            return False
        os.unlink(aside)
        log.warning("removed stale Optuna journal lock %s (%s, %.0f s old: its process died "
                    "while appending)", self._lock_file, "dangling" if is_dangling else "valid", age)
        return True

    def _still_stale(self, path: str, dangling: bool) -> bool:
        try:
            age = time.time() - os.lstat(path).st_mtime
        except FileNotFoundError:
            return False
        return age > self.grace_period or (dangling and not os.path.exists(path))

    def acquire(self) -> bool:
        sleep_s, warned, t0 = 0.001, False, time.monotonic()
        while True:
            try:
                os.symlink(self._target, self._lock_file)
                return True
            except FileExistsError:
                pass
            if not self.break_if_stale():
                if not warned and time.monotonic() - t0 > 5:
                    log.warning("waiting for the Optuna journal lock %s (removed after %.0f s if "
                                "its holder is gone)", self._lock_file, self.grace_period)
                    warned = True
                time.sleep(sleep_s)
                sleep_s = min(sleep_s * 2, 0.25)

    def release(self) -> None:
        aside = f"{self._lock_file}.{uuid.uuid4().hex}.rename"
        try:
            os.rename(self._lock_file, aside)
        except OSError as exc:
            if exc.errno == errno.ENOENT:   # broken as stale by another process: nothing to undo
                log.warning("Optuna journal lock %s vanished while held (held > %.0f s?)",
                            self._lock_file, self.grace_period)
                return
            raise
        os.unlink(aside)


def journal_storage(path: str | Path, grace_period: float = JOURNAL_LOCK_GRACE_S):
    """A JournalStorage on ``path`` (made absolute), with :class:`StaleSafeJournalLock`; a stale
    lock left by a killed process is removed on open."""
    from optuna.storages import JournalStorage

    from cs_lab.experiment.journal import ChecksummedJournalFileBackend, repair

    path = Path(path).expanduser().absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = StaleSafeJournalLock(path, grace_period)
    lock.break_if_stale(dangling=True)
    repair(path, lock)   # checked against its <journal>.sum, cut at its last good line (journal.py)
    return JournalStorage(ChecksummedJournalFileBackend(str(path), lock_obj=lock))


def storage_for(run_dir: Path, url: str | None):
    """``url`` (sqlite:///..., postgresql://..., or a journal file path ending in .journal /
    .log), else a journal file in the run folder. Journal paths are made absolute."""
    if url is None or url.endswith((".journal", ".log")):
        return journal_storage(Path(url) if url else Path(run_dir) / "optuna.journal")
    return url


def trial_seed(seed: int, number: int) -> int:
    """The RNG seed of trial ``number`` of a study seeded ``seed`` (independent streams)."""
    return int(np.random.SeedSequence([seed & 0xFFFFFFFFFFFFFFFF, number]).generate_state(1)[0])


def trial_index(study, trial) -> int:
    """k of ``trial``: how many trials of ``study`` created before it are not FAIL (COMPLETE,
    PRUNED, RUNNING, WAITING). A trial killed with its process is marked FAIL on resume and
    re-run under a new number; its re-run has the same k, hence the same seed."""
    return sum(1 for t in study.get_trials(deepcopy=False)
               if t.number < trial.number and t.state != TrialState.FAIL)


class _PerTrialSeed:
    """Mixin for Optuna samplers: before each trial, every random state of the sampler is
    reseeded from ``(seed, k)``, k = :func:`trial_index` (not ``trial.number``: a killed trial
    consumed a number). A sampler's proposals become a pure function of (seed, k, trial history):
    a resumed study (fresh sampler object) proposes what an uninterrupted one would, instead of
    replaying the RNG from its start or shifting every later seed by the failed trial."""

    _RNG_ATTRS = (("_rng",), ("_random_sampler", "_rng"))

    def _init_seed(self, seed: int) -> None:
        self._base_seed = int(seed)
        states = []
        for path in self._RNG_ATTRS:
            obj = self
            for name in path:
                obj = getattr(obj, name, None)
            if obj is not None:
                states.append(obj)
        if not states:  # an Optuna upgrade renamed the attributes: fail loudly, not silently
            raise RuntimeError(f"{type(self).__name__}: no random state found to reseed per trial "
                               f"(looked for {self._RNG_ATTRS}); update cs_lab.experiment.study")
        self._states = states

    def before_trial(self, study, trial) -> None:
        s = trial_seed(self._base_seed, trial_index(study, trial))
        for i, state in enumerate(self._states):
            state.rng.seed(trial_seed(s, i))      # reseed in place: strategies share the object
        super().before_trial(study, trial)


class SeededTPESampler(_PerTrialSeed, optuna.samplers.TPESampler):
    def __init__(self, seed: int, **kwargs) -> None:
        super().__init__(seed=seed, **kwargs)
        self._init_seed(seed)


class SeededNSGAIISampler(_PerTrialSeed, optuna.samplers.NSGAIISampler):
    def __init__(self, seed: int, **kwargs) -> None:
        super().__init__(seed=seed, **kwargs)
        self._init_seed(seed)


def make_sampler(directions: list[str], seed: int) -> optuna.samplers.BaseSampler:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if len(directions) == 1:
            return SeededTPESampler(seed=seed, multivariate=True)
        return SeededNSGAIISampler(seed=seed)


def open_study(name: str, storage, directions: list[str], seed: int, prune: bool) -> optuna.Study:
    sampler = make_sampler(directions, seed)
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2)
              if prune and len(directions) == 1 else optuna.pruners.NopPruner())
    return optuna.create_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner,
                               directions=directions, load_if_exists=True)


def fail_stale_trials(study: optuna.Study) -> int:
    """Trials left RUNNING by a killed process are marked FAIL (they will be re-run)."""
    n = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        n += 1
    return n


def done_trials(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


def best_params(study: optuna.Study) -> dict:
    """Single objective: the best trial's params; several: the Pareto trial best on the first."""
    if len(study.directions) == 1:
        return dict(study.best_trial.params)
    front = study.best_trials
    sign = 1 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else -1
    return dict(max(front, key=lambda t: sign * t.values[0]).params)
