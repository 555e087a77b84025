"""Dataset-report tables and figures on the synthetic shop (mapping YAML)."""

import numpy as np
import pytest

from cs_lab.data import load_dataset
from cs_lab.report import dataset as report
from cs_lab.report.publish import to_png


@pytest.fixture(scope="module")
def ds(tiny_experiment):
    return load_dataset(tiny_experiment.dataset)


def test_summary(ds):
    table = report.summary(ds).set_index("statistic")["value"]
    assert table["baskets"] == f"{ds.lines['basket_id'].nunique():,}"


def test_item_popularity(ds):
    pop = report.item_popularity(ds)
    assert pop["baskets"].is_monotonic_decreasing
    assert list(pop["rank"]) == list(range(1, len(pop) + 1))
    assert pop["cum_share"].iloc[-1] == pytest.approx(1.0)
    first = pop.iloc[0]
    assert first["baskets"] == ds.lines.loc[ds.lines["item_id"] == first["item_id"], "basket_id"].nunique()


def test_rules(ds):
    rules, ids = report.mine_rules(ds, min_support=0.01, min_confidence=0.2, max_len=2)
    labels = report.item_labels(ds, ids)
    assert labels[0].startswith(str(ids[0]))
    table = report.rules_frame(rules, labels)
    assert len(table) == len(rules) > 0
    assert table["lift"].is_monotonic_decreasing
    assert (table["support"] >= 0.01 - 1e-12).all() and (table["confidence"] >= 0.2 - 1e-12).all()
    np.testing.assert_allclose(table["support"], table["baskets"] / ds.lines["basket_id"].nunique())
    assert len(report.rules_frame(rules, labels, top=5)) == 5


@pytest.mark.parametrize("make", ["basket_sizes", "popularity", "prices", "rules", "no_rules"])
def test_figures(ds, make):
    if make == "basket_sizes":
        fig = report.basket_size_figure(ds.basket_sizes(), ds.name)
    elif make == "popularity":
        fig = report.popularity_figure(report.item_popularity(ds), ds.name)
    elif make == "prices":
        fig = report.price_figure(ds)
    else:
        rules, ids = report.mine_rules(ds, 0.01 if make == "rules" else 0.9, 0.1, 2)
        fig = report.rules_figure(report.rules_frame(rules, ids), 0.01, 0.1, ds.name)
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert all(ax.get_title() and ax.get_xlabel() and ax.get_ylabel() for ax in axes)
    assert to_png(fig)[:4] == b"\x89PNG"
