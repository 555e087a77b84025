"""A small, deterministic mutation tester for cs_lab's core modules.

Each mutant changes one AST node of one source file (comparison flip, + / - or * / / swap,
integer constant off by one, boolean negation, dropped return value) in a throw-away copy of
the package (tests/mutation/sandbox.py); the module's mapped tests run with ``-x -q``; the
mutant is *killed* when they fail (or time out, or stop importing) and *survives* when they pass.
Not mutated: f-strings (messages), annotations, docstrings, ``__all__``, and True/False passed as a
keyword argument (library flags such as ``observed=True``: almost always equivalent mutants).

    python -m tests.mutation.mutate cs_lab/eval cs_lab/data/splits            # every mutant
    python -m tests.mutation.mutate --sample 20 --seed 1 --budget 170 --floor 0.6
    python -m tests.mutation.mutate cs_lab/data/splits/holdout.py --list      # the mutants only
    python -m tests.mutation.mutate cs_lab/eval --where hits.py:31 inputs.py:37  # re-check survivors

The same (paths, sample, seed) always gives the same mutants. Exit status 1 when the score
(killed / run) is below ``--floor``. f-strings, annotations and docstrings are not mutated.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.mutation.sandbox import ROOT, Sandbox

# source (a file or a folder's direct *.py files; the most specific entry wins) -> the tests that own it
TEST_MAP: dict[str, tuple[str, ...]] = {
    "cs_lab/eval": ("tests/eval",),
    "cs_lab/eval/stats": ("tests/eval/stats",),
    "cs_lab/eval/metrics": ("tests/eval/metrics", "tests/eval/test_evaluate.py"),
    "cs_lab/data/splits": ("tests/data/splits",),
    "cs_lab/simulate/stats": ("tests/simulate/test_stats.py", "tests/simulate/test_lift_holm.py",
                              "tests/simulate/test_stats_edges.py"),
    "cs_lab/simulate/stats/power.py": ("tests/simulate/test_power.py", "tests/simulate/test_stats.py",
                                       "tests/simulate/test_stats_edges.py"),
    "cs_lab/experiment/objective.py": ("tests/experiment/test_best_trial.py", "tests/experiment/test_runner.py"),
    "cs_lab/experiment/metric_names.py": ("tests/experiment/test_metric_names.py", "tests/experiment/test_best_trial.py"),
    "cs_lab/experiment/study.py": ("tests/experiment/test_best_trial.py",),
    "cs_lab/models/threshold": ("tests/models/threshold/test_threshold.py",),
    "cs_lab/simulate/tactics.py": ("tests/simulate/test_tactics.py",),
    "cs_lab/models/_topk.py": ("tests/models/test_topk.py", "tests/models/test_popularity.py"),
}
CORE = ("cs_lab/eval", "cs_lab/data/splits", "cs_lab/simulate/stats", "cs_lab/experiment/objective.py",
        "cs_lab/models/_topk.py")

CMP_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
ARITH_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
          ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+", ast.Sub: "-",
          ast.Mult: "*", ast.Div: "/"}


@dataclass(frozen=True)
class Mutant:
    path: str        # relative to the repository root
    node: int        # position of the node in ast.walk order
    op: str          # cmp | arith | const | bool | return
    arg: int         # which comparator / which variant
    line: int
    what: str

    @property
    def module(self) -> str:
        return self.path


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """ids of nodes never mutated: annotations, docstrings, f-strings (messages), __all__."""
    skip: set[int] = set()

    def drop(node):
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            drop(n.returns)
            for a in n.args.args + n.args.kwonlyargs + n.args.posonlyargs:
                drop(a.annotation)
        elif isinstance(n, ast.AnnAssign):
            drop(n.annotation)
        elif isinstance(n, ast.JoinedStr):
            drop(n)
        elif isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets):
            drop(n)
        elif isinstance(n, ast.keyword) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, bool):
            # library flags (observed=True, sort=False, drop=True ...): on our frames nearly all
            # flips are equivalent, and they drowned the real survivors
            drop(n.value)
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body \
                and isinstance(n.body[0], ast.Expr) and isinstance(getattr(n.body[0], "value", None), ast.Constant):
            drop(n.body[0])
    return skip


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _sites(node: ast.AST) -> list[tuple[str, int, str]]:
    """(op, arg, description) of every mutation of this one node."""
    out = []
    if isinstance(node, ast.Compare):
        for i, o in enumerate(node.ops):
            if type(o) in CMP_FLIP:
                out.append(("cmp", i, f"{SYMBOL[type(o)]} -> {SYMBOL[CMP_FLIP[type(o)]]}"))
    elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in ARITH_SWAP:
        operands = (node.left, node.right) if isinstance(node, ast.BinOp) else (node.target, node.value)
        if not any(_is_str(x) for x in operands):
            out.append(("arith", 0, f"{SYMBOL[type(node.op)]} -> {SYMBOL[ARITH_SWAP[type(node.op)]]}"))
    elif isinstance(node, ast.Constant) and not isinstance(node.value, bool) and isinstance(node.value, int):
        out.append(("const", 0, f"{node.value} -> {node.value + 1}"))
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        out.append(("bool", 0, f"{node.value} -> {not node.value}"))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        out.append(("bool", 0, "not x -> x"))
    elif isinstance(node, ast.BoolOp):
        out.append(("bool", 0, "and -> or" if isinstance(node.op, ast.And) else "or -> and"))
    elif isinstance(node, (ast.If, ast.While, ast.IfExp)):
        out.append(("bool", 1, "condition negated"))
    elif isinstance(node, ast.Return) and node.value is not None \
            and not (isinstance(node.value, ast.Constant) and node.value.value is None):
        out.append(("return", 0, "return value dropped (None)"))
    return out


def mutants_of(path: str, root: Path = ROOT) -> list[Mutant]:
    tree = ast.parse((root / path).read_text())
    skip = _skipped_nodes(tree)
    out = []
    for i, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        for op, arg, what in _sites(node):
            out.append(Mutant(path, i, op, arg, getattr(node, "lineno", 0), what))
    return out


def apply(source: str, m: Mutant) -> str:
    """The source with mutant ``m`` applied (ast.unparse: comments and layout are lost, not meaning)."""
    tree = ast.parse(source)
    node = next(n for i, n in enumerate(ast.walk(tree)) if i == m.node)
    if m.op == "cmp":
        node.ops[m.arg] = CMP_FLIP[type(node.ops[m.arg])]()
    elif m.op == "arith":
        node.op = ARITH_SWAP[type(node.op)]()
    elif m.op == "const":
        node.value = node.value + 1
    elif m.op == "bool" and m.arg == 1:
        node.test = ast.UnaryOp(ast.Not(), node.test)
    elif m.op == "bool" and isinstance(node, ast.Constant):
        node.value = not node.value
    elif m.op == "bool" and isinstance(node, ast.UnaryOp):
        _replace(tree, node, node.operand)
    elif m.op == "bool":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif m.op == "return":
        node.value = ast.Constant(None)
    out = ast.unparse(ast.fix_missing_locations(tree))
    if out == ast.unparse(ast.parse(source)):
        raise AssertionError(f"mutant changed nothing: {m}")
    return out


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(v is old for v in value):
                value[[v is old for v in value].index(True)] = new
                return
    raise AssertionError("node not found")


def tests_for(path: str) -> tuple[str, ...]:
    p = Path(path)
    for key in [str(p)] + [str(q) for q in p.parents]:
        if key in TEST_MAP:
            return TEST_MAP[key]
    raise SystemExit(f"no tests are mapped to {path}: add it to TEST_MAP in {__file__}")


def source_files(paths: list[str], root: Path = ROOT) -> list[str]:
    out = []
    for p in paths:
        full = root / p
        files = [full] if full.is_file() else sorted(full.rglob("*.py"))
        out += [str(f.relative_to(root)) for f in files if f.name != "__init__.py" or full.is_file()]
    return sorted(dict.fromkeys(out))


def run(paths: list[str], sample: int | None, seed: int, timeout: float | None, budget: float | None,
        log=print, where: list[str] | None = None) -> list[dict]:
    everything = [m for f in source_files(paths) for m in mutants_of(f)]
    if where:
        everything = [m for m in everything if any(f"{m.path}:{m.line}".endswith(w) for w in where)]
    chosen = everything if sample is None or sample >= len(everything) else \
        sorted(random.Random(seed).sample(everything, sample), key=lambda m: (m.path, m.node, m.op, m.arg))
    log(f"{len(chosen)} of {len(everything)} mutants in {len(source_files(paths))} files")
    rows: list[dict] = []
    t_start = time.perf_counter()
    with Sandbox() as box:
        base_time: dict[tuple[str, ...], float] = {}
        for m in chosen:
            targets = tests_for(m.path)
            if targets not in base_time:
                t0 = time.perf_counter()
                if box.pytest(list(targets), timeout=600) != "passed":
                    raise SystemExit(f"the unmutated tests fail: {targets}")
                base_time[targets] = time.perf_counter() - t0
            if budget is not None and time.perf_counter() - t_start > budget:
                rows.append({**asdict(m), "outcome": "not run", "seconds": 0.0})
                continue
            limit = timeout if timeout is not None else 3 * base_time[targets] + 10
            box.write(m.path, apply(box.read(m.path), m))
            t0 = time.perf_counter()
            try:
                outcome = box.pytest(list(targets), timeout=limit)
            finally:
                box.restore(m.path)
            outcome = {"passed": "survived", "failed": "killed", "timeout": "killed (timeout)",
                       "error": "killed (error)", "no tests": "survived"}[outcome]
            rows.append({**asdict(m), "outcome": outcome, "seconds": round(time.perf_counter() - t0, 1)})
            log(f"{outcome:17} {m.path}:{m.line} {m.op}: {m.what} ({rows[-1]['seconds']} s)")
    return rows


def scores(rows: list[dict]) -> dict[str, dict]:
    per: dict[str, dict] = defaultdict(lambda: {"killed": 0, "survived": 0, "not run": 0})
    for r in rows:
        key = "not run" if r["outcome"] == "not run" else "killed" if r["outcome"].startswith("killed") else "survived"
        per[r["path"]][key] += 1
        per["TOTAL"][key] += 1
    for v in per.values():
        ran = v["killed"] + v["survived"]
        v["score"] = v["killed"] / ran if ran else float("nan")
    return dict(per)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=list(CORE), help="source files or folders (default: the core)")
    ap.add_argument("--sample", type=int, help="run this many mutants, drawn with --seed")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, help="seconds per mutant (default: 3x the clean run + 10 s)")
    ap.add_argument("--budget", type=float, help="start no mutant after this many seconds (the rest: not run)")
    ap.add_argument("--floor", type=float, help="exit 1 when killed / run is below this")
    ap.add_argument("--json", type=Path, help="write every mutant's outcome here")
    ap.add_argument("--list", action="store_true", help="print the mutants and stop")
    ap.add_argument("--where", nargs="+", metavar="FILE:LINE",
                    help="only the mutants on these lines (e.g. holdout.py:94), to re-check survivors")
    args = ap.parse_args(argv)
    if args.list:
        for f in source_files(args.paths):
            for m in mutants_of(f):
                print(f"{m.path}:{m.line} {m.op}: {m.what}")
        return 0
    rows = run(args.paths, args.sample, args.seed, args.timeout, args.budget, where=args.where)
    table = scores(rows)
    print(f"\n{'module':48} {'killed':>6} {'survived':>8} {'not run':>7} {'score':>6}")
    for name, v in sorted(table.items(), key=lambda kv: (kv[0] == "TOTAL", kv[0])):
        print(f"{name:48} {v['killed']:6} {v['survived']:8} {v['not run']:7} {v['score']:6.0%}")
    survivors = [r for r in rows if r["outcome"] == "survived"]
    if survivors:
        print("\nsurvivors:")
        for r in survivors:
            print(f"  {r['path']}:{r['line']} {r['op']}: {r['what']}")
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, "rows": rows,
                                         "scores": table}, indent=1, default=str))
    total = table.get("TOTAL", {}).get("score", float("nan"))
    if args.floor is not None and not total >= args.floor:
        print(f"mutation score {total:.0%} is below the floor {args.floor:.0%}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
