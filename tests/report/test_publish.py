"""FigurePublisher: notebook image, MLflow artifact under report/, PNG copy."""

from matplotlib.figure import Figure

from cs_lab.report.publish import FigurePublisher
from cs_lab.report.runs import artifact_paths


def _fig():
    fig = Figure()
    ax = fig.subplots()
    ax.plot([1, 2], [3, 4])
    ax.set_title("t")
    return fig


def test_publish_logs_writes_and_returns_an_image(client, runs, tmp_path):
    pub = FigurePublisher(client, runs.comparison_id, "report/test", tmp_path / "figs")
    image = pub(_fig(), "line.png")
    assert image.data[:4] == b"\x89PNG" and image.alt == "line.png"
    assert (tmp_path / "figs" / "line.png").read_bytes()[:4] == b"\x89PNG"
    assert pub.logged == ["report/test/line.png"]
    assert "report/test/line.png" in artifact_paths(client, runs.comparison_id, "report")


def test_publish_without_client_only_shows(tmp_path):
    pub = FigurePublisher()
    assert pub(_fig(), "x.png").data[:4] == b"\x89PNG"
    assert pub.logged == [] and pub.written == []
