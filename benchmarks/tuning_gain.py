"""What tuning buys: per tunable model, the validation and test objective of the model's default
configuration against the tuned one, from two runs of the same spec (README, section "Tuning").

    CS_LAB_DATA_DIR=... python -m benchmarks.tuning_gain experiments/online_retail.yaml --out /tmp/tune_runs

1. ``cs-lab run SPEC`` with the spec's budgets (tracked in OUT/tuned.db): trial 0 of each study is the
   default configuration, so its value and the best trial's value are on the same tuning split
   (the parent run's ``tuning.default_value`` and ``tuning.best_value``);
2. ``cs-lab run SPEC --trials 0`` (OUT/default.db): every model with its default configuration, refit
   and tested on the same windows, seeds and carts as run 1 (shared cache folder OUT/).

Prints a Markdown table and writes OUT/tuning_gain.json. Validation columns: the tuning split
(default trial vs best trial) and the mean over the test windows' own validation splits (default vs
chosen configuration, refit); test: pooled over the test windows' carts, and in how many windows the
tuned configuration beats the default.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


MODES = ("tuned", "default")


def command(spec: str, out: Path, mode: str) -> list[str]:
    """Each mode has its own runs folder (the two runs may go at once: a run folder is locked)."""
    cmd = [sys.executable, "-m", "cs_lab", "run", spec, "--runs-dir", str(out / f"runs_{mode}"),
           "--tracking-uri", f"sqlite:///{out / (mode + '.db')}"]
    return cmd + (["--trials", "0"] if mode == "default" else [])


def run_all(spec: str, out: Path, parallel: bool) -> dict:
    """Both runs (one after the other, or at once); wall seconds of each and their total CPU."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    timing, running = {}, []
    for mode in MODES:
        log = open(out / f"{mode}.log", "w")
        t0 = time.perf_counter()
        proc = subprocess.Popen(command(spec, out, mode), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        running.append((mode, proc, log, t0))
        if not parallel:
            _wait(*running.pop(), timing, out)
    while running:                      # parallel: each run's wall time ends when it ends
        for item in [r for r in running if r[1].poll() is not None]:
            running.remove(item)
            _wait(*item, timing, out)
        time.sleep(0.5)
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    timing["cpu_s_both"] = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return timing


def _wait(mode, proc, log, t0, timing, out) -> None:
    rc = proc.wait()
    log.close()
    if rc:
        raise SystemExit(f"{' '.join(proc.args)} failed (exit {rc}); see {out / (mode + '.log')}")
    timing[f"wall_s_{mode}"] = time.perf_counter() - t0


def parents(uri: str) -> dict[str, dict]:
    """model name -> {metrics, params} of the latest parent run of each model."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    out: dict[str, dict] = {}
    for exp in client.search_experiments():
        for r in client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"]):
            tags = r.data.tags
            name = tags.get("model_name")
            # model runs nest under their invocation run; trials (optuna.trial) and tuning workers are not models
            if name and "optuna.trial" not in tags and tags.get("kind") != "tuning_worker" \
                    and name not in out:
                out[name] = {"metrics": dict(r.data.metrics), "params": dict(r.data.params)}
    return out


def table(tuned: dict, default: dict, objective: str) -> list[dict]:
    key = objective.replace("@", "_at_")
    rows = []
    for name, t in tuned.items():
        m = t["metrics"]
        if "tuning.n_complete" not in m or name not in default:
            continue
        d = default[name]["metrics"]
        windows = sorted(k for k in m if k.startswith("test.w") and k.endswith("." + key))
        wins = sum(m[k] > d[k] for k in windows)
        rows.append({
            "model": name, "complete": int(m["tuning.n_complete"]), "pruned": int(m["tuning.n_pruned"]),
            "best_trial": int(m["tuning.best_trial"]),
            "valid_default": m.get("tuning.default_value"), "valid_best": m["tuning.best_value"],
            "valid_w_default": d[f"valid.{key}"], "valid_w_tuned": m[f"valid.{key}"],
            "test_default": d[f"test.{key}"], "test_tuned": m[f"test.{key}"],
            "test_ci_tuned": (m.get(f"test.{key}.ci_low"), m.get(f"test.{key}.ci_high")),
            "windows_won": f"{wins}/{len(windows)}"})
    return rows


def markdown(rows: list[dict], objective: str) -> str:
    def f(v):
        return "n/a" if v is None else f"{v:.4f}"

    def gain(a, b):
        return "n/a" if a is None or b is None else f"{b - a:+.4f}"

    head = (f"| model | trials complete / pruned (best #) | valid {objective} default → best (tuning split) | Δ | "
            f"valid {objective} default → tuned (test windows' own validation, refit) | test {objective} default → tuned | Δ test "
            f"| windows tuned > default |\n|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        lines.append(f"| {r['model']} | {r['complete']} / {r['pruned']} (#{r['best_trial']}) | "
                     f"{f(r['valid_default'])} → {f(r['valid_best'])} | {gain(r['valid_default'], r['valid_best'])} | "
                     f"{f(r['valid_w_default'])} → {f(r['valid_w_tuned'])} | {f(r['test_default'])} → "
                     f"{f(r['test_tuned'])} | {gain(r['test_default'], r['test_tuned'])} | {r['windows_won']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("spec")
    ap.add_argument("--out", default="/tmp/tune_runs", help="runs folder, MLflow databases, logs, JSON")
    ap.add_argument("--objective", default=None, help="default: the spec's metrics.objective")
    ap.add_argument("--parallel", action="store_true", help="run the two at once (2 cores: about half the wall time)")
    ap.add_argument("--table-only", action="store_true", help="only read OUT/tuned.db and OUT/default.db")
    args = ap.parse_args(argv)
    out = Path(args.out).absolute()
    out.mkdir(parents=True, exist_ok=True)
    from cs_lab.experiment.spec import load_spec

    objective = args.objective or load_spec(args.spec).metrics.objective
    timing = {} if args.table_only else run_all(args.spec, out, args.parallel)
    rows = table(parents(f"sqlite:///{out / 'tuned.db'}"), parents(f"sqlite:///{out / 'default.db'}"), objective)
    text = markdown(rows, objective)
    print(text)
    if timing:
        print("\n" + ", ".join(f"{k}: {v:.0f}" for k, v in timing.items()))
    tmp = out / "tuning_gain.json.tmp"
    tmp.write_text(json.dumps({"spec": args.spec, "objective": objective, "rows": rows, "timing": timing}, indent=1))
    tmp.rename(out / "tuning_gain.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
