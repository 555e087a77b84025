"""Cart fold-in under the model's own loss (fold_in.py): the solver against scipy's optimiser on the
same objective, and the models' fold-in of a training customer's history against the vector the
library trained for that customer (BPR, LMF; LightFM in tests/models/lightfm_cf/test_fold_in.py)."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.stats import spearmanr

from cs_lab.data.interactions import Interactions
from cs_lab.data.queries import Queries
from cs_lab.data.synthetic import generate
from cs_lab.models.implicit_cf import BPR, LMF
from cs_lab.models.implicit_cf.factors import binary_row_weights
from cs_lab.models.implicit_cf.fold_in import Negatives, fold_in


def softplus(z):
    return np.logaddexp(0.0, z)


def reference_objective(loss, row_items, row_w, y, b, neg, lam, mass=0.0, user_bias=False, exclude=False):
    """The documented objective, written out pair by pair (an independent implementation)."""
    if user_bias:
        y = np.concatenate([y, np.ones((len(y), 1))], axis=1)
    p = neg.weights.copy()
    if exclude:
        p[np.isin(neg.items, row_items)] = 0.0

    def f(x):
        s = y @ x + b
        if loss == "pairwise":
            total = sum(w * pj * softplus(-(s[i] - s[j])) for i, w in zip(row_items, row_w)
                        for j, pj in zip(neg.items, p))
        else:
            total = sum(w * softplus(-s[i]) for i, w in zip(row_items, row_w)) + mass * sum(
                pj * softplus(s[j]) for j, pj in zip(neg.items, p))
        return total + 0.5 * lam * x @ x
    return f, y.shape[1]


@pytest.fixture(scope="module")
def factors():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(40, 5))
    b = rng.normal(scale=0.5, size=40)
    rows = sp.csr_matrix(np.array([[1 if j in r else 0 for j in range(40)]
                                   for r in ({1, 2, 3}, {7}, {10, 20, 30, 31, 32}, set(), {0, 39})], dtype=float))
    return y, b, rows


@pytest.mark.parametrize("loss,user_bias,exclude", [("pairwise", False, True), ("pairwise", False, False),
                                                    ("pointwise", True, False), ("pointwise", False, False)])
def test_solver_reaches_the_optimum_scipy_finds(factors, loss, user_bias, exclude):
    y, b, rows = factors
    neg = Negatives.draw(np.arange(1, 41, dtype=float), 1000, seed=0)   # all 40 items, exact weights
    assert len(neg.items) == 40 and np.isclose(neg.weights.sum(), 1.0)
    weights = binary_row_weights(rows) if loss == "pairwise" else rows
    mass = np.minimum(7.0, 3.0 * np.diff(rows.indptr))
    lam = 0.05
    ours = fold_in(weights, y, b, neg, loss=loss, regularization=lam, iterations=60, negative_mass=mass,
                   user_bias=user_bias, exclude_positives=exclude)
    assert ours.shape == (5, 5)
    np.testing.assert_array_equal(ours[3], 0.0)   # an empty row gets the zero vector
    for r in (0, 1, 2, 4):
        w = weights[r]
        f, d = reference_objective(loss, w.indices, w.data, y, b, neg, lam, mass[r], user_bias, exclude)
        best = minimize(f, np.zeros(d), method="BFGS", options={"gtol": 1e-10})
        np.testing.assert_allclose(ours[r], best.x[:5], atol=2e-4)


def test_rows_do_not_depend_on_their_batch(factors):
    """Bit for bit: every sum over a row's entries or the negatives runs in a fixed order per row
    (no BLAS product, whose rounding can depend on how many rows it gets), so neither the other
    rows nor the padding to a longer row change a row's vector."""
    y, b, rows = factors
    neg = Negatives.draw(np.ones(40), 16, seed=2)
    kw = dict(loss="pairwise", regularization=0.01, iterations=8, exclude_positives=True)
    together = fold_in(binary_row_weights(rows), y, b, neg, **kw)
    for r in range(rows.shape[0]):
        alone = fold_in(binary_row_weights(rows[r]), y, b, neg, **kw)
        np.testing.assert_array_equal(alone[0], together[r])
    tiny_blocks = fold_in(binary_row_weights(rows), y, b, neg, max_block=1, **kw)
    np.testing.assert_array_equal(tiny_blocks, together)
    point = dict(loss="pointwise", regularization=0.01, iterations=8, user_bias=True)
    mass = np.full(rows.shape[0], 5.0)
    together = fold_in(rows, y, b, neg, negative_mass=mass, **point)
    for r in range(rows.shape[0]):
        np.testing.assert_array_equal(fold_in(rows[r], y, b, neg, negative_mass=mass[r:r + 1], **point)[0],
                                      together[r])


