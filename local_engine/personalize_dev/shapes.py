"""Realistic data shapes for the engine benchmark: `load_shape(name, n_events, seed)`.

Each shape returns ``{"interactions": ..., "items": ...}`` in Amazon Personalize's column names (interactions:
USER_ID, ITEM_ID, TIMESTAMP epoch seconds, EVENT_TYPE, EVENT_VALUE; items: ITEM_ID, GENRES pipe-separated,
CREATION_TIMESTAMP). Generators are seeded (same name, size and seed give identical frames) and vectorised: the
only Python loops run over positions inside a session (at most a few dozen), never over users or events.

* **movies**: shaped like MovieLens "latest-small" (at 100k ratings about 600 users and 9,000 rated items; users
  scale linearly with size, the catalogue sub-linearly as in the larger MovieLens sets). Every user has at least
  20 ratings (MovieLens' inclusion rule) plus a log-normal heavy tail (repeat ratings dropped, so about 4%
  fewer than n_events); item popularity is Zipf-like, so a long
  tail of items is rated once; each (user, item) pair is rated once; ratings 0.5-5.0 (some users use whole stars
  only) follow user bias, item quality and taste match. Users rate in sessions (about 15 ratings, minutes apart;
  sessions about two weeks apart). Within a session each rating follows the previous one: the next film of a
  franchise if the previous one has a released sequel (watched in order), else often a neighbour in the
  (primary genre, release date) order, i.e. same genre cluster and era, as browsing a genre/decade page does;
  otherwise a fresh pick from the user's 1-3 taste genres, which drift from an early to a late set over the
  user's lifetime; 15% of fresh picks are recent releases. Items are released over decades and during the
  period (new items); nothing is rated before its release. So the order of a user's recent items predicts the
  next ones, while taste and popularity still explain much of it, as in the real set.
* **ecommerce**: click-stream shaped like public shop logs (REES46, Retailrocket): most users have 2-5 events
  and a few are heavy; a large catalogue (many items never seen) in a two-level category tree (GENRES
  "top|top.leaf"); EVENT_TYPE view (about 97%), add_to_cart, purchase (rare; only after add_to_cart of the same
  item); EVENT_VALUE empty. A session (seconds to minutes between events; days between sessions) browses one
  leaf category: re-views, substitutes (neighbours in a latent brand/price order of the leaf) and popular items
  of the leaf; after add_to_cart or purchase the user often moves to a complementary leaf. Items are added
  throughout the period and viewed only once they exist.
* **lms**: the sample LMS generator (`personalize_dev.sample_data.generate_frames`, unchanged) mapped to
  Personalize columns: watch/click events with 1-5 ratings. It has taste (1-2 favourite genres) and power-law
  popularity but no session or sequence structure: event times are independent of the items picked.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

DAY = 86_400
YEAR = 365 * DAY
_BIG = np.int64(1) << 42  # spacing of block keys: larger than any time offset used below

MOVIE_GENRES = [
    "Drama", "Comedy", "Thriller", "Action", "Romance", "Adventure", "Crime", "Sci-Fi", "Horror", "Fantasy",
    "Children", "Animation", "Mystery", "Documentary", "War", "Musical", "Western", "IMAX", "Film-Noir",
]  # fmt: skip
# Share of films with each primary genre (MovieLens-like: drama and comedy dominate).
_MOVIE_GENRE_WEIGHTS = np.array([24, 20, 8, 9, 5, 4, 5, 4, 6, 2, 2, 2, 2, 3, 1.5, 1, 1, 0.2, 0.3])
# Typical co-genres of each primary genre (indices into MOVIE_GENRES).
_CO_GENRES = [
    [4, 6, 14, 12], [4, 0, 10, 15], [6, 12, 3, 8], [5, 2, 7, 6], [0, 1, 15, 0], [3, 9, 10, 7],
    [2, 0, 12, 3], [3, 5, 2, 17], [2, 12, 1, 7], [5, 10, 11, 1], [11, 1, 9, 5], [10, 1, 9, 15],
    [2, 6, 0, 18], [0, 14, 15, 0], [0, 3, 5, 0], [1, 4, 0, 11], [3, 5, 0, 1], [3, 5, 7, 11], [6, 12, 2, 0],
]  # fmt: skip
MOVIES_START = 1_451_606_400  # 2016-01-01
MOVIES_END = 1_640_995_200  # 2022-01-01
_EPOCH_FLOOR = DAY  # CREATION_TIMESTAMP of films released before 1970 (epoch seconds stay positive)

ECOMMERCE_CATEGORIES = [
    "electronics", "appliances", "computers", "apparel", "footwear", "home", "kitchen", "sports", "beauty",
    "kids", "books", "auto", "garden", "pets",
]  # fmt: skip
ECOMMERCE_START = 1_569_888_000  # 2019-10-01
ECOMMERCE_END = ECOMMERCE_START + 152 * DAY


def _zipf(rng: np.random.Generator, n: int, exponent: float, offset: float) -> np.ndarray:
    """Zipf-like weights over a random ranking of n things."""
    return (rng.permutation(n) + offset) ** -exponent


def _norm(w: np.ndarray) -> np.ndarray:
    return w / w.sum()


def _draw_range(rng: np.random.Generator, cum: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Positions in [lo, hi) drawn with weights diff(cum) (cum is the cumulative weight with a leading 0)."""
    u = cum[lo] + rng.random(len(lo)) * (cum[hi] - cum[lo])
    return np.clip(np.searchsorted(cum, u, side="right") - 1, lo, np.maximum(lo, hi - 1))


