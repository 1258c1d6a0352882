"""Batch inference with themes (``batchInferenceJobMode`` THEME_GENERATION), as Personalize documents it.

Only for Similar-Items solution versions, with an Items dataset holding a textual field and the item-name column
named in ``themeGenerationConfig``; an input file holds at most 100 items. Each set of similar items gets one theme
and the items are re-ranked by their relevance to it, each with a score in a rough range of -0.1 to 0.6.

Personalize writes the theme with a generative model. Locally the theme is deterministic text from item metadata:
the words the similar items' text and categorical fields share most, beside the input item's name, and an item's
relevance is the share of those words it carries.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pandas as pd

from .errors import InvalidInput
from .schemas import Field

MAX_THEMED_ITEMS = 100
THEME_WORDS = 3
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
_STOP = frozenset((
    "the", "and", "for", "with", "from", "that", "this", "into", "your", "you", "are", "was", "were", "has",
    "have", "its", "our", "their", "about", "over", "under", "more", "most", "than", "then", "they", "them",
    "what", "when", "where", "which", "while", "who", "will", "can", "all", "any", "not", "but", "out",
))
Record = dict[str, Any]


def theme_fields(fields: list[Field], raw_schema: Record, item_name: str) -> tuple[str, list[str]]:
    """Check the Items schema for theme generation; returns (item-name field, fields words are drawn from)."""
    by_name = {f.name.upper(): f for f in fields}
    named = by_name.get(item_name.upper())
    if named is None or named.type != "string":
        raise InvalidInput(
            f"themeGenerationConfig.fieldsForThemeGeneration.itemName {item_name!r} must be a string column of the "
            "Items dataset"
        )
    textual = [f["name"] for f in raw_schema.get("fields", []) if isinstance(f, dict) and f.get("textual")]
    if not textual:
        raise InvalidInput("Theme generation needs an Items dataset with a textual field (e.g. DESCRIPTION)")
    categorical = [f.name for f in fields if f.categorical]
    return named.name, textual + categorical


class ThemeWriter:
    """Themes for sets of similar items, from the Items dataset's rows."""

    def __init__(self, items: pd.DataFrame, name_field: str, word_fields: list[str]) -> None:
        ids = items["ITEM_ID"].astype(str)
        self.names = dict(zip(ids, items[name_field].fillna("").astype(str), strict=True))
        text = items[word_fields].fillna("").astype(str).agg(" ".join, axis=1)
        self.words = {item: _words(body) for item, body in zip(ids, text, strict=True)}

    def theme(self, item_id: str, similar: list[str]) -> tuple[str, list[str], list[float]]:
        """(theme, the items re-ranked by relevance to it, their scores)."""
        counts = Counter(word for item in similar for word in self.words.get(item, set()))
        top = [word for word, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:THEME_WORDS]]
        name = self.names.get(item_id) or item_id
        theme = f"More like {name}: " + (", ".join(w.capitalize() for w in top) if top else "Similar picks")
        chosen = set(top)
        scored = [
            (item, round(0.7 * len(self.words.get(item, set()) & chosen) / max(1, len(chosen)) - 0.1, 6))
            for item in similar
        ]
        scored.sort(key=lambda pair: -pair[1])  # stable: ties keep the similarity order
        return theme, [item for item, _ in scored], [score for _, score in scored]


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP}
