"""Row-wise top-k over dense score matrices, shared by serving (predict.py), the metrics and the recipes' own
validation."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

NEG = np.float32(-np.inf)


BLOCK = 64


def top_k(
    scores: np.ndarray,
    k: int,
    exclude: sp.csr_matrix | None = None,
    allowed: np.ndarray | None = None,
    in_place: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-k (descending) with optional excluded (sparse) and allowed (bool) masks.

    Excluded / disallowed entries get -inf (callers drop non-finite results). For wide rows this uses block
    maxima: the top-k entries of a row always lie in the k blocks with the largest maxima, so an exact top-k
    needs a full pass only for a cheap max-reduction, not for a selection (3-5x faster than argpartition).
    """
    if not (in_place and scores.dtype == np.float32):
        scores = np.array(scores, dtype=np.float32, copy=True)
    if exclude is not None and exclude.nnz:
        coo = exclude.tocoo()
        scores[coo.row, coo.col] = NEG
    if allowed is not None:
        np.putmask(scores, ~allowed, NEG)
    rows, n = scores.shape
    k = min(k, n)
    if k <= 0 or rows == 0:
        return np.zeros((rows, 0), dtype=int), np.zeros((rows, 0), dtype=np.float32)
    if n < 16 * BLOCK or k * BLOCK * 4 > n:
        candidates = np.broadcast_to(np.arange(n), (rows, n))
        values = scores
    else:
        block_max = np.maximum.reduceat(scores, np.arange(0, n, BLOCK), axis=1)  # last block may be short
        best_blocks = np.argpartition(-block_max, k - 1, axis=1)[:, :k]
        candidates = (best_blocks[:, :, None] * BLOCK + np.arange(BLOCK)).reshape(rows, k * BLOCK)
        outside = candidates >= n
        values = scores[np.arange(rows)[:, None], np.minimum(candidates, n - 1)]
        values[outside] = NEG
    part = np.argpartition(-values, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(values, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    idx = np.take_along_axis(np.take_along_axis(candidates, part, axis=1), order, axis=1)
    vals = np.take_along_axis(part_scores, order, axis=1)
    return idx, vals
