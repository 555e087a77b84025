import pandas as pd

from cs_lab.data import schema as S
from cs_lab.data.interactions import Interactions
from cs_lab.data.synthetic import generate


def test_deterministic_and_canonical():
    a, b = generate(n_baskets=200, seed=4), generate(n_baskets=200, seed=4)
    pd.testing.assert_frame_equal(a.dataset.lines, b.dataset.lines)
    assert not generate(n_baskets=200, seed=5).dataset.lines.equals(a.dataset.lines)
    for c in S.REQUIRED_LINE_COLUMNS:
        assert str(a.dataset.lines[c].dtype) == str(S.LINE_DTYPES[c])


def test_planted_pairs_co_occur():
    syn = generate(n_baskets=2000, seed=0)
    it = Interactions.from_lines(syn.dataset.lines)
    bi = it.basket_items.tocsc()
    lifts = []
    for a, b in syn.pairs:
        ia, ib = it.items.index([a, b])
        if ia < 0 or ib < 0:
            continue
        ca, cb = bi[:, ia].toarray().ravel() > 0, bi[:, ib].toarray().ravel() > 0
        if ca.sum() >= 5:
            lifts.append((ca & cb).mean() / (ca.mean() * cb.mean()))
    assert len(lifts) >= 5 and sorted(lifts)[len(lifts) // 2] > 2.0


def test_segments_and_returns():
    syn = generate(n_baskets=1500, seed=0)
    ret = syn.dataset.returns
    seg = ret[S.CUSTOMER].map(syn.segments)
    lines_seg = syn.dataset.lines[S.CUSTOMER].map(syn.segments)
    rate_heavy = (seg == "heavy_returner").sum() / max(1, (lines_seg == "heavy_returner").sum())
    rate_reg = (seg == "regular").sum() / max(1, (lines_seg == "regular").sum())
    assert rate_heavy > 5 * rate_reg


def test_interactions_shapes():
    syn = generate(n_baskets=300, seed=0)
    it = Interactions.from_lines(syn.dataset.lines)
    lines = syn.dataset.lines
    assert it.n_baskets == lines[S.BASKET].nunique()
    assert it.n_items == lines[S.ITEM].nunique()
    assert it.n_customers == lines[S.CUSTOMER].nunique()
    assert it.basket_items.sum() == lines.drop_duplicates([S.BASKET, S.ITEM]).shape[0]
    assert (it.basket_customer >= -1).all() and (it.basket_customer == -1).sum() > 0
    assert set(it.item_categories) == {"category_1", "category_2"}


def test_returns_carry_values():
    ret = generate(n_baskets=800, seed=0).dataset.returns
    assert len(ret) > 10 and ret[S.ITEM].notna().all() and ret[S.VALUE].notna().all()


def test_conform_keeps_values_of_filtered_frames():
    lines = generate(n_baskets=100, seed=0).dataset.lines
    sub = lines[lines.index % 2 == 1]
    out = S.conform_lines(sub)
    assert out[S.ITEM].tolist() == sub[S.ITEM].tolist()


def test_row_argmax_matches_scipy():
    import numpy as np
    import scipy.sparse as sp

    from cs_lab.data.interactions import _row_argmax

    rng = np.random.default_rng(0)
    m = sp.random(50, 30, density=0.2, random_state=1, format="csr")
    m.data = rng.integers(1, 4, m.nnz).astype(float)  # ties
    m.sort_indices()
    expected = np.asarray(m.argmax(axis=1)).ravel()
    expected[np.diff(m.indptr) == 0] = -1
    np.testing.assert_array_equal(_row_argmax(m), expected)
