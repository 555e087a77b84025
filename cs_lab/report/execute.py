"""Execute the report notebooks headless (nbclient) and export them to HTML (nbconvert).

    paths = run_reports("complete_journey_basket_completion", "sqlite:///mlflow.db", Path("reports"))

Parameters are injected papermill-style: a code cell tagged ``injected-parameters`` is inserted
after the cell tagged ``parameters``. The kernel is ipykernel on the current interpreter
(``sys.executable``), whatever kernelspecs are installed.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cs_lab.report.runs import ReportError

NOTEBOOKS = ("results_report", "dataset_report")
CELL_TIMEOUT_S = 1800


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def default_tracking_uri() -> str:
    """$MLFLOW_TRACKING_URI, else the repository's ./mlflow.db (what `make experiments` writes), so a
    notebook opened from notebooks/ finds the runs."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{repo_root() / 'mlflow.db'}"


def notebooks_dir() -> Path:
    """Where the paired notebooks live (``notebooks/`` of the repository)."""
    return repo_root() / "notebooks"


@dataclass(frozen=True)
class ReportOutput:
    name: str
    html: Path
    notebook: Path          # the executed .ipynb (with outputs)


def inject_parameters(nb, params: dict[str, Any]):
    """Insert a cell assigning ``params`` after the cell tagged ``parameters`` (or first)."""
    import nbformat

    lines = ["# Parameters (injected by cs_lab.report.execute)"]
    lines += [f"{k} = {v!r}" for k, v in params.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": ["injected-parameters"]})
    at = next((i + 1 for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 0)
    nb.cells.insert(at, cell)
    return nb


def _kernel_manager_class():
    """An AsyncKernelManager whose python3 is ipykernel on this interpreter (``sys.executable``),
    not whatever `python` or kernelspec comes first on the search path."""
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from traitlets import default

    class CurrentPythonSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name, *args, **kwargs):
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="Python 3 (ipykernel)", language="python", metadata={})

    class CurrentPythonKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return CurrentPythonSpecs()

    return CurrentPythonKernelManager


def kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")   # debugpy's frozen-modules warning
    # tqdm.auto without ipywidgets: "IProgress not found" (the reports show no progress bars)
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"), "ignore:IProgress not found") if w)
    return env


def execute_notebook(source: Path, params: dict[str, Any], out_dir: Path, cwd: Path | None = None,
                     timeout: int = CELL_TIMEOUT_S) -> ReportOutput:
    """Execute ``source`` (.ipynb) with ``params``; write the executed notebook and its HTML to
    ``out_dir``. A failing cell raises ReportError after the partial report is written."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = inject_parameters(nbformat.read(source, as_version=4), params)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = source.stem
    out = ReportOutput(name, out_dir / f"{name}.html", out_dir / f"{name}.ipynb")
    client = NotebookClient(nb, kernel_manager_class=_kernel_manager_class(), kernel_name="python3",
                            timeout=timeout, extra_arguments=["--log-level=ERROR"],
                            resources={"metadata": {"path": str(cwd or Path.cwd())}})
    error = None
    try:
        client.execute(env=kernel_env())
    except CellExecutionError as exc:
        error = exc
    nbformat.write(nb, out.notebook)
    export_html(nb, out.html)
    if error is not None:
        raise ReportError(f"notebook {source.name} failed ({getattr(error, 'ename', '')}: "
                          f"{getattr(error, 'evalue', error)}); the partial report is {out.html}") from error
    return out


class _NoAltTextWarning(logging.Filter):
    """nbconvert's lab template ignores the images' alt metadata and then warns that it is missing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Alternative text is missing" not in record.getMessage()


_html_log = logging.getLogger("cs_lab.report.html")
_html_log.addFilter(_NoAltTextWarning())


def export_html(nb, path: Path) -> Path:
    from nbconvert import HTMLExporter

    # a report, not a listing: code input and In/Out prompts are left out (the executed .ipynb keeps them)
    exporter = HTMLExporter(log=_html_log, exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)
    return path


def run_reports(experiment: str, tracking_uri: str, out_dir: Path, dataset: str = "",
                which: tuple[str, ...] = NOTEBOOKS, log_to_mlflow: bool = True,
                notebooks: Path | None = None) -> dict[str, ReportOutput]:
    """Run the report notebooks for one experiment into ``out_dir/<experiment>/``. ``dataset``
    (name or mapping YAML) overrides the dataset of the experiment's spec in the dataset report."""
    src = notebooks or notebooks_dir()
    dest = (out_dir / experiment).resolve()
    base = {"EXPERIMENT": experiment, "TRACKING_URI": tracking_uri, "LOG_TO_MLFLOW": log_to_mlflow}
    params = {"results_report": {**base, "FIGURES_DIR": str(dest / "figures")},
              "dataset_report": {**base, "DATASET": dataset, "FIGURES_DIR": str(dest / "figures" / "dataset")}}
    outputs = {}
    for name in which:
        path = src / f"{name}.ipynb"
        if not path.is_file():
            raise ReportError(f"notebook {path} not found (known reports: {list(NOTEBOOKS)})")
        outputs[name] = execute_notebook(path, params.get(name, base), dest)
    return outputs
