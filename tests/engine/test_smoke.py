from __future__ import annotations

from typing import Any

from .conftest import Env


def test_end_to_end_recommendations(env: Env, trained: dict[str, Any]) -> None:
    result = env.runtime.get_recommendations(campaignArn=trained["campaign"], userId="u1", numResults=10)
    assert len(result["itemList"]) == 10
    assert result["recommendationId"].startswith("RID-")
