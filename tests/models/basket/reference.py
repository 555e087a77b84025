"""Independent, loop-based reference implementations of TIFU-KNN and UP-CF@r, written from the papers'
equations and reading the raw lines (not Interactions' matrices), for cross-checking the vectorised
models on small data."""

from __future__ import annotations

import math

import numpy as np

from cs_lab.data import schema as S


def sequences_from_lines(train) -> dict[int, list[set[int]]]:
    """customer index -> baskets (sets of item indices), oldest first (ties: first appearance)."""
    lines = train.lines.reset_index(drop=True)
    cust = train.customers.index(lines[S.CUSTOMER].astype(object).where(lines[S.CUSTOMER].notna(), None)
                                 .to_numpy())
    item = train.items.index(lines[S.ITEM].astype(str).to_numpy())
    seen: dict = {}
    for pos, (c, b, t, i) in enumerate(zip(cust, lines[S.BASKET], lines[S.TIMESTAMP], item)):
        if b not in seen:
            seen[b] = (int(c), t, pos, set())
        if i >= 0:
            seen[b][3].add(int(i))
    out: dict[int, list[tuple]] = {}
    for c, t, pos, items in seen.values():
        if c >= 0:
            out.setdefault(c, []).append((t, pos, items))
    return {c: [items for _, _, items in sorted(v, key=lambda x: (x[0], x[1]))] for c, v in out.items()}


def with_cart(baskets: list[set[int]], cart: set[int]) -> list[set[int]]:
    return baskets + [cart] if cart else list(baskets)


def tifu_vector(baskets: list[set[int]], n_items: int, m: int, r_b: float, r_g: float) -> np.ndarray:
    """The paper's grouping: groups of m baskets, the oldest group holding the remainder; each group
    the mean of its within-decayed baskets; the vector the mean of group-decayed groups."""
    v = np.zeros(n_items)
    n = len(baskets)
    if n == 0:
        return v
    k = math.ceil(n / m)
    first = n - m * (k - 1)
    groups = [baskets[:first]] + [baskets[first + i * m:first + (i + 1) * m] for i in range(k - 1)]
    for gi, group in enumerate(groups, start=1):          # gi = 1 oldest .. k newest
        g = np.zeros(n_items)
        size = len(group)
        for t, b in enumerate(group, start=1):
            for i in b:
                g[i] += r_b ** (size - t)
        v += r_g ** (k - gi) * g / size
    return v / k


def tifu_scores(train, queries, neighbours, m, r_b, r_g, alpha) -> np.ndarray:
    seqs = sequences_from_lines(train)
    n_items = train.n_items
    U = np.array([tifu_vector(seqs.get(c, []), n_items, m, r_b, r_g) for c in range(train.n_customers)])
    out = np.full((len(queries), n_items), -np.inf)
    for q, (cust, cart) in enumerate(zip(queries.customers, queries.cart_lists())):
        hist = seqs.get(int(cust), []) if cust >= 0 else []
        own = tifu_vector(with_cart(hist, set(cart.tolist())), n_items, m, r_b, r_g)
        sims = []
        for v in range(train.n_customers):
            if v == cust:
                continue
            den = np.linalg.norm(own) * np.linalg.norm(U[v])
            s = float(own @ U[v]) / den if den > 0 else 0.0
            if s > 0:
                sims.append((-s, v))
        chosen = [v for _, v in sorted(sims)[:neighbours]]
        nb = U[chosen].mean(axis=0) if chosen else np.zeros(n_items)
        s = alpha * own + (1 - alpha) * nb
        out[q, s > 0] = s[s > 0]
    return out


def upcf_scores(train, queries, r, alpha, q_pow, neighbours, self_weight) -> np.ndarray:
    seqs = sequences_from_lines(train)
    n_items = train.n_items

    def pop_r(baskets):
        p = np.zeros(n_items)
        last = baskets if r == 0 else baskets[-r:]
        for b in last:
            for i in b:
                p[i] += 1
        return p / len(last) if last else p

    P = [pop_r(seqs.get(c, [])) for c in range(train.n_customers)]
    bought = [set().union(*seqs.get(c, [])) if seqs.get(c) else set() for c in range(train.n_customers)]
    out = np.full((len(queries), n_items), -np.inf)
    for qi, (cust, cart) in enumerate(zip(queries.customers, queries.cart_lists())):
        hist = seqs.get(int(cust), []) if cust >= 0 else []
        cart = set(cart.tolist())
        items = (bought[cust] if cust >= 0 else set()) | cart
        sims = []
        for v in range(train.n_customers):
            if v == cust or not items or not bought[v]:
                continue
            s = len(items & bought[v]) / (len(items) ** alpha * len(bought[v]) ** (1 - alpha))
            if s > 0:
                sims.append((-s, v))
        chosen = sorted(sims) if neighbours == 0 else sorted(sims)[:neighbours]
        s = self_weight * pop_r(with_cart(hist, cart))
        for neg, v in chosen:
            s = s + (-neg) ** q_pow * P[v]
        out[qi, s > 0] = s[s > 0]
    return out
