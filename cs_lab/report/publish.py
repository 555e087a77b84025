"""Show a report figure in the notebook, log it to MLflow and keep a PNG copy.

    publish = FigurePublisher(client, runs.comparison_id, prefix="report", out_dir="reports/x/figures")
    publish(fig, "leaderboard_ci.png")     # -> IPython Image (the cell's output)

Figures are logged with ``MlflowClient.log_figure`` and an explicit run id (the experiment's
``comparison`` run), never through the fluent API's active run.
"""

from __future__ import annotations

import io
from pathlib import Path


def to_png(fig, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


class FigurePublisher:
    """Callable fig, name -> PNG shown in Jupyter; logged under ``prefix/name`` of ``run_id`` when a
    client and run id are given, and written to ``out_dir/name`` when ``out_dir`` is given."""

    def __init__(self, client=None, run_id: str | None = None, prefix: str = "report",
                 out_dir: str | Path | None = None, dpi: int = 110) -> None:
        self.client, self.run_id, self.prefix, self.dpi = client, run_id, prefix.strip("/"), dpi
        self.out_dir = Path(out_dir) if out_dir else None
        self.logged: list[str] = []
        self.written: list[Path] = []

    def artifact_file(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def __call__(self, fig, name: str):
        png = to_png(fig, self.dpi)
        if self.client is not None and self.run_id:
            self.client.log_figure(self.run_id, fig, self.artifact_file(name), save_kwargs={
                "dpi": self.dpi, "bbox_inches": "tight", "facecolor": "white"})
            self.logged.append(self.artifact_file(name))
        if self.out_dir is not None:
            path = self.out_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png)
            self.written.append(path)
        try:
            from IPython.display import Image
        except ImportError:  # outside Jupyter: the PNG bytes
            return png
        return Image(data=png, format="png", alt=name)
