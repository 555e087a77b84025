"""Optuna studies that live in the run folder (journal file) so a killed run resumes, or in a
shared storage URL so several workers join one study.

Reliability rules (docs/failure_modes.md):

- Journal files are opened by absolute path, with :class:`StaleSafeJournalLock`: a lock left by
  a killed process (or a dangling symlink from a relative path) is removed after a short grace
  period instead of spinning forever.
- The sampler fits the budget (:func:`make_sampler`: QMC below :data:`TPE_MIN_BUDGET` trials,
  else multivariate TPE with a third of the budget as start-up; NSGA-II for several objectives);
  trial 0 is the model's default configuration (:func:`enqueue_default`); the budget counts
  completed trials, pruned ones replaced up to a cap (:func:`budget_left`). docs/tuning.md.
- Samplers are reseeded per trial from ``(seed, k)``, k = the number of non-FAIL trials created
  before it (:class:`SeededTPESampler`, :class:`SeededQMCSampler`, :class:`SeededNSGAIISampler`,
  :func:`trial_index`), so a
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


class SeededQMCSampler(_PerTrialSeed, optuna.samplers.QMCSampler):
    """Scrambled Sobol points, point k for the trial of index k (:func:`trial_index`), instead of
    Optuna's counter in the study's system attributes (which a killed trial advances, so a resumed
    study would skip a point). The independent sampler (used while no trial has finished, for the
    search space) is reseeded per trial like the others."""

    _RNG_ATTRS = (("_independent_sampler", "_rng"),)

    def __init__(self, seed: int, **kwargs) -> None:
        super().__init__(seed=seed, scramble=True, qmc_type="sobol", **kwargs)
        self._init_seed(seed)
        self._k = 0

    def before_trial(self, study, trial) -> None:
        self._k = trial_index(study, trial)
        super().before_trial(study, trial)

    def _find_sample_id(self, study, search_space) -> int:
        return self._k

    def _sample_qmc(self, study, search_space):
        import warnings

        with warnings.catch_warnings():   # scipy: "balance properties ... power of 2" (one point at a time)
            warnings.simplefilter("ignore", UserWarning)
            return super()._sample_qmc(study, search_space)


#: below this many trials TPE would spend the whole budget on its random start-up (Optuna's
#: default start-up is 10 trials), so the budget goes to quasi-random (QMC) points instead
TPE_MIN_BUDGET = 10


def tpe_startup(budget: int) -> int:
    """TPE's random start-up trials for a budget: about a third of it (at least 3)."""
    return max(3, round(budget / 3))


def sampler_name(directions: list[str], budget: int | None) -> str:
    if len(directions) > 1:
        return "NSGA-II"
    if budget is not None and budget < TPE_MIN_BUDGET:
        return "QMC (scrambled Sobol)"
    return f"TPE (multivariate, {tpe_startup(budget) if budget is not None else 10} start-up trials)"


def make_sampler(directions: list[str], seed: int, budget: int | None = None) -> optuna.samplers.BaseSampler:
    """The sampler that fits the budget: several objectives -> NSGA-II; budget below
    :data:`TPE_MIN_BUDGET` -> QMC; otherwise multivariate TPE with :func:`tpe_startup` random
    start-up trials (``budget=None``: Optuna's 10). All reseeded per trial (resume-deterministic)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if len(directions) > 1:
            return SeededNSGAIISampler(seed=seed)
        if budget is not None and budget < TPE_MIN_BUDGET:
            return SeededQMCSampler(seed=seed)
        startup = tpe_startup(budget) if budget is not None else 10
        return SeededTPESampler(seed=seed, multivariate=True, n_startup_trials=startup)


def open_study(name: str, storage, directions: list[str], seed: int, prune: bool, budget: int | None = None,
               warmup_steps: int = 2) -> optuna.Study:
    """``warmup_steps``: no trial is pruned before this step (the model's iteration index); about
    half the model's iterations, so a slow starter is not cut at its first report."""
    sampler = make_sampler(directions, seed, budget)
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=warmup_steps)
              if prune and len(directions) == 1 else optuna.pruners.NopPruner())
    return optuna.create_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner,
                               directions=directions, load_if_exists=True)


#: user attribute marking the enqueued trial of the model's default configuration
DEFAULT_ATTR = "cs_lab.default"


def enqueue_default(study: optuna.Study, params: dict) -> bool:
    """Enqueue the model's default configuration (``params``: its values of the searched
    parameters) unless a trial of it is already in the study and not FAIL (so a resumed study
    does not run it twice; one killed while running is enqueued again). True if enqueued."""
    for t in study.get_trials(deepcopy=False):
        if t.user_attrs.get(DEFAULT_ATTR) and t.state != TrialState.FAIL:
            return False
    study.enqueue_trial(params, user_attrs={DEFAULT_ATTR: True})
    return True


def default_trial(study: optuna.Study):
    """The finished (COMPLETE or PRUNED) trial of the default configuration, or None."""
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)):
        if t.user_attrs.get(DEFAULT_ATTR):
            return t
    return None


def trial_counts(study: optuna.Study) -> tuple[int, int]:
    """(completed, pruned) trials of the study."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    n_complete = sum(1 for t in trials if t.state == TrialState.COMPLETE)
    return n_complete, len(trials) - n_complete


def budget_left(study: optuna.Study, budget: int, max_pruned: int) -> int:
    """Trials still to start: the budget counts COMPLETED trials; a pruned trial is replaced by a
    new one, at most ``max_pruned`` times (so at most budget + max_pruned trials in all; with
    max_pruned = 0 a pruned trial uses up its place in the budget)."""
    n_complete, n_pruned = trial_counts(study)
    if n_complete >= budget:
        return 0
    return max(0, budget + max_pruned - n_complete - n_pruned)


class BudgetCallback:
    """study.optimize callback: stop when :func:`budget_left` is 0 (reads the storage, so workers
    sharing a study stop together)."""

    def __init__(self, budget: int, max_pruned: int) -> None:
        self.budget, self.max_pruned = budget, max_pruned

    def __call__(self, study: optuna.Study, trial) -> None:
        if budget_left(study, self.budget, self.max_pruned) == 0:
            study.stop()


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
