"""The report notebooks: stored paired and without outputs; executed headless (through
`cs-lab report`) on the tiny experiment, every cell runs and every figure is shown and logged."""

import json

import jupytext
import nbformat
import pytest

from cs_lab.cli import main
from cs_lab.report.execute import NOTEBOOKS, inject_parameters, notebooks_dir
from cs_lab.report.runs import artifact_paths

RESULTS_FIGURES = ["leaderboard_ci.png", "significance.png", "metrics_vs_k.png", "ab_lift.png",
                   "optuna_history.png", "param_importances.png", "tradeoff.png"]
DATASET_FIGURES = ["basket_sizes.png", "item_popularity.png", "prices.png", "rules.png"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_paired_and_without_outputs(name):
    ipynb = nbformat.read(notebooks_dir() / f"{name}.ipynb", as_version=4)
    py = jupytext.read(notebooks_dir() / f"{name}.py")
    assert ipynb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert ipynb.metadata["kernelspec"]["name"] == "python3"
    assert [(c.cell_type, c.source) for c in ipynb.cells] == [(c.cell_type, c.source) for c in py.cells], \
        f"{name}.py and {name}.ipynb differ: run `jupytext --sync notebooks/{name}.py`"
    for cell in ipynb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "commit the notebook without outputs"
    assert sum("parameters" in c.metadata.get("tags", []) for c in ipynb.cells) == 1


def test_inject_parameters_goes_after_the_parameters_cell():
    nb = nbformat.read(notebooks_dir() / "results_report.ipynb", as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    inject_parameters(nb, {"EXPERIMENT": "x", "LOG_TO_MLFLOW": False})
    cell = nb.cells[at + 1]
    assert cell.metadata["tags"] == ["injected-parameters"]
    assert "EXPERIMENT = 'x'" in cell.source and "LOG_TO_MLFLOW = False" in cell.source


def _images(nb) -> list[str]:
    return [o.metadata.get("image/png", {}).get("alt") for c in nb.cells if c.cell_type == "code"
            for o in c.outputs if "image/png" in o.get("data", {})]


@pytest.mark.slow
def test_cli_report_executes_both_notebooks(tiny_experiment, client, tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(["report", str(tiny_experiment.spec_path), "--tracking-uri", tiny_experiment.tracking_uri,
                 "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    folder = out / tiny_experiment.name
    for name, expected in (("results_report", RESULTS_FIGURES), ("dataset_report", DATASET_FIGURES)):
        html = folder / f"{name}.html"
        assert str(html) in printed and html.stat().st_size > 10_000
        nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count is not None for c in code_cells)
        errors = [o for c in code_cells for o in c.outputs if o.output_type == "error"]
        assert errors == [], json.dumps(errors, default=str)[:2000]
        assert _images(nb) == expected
        text = html.read_text()
        assert "<img" in text
        _assert_reads_like_a_report(nb, text)
        if name == "results_report":
            # opens with a generated summary (before the leaderboard), and shows both views of the A/B
            at = text.index("is the model this run chose, on the validation")
            assert at < text.index('id="Leaderboard"')
            summary = text[at:text.index('id="Leaderboard"')]
            assert "simultaneous 95% intervals" in summary and "P(B beats A)" in summary
            assert "What this report cannot tell" in summary
            assert "Paired counterfactual" in text and "How to read the two" in text
        injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        assert repr(tiny_experiment.dataset if name == "dataset_report" else tiny_experiment.name) in injected.source
    logged = set(artifact_paths(client, _comparison_id(client, tiny_experiment.name), "report"))
    assert {f"report/{f}" for f in RESULTS_FIGURES} <= logged
    assert {f"report/dataset/{f}" for f in DATASET_FIGURES} <= logged
    assert {p.name for p in (folder / "figures").glob("*.png")} == set(RESULTS_FIGURES)
    assert {p.name for p in (folder / "figures" / "dataset").glob("*.png")} == set(DATASET_FIGURES)


def _assert_reads_like_a_report(nb, html: str) -> None:
    """No code input, no warning or stderr output, no all-NaN table column in the executed report."""
    assert 'hl-ipython3' not in html and 'class="jp-InputPrompt' not in html, "code input shown in the HTML"
    streams = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if o.output_type == "stream" and o.name == "stderr"]
    assert streams == [], f"stderr / warnings in the report: {streams[:3]}"
    import pandas as pd
    from io import StringIO

    for c in nb.cells:
        for o in c.get("outputs", []):
            table = o.get("data", {}).get("text/html", "")
            if "<table" in table:
                for df in pd.read_html(StringIO(table)):
                    empty = [col for col in df.columns if df[col].isna().all() and len(df) > 0]
                    assert not empty, f"all-NaN column(s) {empty} in a report table"


def _comparison_id(client, name):
    from cs_lab.report import latest_runs

    return latest_runs(client, name).comparison_id


def test_cli_unknown_experiment_fails_fast(tiny_experiment, tmp_path, capsys):
    code = main(["report", "no_such_experiment", "--tracking-uri", tiny_experiment.tracking_uri,
                 "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "no MLflow experiment named 'no_such_experiment'" in err and tiny_experiment.name in err
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_a_failing_cell_writes_the_partial_report_and_raises(tmp_path):
    from cs_lab.report import ReportError
    from cs_lab.report.execute import execute_notebook

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("X = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(X)\nraise ValueError('boom')"),
        nbformat.v4.new_code_cell("print('never')")])
    source = tmp_path / "broken.ipynb"
    nbformat.write(nb, source)
    with pytest.raises(ReportError, match="boom.*partial report"):
        execute_notebook(source, {"X": 2}, tmp_path / "out")
    done = nbformat.read(tmp_path / "out" / "broken.ipynb", as_version=4)
    assert "X = 2" in done.cells[1].source  # the injected parameters
    assert done.cells[2].outputs[0].text == "2\n"
    assert (tmp_path / "out" / "broken.html").is_file()
