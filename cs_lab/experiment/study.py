"""Optuna studies that live in the run folder (journal file) so a killed run resumes, or in a
shared storage URL so several workers join one study."""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.trial import TrialState


def storage_for(run_dir: Path, url: str | None):
    """``url`` (sqlite:///..., postgresql://..., or a journal file path ending in .journal /
    .log), else a journal file in the run folder."""
    if url is None or url.endswith((".journal", ".log")):
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        path = Path(url) if url else run_dir / "optuna.journal"
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    return url


def open_study(name: str, storage, directions: list[str], seed: int, prune: bool) -> optuna.Study:
    sampler = (optuna.samplers.TPESampler(seed=seed, multivariate=True) if len(directions) == 1
               else optuna.samplers.NSGAIISampler(seed=seed))
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
