"""FP-Growth kernels (numba): an FP-tree held in flat arrays, conditional trees, recursive mining.

Items inside a tree are local indices 0..m-1 ordered by decreasing global frequency, so every
root-to-leaf path lists items in increasing local index. A conditional tree keeps the relative
order of its parent's items (any fixed order is correct for FP-Growth; keeping it means a path
never has to be re-sorted).

A tree is a tuple of arrays:
    item, parent, first_child, sibling, link   (node arrays, int32; node 0 is the root)
    count                                      (node array, int64)
    head, root_child                           (item arrays, int32: first node of the item's
                                                node list; the root's child holding the item)
    item_count                                 (item array, int64: total count of the item)
    meta                                       (int64: [n_nodes, branching, n_root_children])
A tree with ``branching == 0`` is a single path, and then its nodes 1..n-1 are that path in
depth order (each node is created below the previous one).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cs_lab.models.rules._buffers import grow, sort_inplace

_I32, _I64 = np.int32, np.int64


@njit(cache=True)
def _new_tree(capacity, n_items):
    item = np.empty(capacity, _I32)
    parent = np.empty(capacity, _I32)
    first = np.empty(capacity, _I32)
    sibling = np.empty(capacity, _I32)
    link = np.empty(capacity, _I32)
    count = np.zeros(capacity, _I64)
    head = np.full(n_items, -1, _I32)
    root_child = np.full(n_items, -1, _I32)
    item_count = np.zeros(n_items, _I64)
    meta = np.zeros(3, _I64)
    item[0] = -1
    parent[0] = -1
    first[0] = -1
    sibling[0] = -1
    link[0] = -1
    meta[0] = 1
    return item, parent, first, sibling, link, count, head, root_child, item_count, meta


@njit(cache=True)
def _insert(tree, path, n, weight):
    """Add the path ``path[:n]`` (increasing local items) with ``weight`` to ``tree``."""
    item, parent, first, sibling, link, count, head, root_child, item_count, meta = tree
    node = 0
    for p in range(n):
        x = path[p]
        if node == 0:
            c = root_child[x]
        else:
            c = first[node]
            prev = -1
            while c != -1 and item[c] != x:
                prev = c
                c = sibling[c]
            if c != -1 and prev != -1:  # move to front: baskets repeat the same branches
                sibling[prev] = sibling[c]
                sibling[c] = first[node]
                first[node] = c
        if c == -1:
            c = meta[0]
            meta[0] += 1
            item[c] = x
            parent[c] = node
            first[c] = -1
            count[c] = 0
            if node == 0:
                if meta[2] > 0:
                    meta[1] = 1
                meta[2] += 1
                root_child[x] = c
                sibling[c] = -1
            else:
                if first[node] != -1:
                    meta[1] = 1
                sibling[c] = first[node]
                first[node] = c
            link[c] = head[x]
            head[x] = c
        count[c] += weight
        item_count[x] += weight
        node = c


@njit(cache=True)
def build_tree(indptr, ranks, n_items):
    """The FP-tree of the baskets ``ranks[indptr[b]:indptr[b+1]]`` (each sorted increasing)."""
    tree = _new_tree(len(ranks) + 1, n_items)
    for b in range(len(indptr) - 1):
        lo, hi = indptr[b], indptr[b + 1]
        if hi > lo:
            _insert(tree, ranks[lo:hi], hi - lo, _I64(1))
    return tree


@njit(cache=True)
def _conditional(tree, x, min_count, counts, remap, touched, buf):
    """The conditional FP-tree of local item ``x``, and its items as the parent's local items.

    ``counts`` (zeros), ``remap`` (-1), ``touched`` and ``buf`` are scratch arrays at least as
    long as the tree's item count; they are left as they were found, so the cost of a call is
    proportional to the nodes it visits, not to the number of items.
    """
    item, parent, first, sibling, link, count, head, root_child, item_count, meta = tree
    n_touched = 0
    total = 0
    v = head[x]
    while v != -1:
        w = count[v]
        u = parent[v]
        while u != 0:
            j = item[u]
            if counts[j] == 0:
                touched[n_touched] = j
                n_touched += 1
            counts[j] += w
            total += 1
            u = parent[u]
        v = link[v]
    kept = touched[:n_touched].copy()
    sort_inplace(kept, n_touched)
    m = 0
    for i in range(n_touched):
        j = kept[i]
        if counts[j] >= min_count:
            remap[j] = m
            kept[m] = j
            m += 1
    cond = _new_tree(_I64(total + 1 if m > 0 else 1), _I64(m))  # typed: no literal re-compiles
    if m > 0:
        v = head[x]
        while v != -1:
            k = 0
            u = parent[v]
            while u != 0:
                r = remap[item[u]]
                if r >= 0:
                    buf[k] = r
                    k += 1
                u = parent[u]
            if k > 0:
                for i in range(k // 2):
                    buf[i], buf[k - 1 - i] = buf[k - 1 - i], buf[i]
                _insert(cond, buf, k, count[v])
            v = link[v]
    for i in range(n_touched):
        j = touched[i]
        counts[j] = 0
        remap[j] = -1
    return cond, kept[:m]


@njit(cache=True)
def fpgrowth_kernel(indptr, ranks, rank_items, min_count, max_len, limit):
    """All itemsets of at most ``max_len`` items with count >= ``min_count``, depth-first over
    conditional FP-trees kept on an explicit stack.

    ``ranks`` holds each basket's frequent items as ranks (0 = most frequent), sorted increasing;
    ``rank_items`` maps a rank to its item index. Returns (items, sizes, counts, complete):
    itemsets concatenated (items in no particular order), their sizes and counts, and False
    when mining stopped because there were more than ``limit`` itemsets.
    """
    n = len(rank_items)
    out_items = np.empty(1024, _I32)
    out_sizes = np.empty(256, _I32)
    out_counts = np.empty(256, _I64)
    n_sets = 0
    n_out = 0
    if n == 0 or max_len < 1:
        return out_items[:0], out_sizes[:0], out_counts[:0], True
    depth = min(max_len, n)
    prefix = np.empty(depth + 1, _I64)
    chosen = np.empty(depth + 1, _I64)
    idx = np.empty(depth + 1, _I64)
    nxt = np.empty(depth + 1, _I64)
    fresh = np.zeros(depth + 1, np.bool_)
    counts = np.zeros(n, _I64)
    remap = np.full(n, -1, _I32)
    touched = np.empty(n, _I32)
    buf = np.empty(n, _I32)
    trees = [build_tree(indptr, ranks, n)]
    items = [rank_items.astype(_I64)]
    fresh[0] = True
    while len(trees) > 0:
        level = len(trees) - 1
        t = trees[level]
        g = items[level]
        if fresh[level]:
            fresh[level] = False
            if t[9][1] == 0:
                # a single path: every combination of its items, counted by its deepest node
                path_item, path_count = t[0], t[5]
                length = t[9][0] - 1
                for size in range(1, min(length, max_len - level) + 1):
                    for i in range(size):
                        idx[i] = i
                    while True:
                        for i in range(size):
                            chosen[i] = g[path_item[idx[i] + 1]]
                        need = n_out + level + size
                        out_items = grow(out_items, need)
                        out_items[n_out:n_out + level] = prefix[:level]
                        out_items[n_out + level:need] = chosen[:size]
                        n_out = need
                        out_sizes = grow(out_sizes, n_sets + 1)
                        out_counts = grow(out_counts, n_sets + 1)
                        out_sizes[n_sets] = level + size
                        out_counts[n_sets] = path_count[idx[size - 1] + 1]
                        n_sets += 1
                        if n_sets > limit:
                            return out_items[:n_out], out_sizes[:n_sets], out_counts[:n_sets], False
                        i = size - 1
                        while i >= 0 and idx[i] == length - size + i:
                            i -= 1
                        if i < 0:
                            break
                        idx[i] += 1
                        for j in range(i + 1, size):
                            idx[j] = idx[j - 1] + 1
                trees.pop()
                items.pop()
                continue
            nxt[level] = len(g) - 1
        x = nxt[level]
        if x < 0:
            trees.pop()
            items.pop()
            continue
        nxt[level] = x - 1
        need = n_out + level + 1
        out_items = grow(out_items, need)
        out_items[n_out:n_out + level] = prefix[:level]
        out_items[n_out + level] = g[x]
        n_out = need
        out_sizes = grow(out_sizes, n_sets + 1)
        out_counts = grow(out_counts, n_sets + 1)
        out_sizes[n_sets] = level + 1
        out_counts[n_sets] = t[8][x]
        n_sets += 1
        if n_sets > limit:
            return out_items[:n_out], out_sizes[:n_sets], out_counts[:n_sets], False
        if level + 1 < max_len and x > 0:
            cond, kept = _conditional(t, x, min_count, counts, remap, touched, buf)
            if len(kept) > 0:
                prefix[level] = g[x]
                trees.append(cond)
                items.append(g[kept])
                fresh[level + 1] = True
    return out_items[:n_out], out_sizes[:n_sets], out_counts[:n_sets], True