def test_negatives_are_a_seeded_draw_in_proportion_to_the_weights():
    w = np.zeros(5000)
    w[:2500] = np.arange(1, 2501)
    a, again, other = (Negatives.draw(w, 512, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.items, again.items)
    np.testing.assert_array_equal(a.weights, again.weights)
    assert not np.array_equal(a.items, other.items)
    assert (a.items < 2500).all() and np.isclose(a.weights.sum(), 1.0)
    # heavier items are drawn more: the mean drawn index sits near the weighted mean (2/3 of 2500)
    assert abs(a.weights @ a.items - 1666) < 120


# -- the models: a training customer's history folded in gives back the trained vector ------------

@pytest.fixture(scope="module")
def train():
    # customers prefer one of 6 categories: a planted low-rank structure the factors pick up
    return Interactions.from_lines(generate(n_customers=200, n_items=100, n_baskets=6000, seed=3).dataset.lines)


def compare_with_trained(model, vectors, train, top=10):
    """(mean cosine, mean top-k overlap, mean Spearman) of fold-in vs trained customer vectors,
    over customers with a history; rankings over every item, scored as x . y_i + b_i."""
    trained = model.customer_factors_.astype(np.float64)
    has = np.diff(train.customer_items.tocsr().indptr) > 0
    u, v = trained[has], vectors[has]
    cos = (u * v).sum(1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    y, b = model.item_factors_.astype(np.float64), model.item_bias_.astype(np.float64)
    su, sv = u @ y.T + b, v @ y.T + b
    overlap = [len(set(np.argsort(-a)[:top]) & set(np.argsort(-c)[:top])) / top for a, c in zip(su, sv)]
    rho = [spearmanr(a, c)[0] for a, c in zip(su, sv)]
    return float(cos.mean()), float(np.mean(overlap)), float(np.mean(rho))


FOLD_IN_MODELS = {
    "bpr": lambda: BPR(factors=16, iterations=200, learning_rate=0.05, regularization=0.01, num_threads=1,
                       seed=1, use_customer=True),
    "lmf": lambda: LMF(factors=16, iterations=150, num_threads=1, seed=1, use_customer=True),
}


@pytest.mark.parametrize("name", sorted(FOLD_IN_MODELS))
def test_history_fold_in_recovers_the_trained_customer(train, name):
    m = FOLD_IN_MODELS[name]().fit(train)
    cos, overlap, rho = compare_with_trained(m, m._fold_in_history(train.customer_items), train)
    assert cos > 0.9, (cos, overlap, rho)
    assert overlap > 0.7, (cos, overlap, rho)
    assert rho > 0.9, (cos, overlap, rho)


def test_bpr_carts_go_through_the_fold_in(train):
    """A cart's query vector is the BPR fold-in of the cart (not the mean of its items), and
    recommend ranks by it."""
    m = FOLD_IN_MODELS["bpr"]().fit(train)
    history = sp.csr_matrix(train.customer_items[:50], dtype=np.float64)
    q = Queries(np.arange(50), history, np.full(50, -1))
    vec, has = m.query_vectors(q)
    assert has[np.diff(history.indptr) > 0].all()
    np.testing.assert_allclose(vec, m._fold_in_history(history), rtol=1e-12)
    cos, _, _ = compare_with_trained(m, np.vstack([vec, np.zeros((train.n_customers - 50, 16))]),
                                     _first(train, 50))
    assert cos > 0.9
    ids, _ = m.recommend(q, 5)
    s = vec @ m.item_factors_.T.astype(np.float64) + m.item_bias_
    s[history.nonzero()] = -np.inf
    expected = np.argsort(-s, axis=1, kind="stable")[:, :5]
    agree = np.mean([len(set(a) & set(e)) / 5 for a, e in zip(ids, expected)])
    assert agree > 0.95   # float32 scoring may swap near ties


def _first(train, n):
    """A view of ``train`` whose customer_items keeps only the first n customers' rows."""
    class View:
        customer_items = sp.vstack([train.customer_items[:n],
                                    sp.csr_matrix((train.n_customers - n, train.n_items))]).tocsr()
    return View()


def test_fold_in_is_deterministic_and_follows_the_seed(train):
    a = BPR(factors=8, iterations=20, num_threads=1, seed=4, fold_in_negatives=30).fit(train)
    b = BPR(factors=8, iterations=20, num_threads=1, seed=4, fold_in_negatives=30).fit(train)
    q = Queries.from_lists([[1, 2, 3], [5]], train.n_items)
    np.testing.assert_array_equal(a.query_vectors(q)[0], b.query_vectors(q)[0])
    np.testing.assert_array_equal(a.negatives.items, b.negatives.items)


def test_calibration_keeps_the_penalty_of_a_converged_model_and_raises_it_for_early_stopping(train):
    """A well-trained model keeps its own penalty (scale 1); one stopped after few epochs has
    shorter trained vectors, and the calibrated fold-in lands closer to them than the raw one."""
    converged = FOLD_IN_MODELS["bpr"]().fit(train)
    assert converged.fold_in_scale_ == 1.0
    early = BPR(factors=16, iterations=8, learning_rate=0.05, num_threads=1, seed=1, use_customer=True).fit(train)
    assert early.fold_in_scale_ > 1.0
    assert early.calibration_errors_.min() < early.calibration_errors_[0]
    raw = BPR(factors=16, iterations=8, learning_rate=0.05, num_threads=1, seed=1, use_customer=True,
              fold_in_calibrate=False).fit(train)
    assert raw.fold_in_scale_ == 1.0
    np.testing.assert_array_equal(raw.item_factors_, early.item_factors_)
    hist = train.customer_items
    u = early.customer_factors_.astype(np.float64)
    has = np.diff(hist.tocsr().indptr) > 0

    def distance(m):
        return np.mean(((m._fold_in_history(hist) - u) ** 2).sum(axis=1)[has])
    assert distance(early) < distance(raw)