class _Blocks:
    """Items sorted by (block, time): blocks are genres or leaf categories. Lets a vector of (block, time)
    queries draw popularity-weighted items among those of the block that exist at that time."""

    def __init__(self, block: np.ndarray, created: np.ndarray, weight: np.ndarray, n_blocks: int) -> None:
        self.t0 = int(created.min())
        self.order = np.lexsort((created, block))
        self.key = block[self.order].astype(np.int64) * _BIG + (created[self.order] - self.t0)
        self.position = np.empty(len(block), dtype=np.int64)
        self.position[self.order] = np.arange(len(block))
        self.lo = np.searchsorted(self.key, np.arange(n_blocks + 1, dtype=np.int64) * _BIG)
        self.cum = np.concatenate([[0.0], np.cumsum(weight[self.order])])

    def upto(self, block: np.ndarray, t: np.ndarray) -> np.ndarray:
        """End (exclusive) of the block's items created at or before t."""
        return np.searchsorted(self.key, block.astype(np.int64) * _BIG + (t - self.t0), side="right")

    def since(self, block: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Start of the block's items created at or after t."""
        return np.searchsorted(self.key, block.astype(np.int64) * _BIG + np.maximum(t - self.t0, 0))

    def draw(self, rng: np.random.Generator, block: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.order[_draw_range(rng, self.cum, self.lo[block], self.upto(block, t))]


def _sessions(rng: np.random.Generator, counts: np.ndarray, p_break: float, cap: int) -> dict[str, np.ndarray]:
    """Split each user's events (users in order, counts events each) into sessions of at most cap events."""
    n = int(counts.sum())
    user = np.repeat(np.arange(len(counts)), counts)
    first = np.zeros(n, dtype=bool)
    first[np.concatenate([[0], np.cumsum(counts)[:-1]])] = True
    brk = first | (rng.random(n) < p_break)
    start = np.flatnonzero(brk)
    pos = np.arange(n) - start[np.cumsum(brk) - 1]
    brk |= (pos > 0) & (pos % cap == 0)
    start = np.flatnonzero(brk)
    session = np.cumsum(brk) - 1
    return {
        "user": user,
        "session": session,
        "pos": np.arange(n) - start[session],
        "start": start,
        "length": np.diff(np.append(start, n)),
        "session_user": user[start],
    }


def _times(
    rng: np.random.Generator,
    s: dict[str, np.ndarray],
    n_users: int,
    period: tuple[int, int],
    session_gap_days: float,
    event_gap_seconds: float,
) -> np.ndarray:
    """Event timestamps: events within a session seconds/minutes apart, sessions days/weeks apart, each user
    starting at a random time and squeezed into the period when their history is longer than what is left."""
    start, end = period
    n, n_sessions = len(s["user"]), len(s["start"])
    gap = np.floor(rng.lognormal(np.log(event_gap_seconds), 0.9, n)) + 1
    gap[s["start"]] = 0
    offset = np.cumsum(gap)
    offset -= offset[s["start"]][s["session"]]  # seconds since the session's first event
    duration = offset[s["start"] + s["length"] - 1]
    su = s["session_user"]
    user_first = np.flatnonzero(np.r_[True, su[1:] != su[:-1]])
    session_gap = rng.lognormal(np.log(session_gap_days * DAY), 1.1, n_sessions)
    session_gap[user_first] = 0
    prev_duration = np.r_[0, duration[:-1]]
    prev_duration[user_first] = 0
    cum_gap = np.cumsum(session_gap)
    cum_gap -= cum_gap[user_first][su]
    cum_dur = np.cumsum(prev_duration)
    cum_dur -= cum_dur[user_first][su]
    user_last = np.r_[user_first[1:], n_sessions] - 1
    gaps_total = cum_gap[user_last]
    busy_total = cum_dur[user_last] + duration[user_last]
    begin = rng.uniform(start, end, n_users)
    begin = np.maximum(np.minimum(begin, end - gaps_total - busy_total), start)
    scale = np.clip((end - begin - busy_total) / np.maximum(gaps_total, 1.0), 0.0, 1.0)
    session_start = begin[su] + scale[su] * cum_gap + cum_dur
    return (session_start[s["session"]] + offset).astype(np.int64)


def _step_loop(s: dict[str, np.ndarray], step: Callable[[np.ndarray], None]) -> None:
    """Call step(event indices) for position 1, 2, ... of every session long enough (position 0 is set before)."""
    length, start = s["length"], s["start"]
    for p in range(1, int(length.max()) if len(length) else 0):
        active = length > p
        step(start[active] + p)


def _frames(
    user_ids: np.ndarray,
    item_ids: np.ndarray,
    times: np.ndarray,
    event_type: np.ndarray,
    value: np.ndarray,
    catalogue: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    interactions = pd.DataFrame(
        {
            "USER_ID": pd.Series(user_ids, dtype=object).astype(str),
            "ITEM_ID": pd.Series(item_ids, dtype=object).astype(str),
            "TIMESTAMP": times.astype(np.int64),
            "EVENT_TYPE": pd.Series(event_type, dtype=object).astype(str),
            "EVENT_VALUE": value.astype(np.float64),
        }
    )
    interactions = interactions.sort_values("TIMESTAMP", kind="stable", ignore_index=True)
    return {"interactions": interactions, "items": catalogue.reset_index(drop=True)}


def _genre_strings(masks: np.ndarray, names: list[str]) -> np.ndarray:
    unique, inverse = np.unique(masks, return_inverse=True)
    text = np.array(["|".join(g for b, g in enumerate(names) if int(m) >> b & 1) for m in unique], dtype=object)
    return text[inverse]


def movies(n_events: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    scale = n_events / 100_000
    n_users = int(max(2, min(round(600 * scale), n_events // 25)))
    n_items = int(max(200, round(10_500 * scale**0.4)))
    n_genres = len(MOVIE_GENRES)

    # Catalogue: franchises are runs of consecutive item indices (same genres, released a few years apart).
    is_head = rng.random(n_items) >= 0.12
    is_head[0] = True
    franchise = np.cumsum(is_head) - 1
    head = np.flatnonzero(is_head)
    rank = np.arange(n_items) - head[franchise]  # 0 for the original, 1 for the first sequel, ...
    successor = np.where(np.r_[~is_head[1:], False], np.arange(n_items) + 1, -1)
    weights = _MOVIE_GENRE_WEIGHTS / _MOVIE_GENRE_WEIGHTS.sum()
    f_primary = rng.choice(n_genres, len(head), p=weights)
    co = np.array(_CO_GENRES)[f_primary]
    f_mask = (1 << f_primary) | np.where(rng.random(len(head)) < 0.6, 1 << co[:, 0], 0)
    third = co[np.arange(len(head)), rng.integers(1, 4, len(head))]
    f_mask |= np.where(rng.random(len(head)) < 0.3, 1 << third, 0)
    primary, mask = f_primary[franchise], f_mask[franchise]
    # Releases: mostly decades before the period (denser in recent years), a quarter during it.
    f_release = np.where(
        rng.random(len(head)) < 0.75,
        MOVIES_START - rng.exponential(12 * YEAR, len(head)).clip(0, 90 * YEAR),
        rng.uniform(MOVIES_START, MOVIES_END, len(head)),
    )
    release = (f_release[franchise] + rank * rng.uniform(1.0, 4.0, n_items) * YEAR).astype(np.int64)
    popularity = _zipf(rng, n_items, 1.2, 5.0)[franchise] * 0.75**rank * rng.lognormal(0, 0.3, n_items)
    quality = rng.normal(0, 0.45, n_items)
    # Every genre block starts with a film released before the period, so every pick has a candidate.
    blocks = _Blocks(primary, release, popularity, n_genres)
    first_of_block = blocks.order[blocks.lo[:-1][blocks.lo[:-1] < blocks.lo[1:]]]
    release[first_of_block] = np.minimum(release[first_of_block], MOVIES_START - YEAR)
    blocks = _Blocks(primary, release, popularity, n_genres)
    present = np.flatnonzero(blocks.lo[1:] > blocks.lo[:-1])

    # Users: at least 20 ratings plus a heavy tail; 1-3 taste genres early, one of them replaced later.
    extra = n_events - 20 * n_users
    counts = 20 + rng.multinomial(extra, _norm(rng.lognormal(0, 1.4, n_users)))
    taste_p = weights[present] / weights[present].sum()
    early = present[rng.choice(len(present), (n_users, 3), p=taste_p)]
    late = early.copy()
    late[:, 0] = present[rng.choice(len(present), n_users, p=taste_p)]
    n_taste = rng.integers(1, 4, n_users)
    half_stars = rng.random(n_users) < 0.6
    user_bias = rng.normal(0, 0.4, n_users)

    s = _sessions(rng, counts, p_break=1 / 15, cap=60)
    times = _times(rng, s, n_users, (MOVIES_START, MOVIES_END), session_gap_days=14, event_gap_seconds=120)
    user = s["user"]
    n = len(user)
    span_first = np.minimum.reduceat(times, np.r_[0, np.cumsum(counts)[:-1]])
    span_last = np.maximum.reduceat(times, np.r_[0, np.cumsum(counts)[:-1]])
    drift = (times - span_first[user]) / np.maximum(span_last - span_first, 1)[user]
    is_late = rng.random(n) < drift
    slot = rng.integers(0, n_taste[user])
    genre = np.where(is_late, late[user, slot], early[user, slot])

    def fresh(idx: np.ndarray, uniform: bool = False) -> np.ndarray:
        g, t = genre[idx], times[idx]
        if uniform:  # any genre, any existing film
            g = present[rng.choice(len(present), len(idx), p=taste_p)]
            return blocks.draw(rng, g, t)
        hi = blocks.upto(g, t)
        picks = blocks.draw(rng, g, t)
        recent = rng.random(len(idx)) < 0.15
        recent_lo = blocks.since(g, t - YEAR // 2)
        ok = recent & (recent_lo < hi)
        if ok.any():
            picks[ok] = blocks.order[_draw_range(rng, blocks.cum, recent_lo[ok], hi[ok])]
        return picks

    def neighbour(prev: np.ndarray, t: np.ndarray, width: int) -> np.ndarray:
        """A popularity-weighted pick among the films of prev's genre closest to it in release date."""
        g, pos = primary[prev], blocks.position[prev]
        lo = np.maximum(blocks.lo[g], pos - width)
        hi = np.minimum(blocks.upto(g, t), pos + width + 1)
        return blocks.order[_draw_range(rng, blocks.cum, lo, hi)]

    items = np.empty(n, dtype=np.int64)
    items[s["start"]] = fresh(s["start"])

    def step(idx: np.ndarray) -> None:
        prev, t = items[idx - 1], times[idx]
        pick = fresh(idx)
        u = rng.random(len(idx))
        nxt = successor[prev]
        sequel = (nxt >= 0) & (release[np.maximum(nxt, 0)] <= t) & (u < 0.65)
        near = ~sequel & (rng.random(len(idx)) < 0.55)
        if near.any():
            pick[near] = neighbour(prev[near], t[near], 40)
        pick[sequel] = nxt[sequel]
        items[idx] = pick

    _step_loop(s, step)
    # Each (user, item) pair is rated once: redraw repeats (near the previous film, then from any genre);
    # drop what is left.
    for attempt in range(8):
        repeat = pd.Index(user * np.int64(n_items) + items).duplicated()
        if not repeat.any():
            break
        idx = np.flatnonzero(repeat)
        if attempt < 4:  # keep the session's thread: a wider neighbourhood of the previous film
            follows = s["pos"][idx] > 0
            items[idx[follows]] = neighbour(items[idx[follows] - 1], times[idx[follows]], 80 << attempt)
            items[idx[~follows]] = fresh(idx[~follows])
        else:
            items[idx] = fresh(idx, uniform=True)
    keep = ~pd.Index(user * np.int64(n_items) + items).duplicated()

    taste_mask = np.zeros(n, dtype=np.int64)
    for k in range(3):
        use = k < n_taste[user]
        taste_mask |= np.where(use, 1 << np.where(is_late, late[user, k], early[user, k]), 0)
    match = (mask[items] & taste_mask) != 0
    raw = 3.3 + user_bias[user] + quality[items] + 0.5 * match + rng.normal(0, 0.75, n)
    rating = np.where(half_stars[user], np.round(raw * 2) / 2, np.round(raw)).clip(0.5, 5.0)
    rating = np.where(half_stars[user], rating, rating.clip(1.0, 5.0))

    rated = np.unique(items[keep])
    user_names = np.array([f"{u + 1}" for u in range(n_users)], dtype=object)
    item_names = np.array([f"{i + 1}" for i in range(n_items)], dtype=object)
    catalogue = pd.DataFrame(
        {
            "ITEM_ID": pd.Series(item_names[rated], dtype=object).astype(str),
            "GENRES": pd.Series(_genre_strings(mask[rated], MOVIE_GENRES), dtype=object).astype(str),
            "CREATION_TIMESTAMP": np.maximum(release[rated], _EPOCH_FLOOR).astype(np.int64),
        }
    )
    return _frames(
        user_names[user[keep]],
        item_names[items[keep]],
        times[keep],
        np.full(int(keep.sum()), "rating", dtype=object),
        rating[keep],
        catalogue,
    )


def ecommerce(n_events: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_items = int(max(500, n_events // 5))
    n_leaves = int(max(len(ECOMMERCE_CATEGORIES), n_items // 120))
    n_tops = len(ECOMMERCE_CATEGORIES)

    # Category tree: leaves grouped by top category (contiguous), each leaf with two complementary leaves
    # (mostly in the same top category: phone -> case, tent -> sleeping bag).
    top_of_leaf = np.sort(
        np.r_[np.arange(n_tops), rng.choice(n_tops, n_leaves - n_tops, p=_norm(_zipf(rng, n_tops, 0.8, 2.0)))]
    )
    leaf_lo = np.searchsorted(top_of_leaf, np.arange(n_tops + 1))
    leaf_weight = _zipf(rng, n_leaves, 1.0, 3.0)
    leaf_cum = np.concatenate([[0.0], np.cumsum(leaf_weight)])
    same_top = _draw_range(
        rng, leaf_cum, np.repeat(leaf_lo[top_of_leaf], 2), np.repeat(leaf_lo[top_of_leaf + 1], 2)
    ).reshape(n_leaves, 2)
    anywhere = _draw_range(rng, leaf_cum, np.zeros(2 * n_leaves, np.int64), np.full(2 * n_leaves, n_leaves))
    complement = np.where(rng.random((n_leaves, 2)) < 0.7, same_top, anywhere.reshape(n_leaves, 2))

    # Items: every leaf has some; popularity Zipf-like inside the leaf times the leaf's weight; 55% exist at the
    # start, the rest are added throughout the period.
    leaf = np.r_[np.arange(n_leaves), rng.choice(n_leaves, n_items - n_leaves, p=_norm(leaf_weight**0.7))]
    created = np.where(
        rng.random(n_items) < 0.55,
        ECOMMERCE_START - rng.uniform(0, 2 * YEAR, n_items),
        rng.uniform(ECOMMERCE_START, ECOMMERCE_END, n_items),
    ).astype(np.int64)
    popularity = _zipf(rng, n_items, 1.1, 3.0) * leaf_weight[leaf]
    blocks = _Blocks(leaf, created, popularity, n_leaves)
    first_of_block = blocks.order[blocks.lo[:-1]]
    created[first_of_block] = np.minimum(created[first_of_block], ECOMMERCE_START - DAY)
    blocks = _Blocks(leaf, created, popularity, n_leaves)
    # Substitutes: neighbours in a latent brand/price order inside the leaf.
    subs = _Blocks(leaf, rng.permutation(n_items).astype(np.int64), popularity, n_leaves)

    # Users: most with 2-5 events, 3% heavy; enough users to reach n_events (the last one cut).
    n_guess = int(n_events / 3.5) + 10
    counts = np.where(
        rng.random(n_guess) < 0.97,
        2 + np.floor(rng.lognormal(0.0, 0.9, n_guess)),
        5 + np.floor(rng.lognormal(3.0, 1.0, n_guess)),
    ).astype(np.int64)
    total = np.cumsum(counts)
    n_users = min(int(np.searchsorted(total, n_events)) + 1, n_guess)
    counts = counts[:n_users]
    counts[-1] -= max(0, int(counts.sum()) - n_events)
    favourite = rng.choice(n_tops, (n_users, 2), p=_norm(_zipf(rng, n_tops, 0.8, 2.0)))

    s = _sessions(rng, counts, p_break=0.3, cap=40)
    times = _times(rng, s, n_users, (ECOMMERCE_START, ECOMMERCE_END), session_gap_days=3, event_gap_seconds=45)
    n = len(times)
    # The session's leaf: from one of the user's favourite top categories (60%) or the whole shop.
    su = s["session_user"]
    fav = favourite[su, rng.integers(0, 2, len(su))]
    session_leaf = np.where(
        rng.random(len(su)) < 0.6,
        _draw_range(rng, leaf_cum, leaf_lo[fav], leaf_lo[fav + 1]),
        _draw_range(rng, leaf_cum, np.zeros(len(su), np.int64), np.full(len(su), n_leaves)),
    )
    VIEW, CART, PURCHASE = 0, 1, 2
    kind = np.zeros(n, dtype=np.int64)
    cur_leaf = session_leaf[s["session"]]
    items = np.empty(n, dtype=np.int64)
    items[s["start"]] = blocks.draw(rng, cur_leaf[s["start"]], times[s["start"]])

    def step(idx: np.ndarray) -> None:
        prev, pkind, t = items[idx - 1], kind[idx - 1], times[idx]
        here = cur_leaf[idx - 1]
        u = rng.random(len(idx))
        to_cart = (pkind == VIEW) & (u < 0.05)
        to_buy = (pkind == CART) & (u < 0.5)
        moves = ((pkind == CART) & ~to_buy & (u < 0.6)) | ((pkind == PURCHASE) & (u < 0.6))
        here = np.where(moves, complement[here, rng.integers(0, 2, len(idx))], here)
        pick = blocks.draw(rng, here, t)
        v = rng.random(len(idx))
        review = ~moves & (v < 0.15)
        pick[review] = prev[review]
        near = ~moves & (v >= 0.15) & (v < 0.6)
        if near.any():
            pos, lo, hi = subs.position[prev[near]], subs.lo[here[near]], subs.lo[here[near] + 1]
            step_size = rng.geometric(1 / 4, (len(pos), 2)) * rng.choice([-1, 1], (len(pos), 2))
            cand = subs.order[np.clip(pos[:, None] + step_size, lo[:, None], (hi - 1)[:, None])]
            score = np.log(popularity[cand]) + rng.gumbel(size=cand.shape)
            chosen = cand[np.arange(len(pos)), score.argmax(axis=1)]
            exists = created[chosen] <= t[near]
            pick[np.flatnonzero(near)[exists]] = chosen[exists]
        act = to_cart | to_buy
        pick[act] = prev[act]
        kind[idx] = np.where(to_cart, CART, np.where(to_buy, PURCHASE, VIEW))
        items[idx] = pick
        cur_leaf[idx] = here

    _step_loop(s, step)
    names = np.array(["view", "add_to_cart", "purchase"], dtype=object)
    user_names = np.array([f"c{u:07d}" for u in range(n_users)], dtype=object)
    item_names = np.array([f"p{i:07d}" for i in range(n_items)], dtype=object)
    leaf_names = np.array(
        [
            f"{ECOMMERCE_CATEGORIES[top_of_leaf[j]]}|{ECOMMERCE_CATEGORIES[top_of_leaf[j]]}.c{j:04d}"
            for j in range(n_leaves)
        ],
        dtype=object,
    )
    catalogue = pd.DataFrame(
        {
            "ITEM_ID": pd.Series(item_names, dtype=object).astype(str),
            "GENRES": pd.Series(leaf_names[leaf], dtype=object).astype(str),
            "CREATION_TIMESTAMP": created.astype(np.int64),
        }
    )
    return _frames(user_names[s["user"]], item_names[items], times, names[kind], np.full(n, np.nan), catalogue)


def lms(n_events: int, seed: int) -> dict[str, pd.DataFrame]:
    """The sample LMS generator's events and items in Personalize's column names."""
    from personalize_dev.sample_data import generate_frames

    frames = generate_frames(n_events, seed)
    events, items = frames["events"], frames["items"]
    interactions = pd.DataFrame(
        {
            "USER_ID": events["user_id"].astype(str),
            "ITEM_ID": events["item_id"].astype(str),
            "TIMESTAMP": events["occurred_at"].astype("int64"),
            "EVENT_TYPE": events["event_type"].astype(str),
            "EVENT_VALUE": events["rating"].astype("float64"),
        }
    )
    catalogue = pd.DataFrame(
        {
            "ITEM_ID": items["item_id"].astype(str),
            "GENRES": items["genres"].astype(str),
            "CREATION_TIMESTAMP": items["created_at"].astype("int64"),
        }
    )
    return {"interactions": interactions, "items": catalogue}


SHAPES: dict[str, Callable[[int, int], dict[str, pd.DataFrame]]] = {
    "movies": movies,
    "ecommerce": ecommerce,
    "lms": lms,
}


def load_shape(name: str, n_events: int, seed: int) -> dict[str, pd.DataFrame]:
    """{"interactions": ..., "items": ...} of the named shape with about n_events interactions."""
    if name not in SHAPES:
        raise ValueError(f"unknown shape {name!r}; known: {', '.join(SHAPES)}")
    return SHAPES[name](n_events, seed)
