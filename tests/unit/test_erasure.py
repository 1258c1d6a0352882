"""Erasure: requests, scrubbing of every kind of object the pipeline writes, and the extract leaving users out.
S3 is a real moto server on loopback, reached through the Amazon provider's S3Hook."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from personalize_pipeline import erasure
from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.extract import write_csv

CONFIG = PipelineConfig(name="t", dataset_group="grp", bucket="erasure-test", prefix="p")
STAGED = "p/grp/staged/snapshot=20261101T000000Z"
INTERACTIONS = (b"USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n"
                b"u1,i1,watch,4.5,100\nu10,i1,watch,4.0,101\n\"u2\",i2,click,3,102\nu1,i3,click,5,103\n")


@pytest.fixture(scope="module")
def s3(s3_hook: Any) -> Any:
    s3_hook.create_bucket(bucket_name=CONFIG.bucket)
    return s3_hook


def put(s3: Any, key: str, body: bytes | str) -> None:
    s3.load_bytes(body.encode() if isinstance(body, str) else body, key=key, bucket_name=CONFIG.bucket, replace=True)


def get(s3: Any, key: str) -> bytes:
    return bytes(s3.get_key(key, CONFIG.bucket).get()["Body"].read())


def test_requested_ids_are_checked_with_the_position_named() -> None:
    assert erasure.check_user_ids([" u2", "u1", "u2"], "form") == ["u1", "u2"]
    for values, expected in ((["u1", ""], "#2 in form: .* got an empty id"),
                             (["x" * 257], "#1 in form: .* got 257 characters"),
                             (["a,b"], "#1 in form: .* got a comma"),
                             ([], "no user ids in form")):
        with pytest.raises(erasure.ErasureRequestError, match=expected):
            erasure.check_user_ids(values, "form")
    assert erasure.ids_from_csv("\ufeffUSER_ID\nu1\nu2\n", "s3://b/k") == ["u1", "u2"]
    with pytest.raises(erasure.ErasureRequestError, match="USER_ID column, got \\['user'\\]"):
        erasure.ids_from_csv("user\nu1\n", "s3://b/k")
    assert erasure.request_id(["u2", "u1"]) == erasure.request_id(["u1", "u2", "u1"])


def test_csv_rows_of_the_users_go_and_every_other_byte_stays() -> None:
    body, removed = erasure.scrub_csv(INTERACTIONS, frozenset({"u1", "u2"})) or (b"", -1)
    assert removed == 3
    assert body == b"USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\nu10,i1,watch,4.0,101\n"
    assert erasure.scrub_csv(b"ITEM_ID,GENRES\ni1,a|b\n", frozenset({"i1"})) is None  # no USER_ID column


def test_batch_inputs_and_outputs_lose_the_users_lines() -> None:
    output = (b'{"input": {"userId": "u1"}, "output": {"recommendedItems": ["i1"]}, "error": null}\n'
              b'{"input": {"userId": "u3"}, "output": {"recommendedItems": ["u1"]}, "error": null}\n')
    body, removed = erasure.scrub_json_lines(output, frozenset({"u1"})) or (b"", -1)
    assert removed == 1 and body.startswith(b'{"input": {"userId": "u3"}')  # an item called u1 is not the user
    body, removed = erasure.scrub_json_lines(b'{"userId": "u1", "itemList": ["i1"]}\n{"itemId": "u1"}\n',
                                             frozenset({"u1"})) or (b"", -1)
    assert (body, removed) == (b'{"itemId": "u1"}\n', 1)
    assert erasure.scrub_json_lines(b"<html>\n", frozenset({"u1"})) is None


def test_mentions_match_whole_ids_only() -> None:
    ids = frozenset({"u1", "123"})
    assert erasure.mentions(b"<td>u1</td>", ids) and erasure.mentions(b"user 123,", ids)
    assert not erasure.mentions(b"u10 x-u1 0.123 123.5", ids)


def _stage(s3: Any) -> None:
    put(s3, f"{STAGED}/interactions.csv", INTERACTIONS)
    put(s3, f"{STAGED}/items.csv", b"ITEM_ID,GENRES\ni1,a\n")
    manifest = {"partition": "snapshot=20261101T000000Z",
                "stats": {"interactions": {"rows": 4, "bytes": len(INTERACTIONS), "sha256": "x"},
                          "items": {"rows": 1, "bytes": 20, "sha256": "y"}}}
    put(s3, f"{STAGED}/_manifest.json", json.dumps(manifest))
    put(s3, f"{STAGED}/data_docs/validations/run.html", "<td>unexpected: u2</td>")
    put(s3, f"{STAGED}/data_docs/index.html", "<td>interactions failed</td>")
    put(s3, f"{STAGED}/reports/sims/report.json", json.dumps({"coverage": 0.123}))
    put(s3, "p/grp/batch/up/snapshot=20261101T000000Z/input/queries.json", '{"userId": "u1"}\n{"userId": "u3"}\n')
    put(s3, "p/grp/erasure/0123/report.json", '{"user_ids": ["u1"]}')  # erasure records are kept
    put(s3, "p/other/staged/x/interactions.csv", INTERACTIONS)  # another pipeline's prefix


def test_scrub_rewrites_data_deletes_quoting_pages_and_is_idempotent(s3: Any) -> None:
    _stage(s3)
    ids = frozenset({"u1", "u2"})
    before = {k: get(s3, k) for k in s3.list_keys(CONFIG.bucket, prefix="p/")}
    planned = erasure.scrub_objects(s3, CONFIG, ids, erasure.pipeline_prefix(CONFIG), dry_run=True)
    assert {k: get(s3, k) for k in s3.list_keys(CONFIG.bucket, prefix="p/")} == before  # a dry run changes nothing
    done = erasure.scrub_objects(s3, CONFIG, ids, erasure.pipeline_prefix(CONFIG))
    assert [(o.key, o.action, o.rows_removed) for o in done] == [
        ("p/grp/batch/up/snapshot=20261101T000000Z/input/queries.json", "rewritten", 1),
        (f"{STAGED}/data_docs/validations/run.html", "deleted", 0),
        (f"{STAGED}/interactions.csv", "rewritten", 3),
    ]
    assert [o.action for o in planned] == ["would rewrite", "would delete", "would rewrite"]
    staged = get(s3, f"{STAGED}/interactions.csv")
    assert staged.count(b"\n") == 2 and b"u10" in staged
    stats = json.loads(get(s3, f"{STAGED}/_manifest.json"))["stats"]
    assert stats["interactions"] == {"rows": 1, "bytes": len(staged), "sha256": hashlib.sha256(staged).hexdigest(),
                                     "erased_rows": 3}
    assert stats["items"]["sha256"] == "y"
    after = set(s3.list_keys(CONFIG.bucket, prefix="p/"))
    assert f"{STAGED}/data_docs/index.html" in after and f"{STAGED}/reports/sims/report.json" in after
    assert get(s3, "p/other/staged/x/interactions.csv") == INTERACTIONS
    assert erasure.scrub_objects(s3, CONFIG, ids, erasure.pipeline_prefix(CONFIG)) == []


def test_the_held_back_events_and_their_manifest_entry_lose_the_users_too(s3: Any) -> None:
    """The fair comparison's held-back day sits one folder below the partition; its manifest entry follows."""
    partition = "p/grp/staged/snapshot=20261102T000000Z"
    put(s3, f"{partition}/holdout/interactions.csv", INTERACTIONS)
    manifest = {"partition": "snapshot=20261102T000000Z", "stats": {},
                "holdout": {"key": "holdout/interactions.csv", "rows": 4, "users": 3, "window": {"start": 1, "end": 2}}}
    put(s3, f"{partition}/_manifest.json", json.dumps(manifest))
    done = erasure.scrub_objects(s3, CONFIG, frozenset({"u1"}), f"{partition}/")
    assert [(o.key, o.rows_removed) for o in done] == [(f"{partition}/holdout/interactions.csv", 2)]
    holdout = json.loads(get(s3, f"{partition}/_manifest.json"))["holdout"]
    assert holdout == {"key": "holdout/interactions.csv", "rows": 2, "users": 2, "erased_rows": 2,
                       "window": {"start": 1, "end": 2}}


def test_requests_are_recorded_once_and_retired_when_the_source_forgets(s3: Any) -> None:
    first, new = erasure.record_request(s3, CONFIG, ["u7", "u8"], "ticket 1")
    again, new_again = erasure.record_request(s3, CONFIG, ["u8", "u7"], "ticket 2")
    assert new and not new_again and again.request_id == first.request_id and again.reason == "ticket 1"
    assert {"u7", "u8"} <= erasure.active_user_ids(s3, CONFIG)
    # a snapshot taken before the request says nothing about the source now
    assert erasure.retire_forgotten(s3, CONFIG, frozenset(), snapshot_end=0) == []
    assert erasure.retire_forgotten(s3, CONFIG, frozenset({"u7"}), snapshot_end=2**40) == ["u8"]
    assert "u8" not in erasure.active_user_ids(s3, CONFIG) and "u7" in erasure.active_user_ids(s3, CONFIG)
    put(s3, "p/grp/erasure/requests/broken.json", "{}")
    with pytest.raises(erasure.ErasureRequestError, match=r"broken\.json: expected an erasure request"):
        erasure.active_user_ids(s3, CONFIG)
    s3.delete_objects(CONFIG.bucket, ["p/grp/erasure/requests/broken.json"])


def test_a_request_recorded_after_staging_is_applied_before_validation(s3: Any) -> None:
    put(s3, f"{STAGED}/interactions.csv", INTERACTIONS)
    known = erasure.active_user_ids(s3, CONFIG)
    manifest = {"prefix": f"s3://{CONFIG.bucket}/{STAGED}", **{"erasure": erasure.applied_record(known)}}
    assert erasure.reapply_to_partition(s3, CONFIG, manifest) == []
    erasure.record_request(s3, CONFIG, ["u10"], "late ticket")
    outcomes = erasure.reapply_to_partition(s3, CONFIG, manifest)
    assert [(o.key, o.rows_removed) for o in outcomes] == [(f"{STAGED}/interactions.csv", 1)]
    assert b"u10" not in get(s3, f"{STAGED}/interactions.csv") and b"u1," in get(s3, f"{STAGED}/interactions.csv")


def test_the_extract_leaves_erased_users_out_and_knows_who_the_source_still_has(tmp_path: Path) -> None:
    chunk = pd.DataFrame({"user_id": ["u1", "u2", "u3", "u9"], "item_id": ["i1"] * 4,
                          "event_type": ["watch", "watch", "watch", "share"], "rating": [5, 5, 5, 5],
                          "completion": [1.0] * 4, "occurred_at": [1, 2, 3, 4]})
    stats = write_csv("interactions", [chunk], tmp_path / "i.csv", CONFIG, frozenset({"u2", "u9", "u5"}))
    assert (stats.rows, stats.erased_rows) == (2, 1)
    assert stats.erased_seen == frozenset({"u2", "u9"})  # u9's only event is filtered out, but the source has it
    assert "erased_seen" not in stats.to_dict() and stats.to_dict()["erased_rows"] == 1
    assert "u2" not in (tmp_path / "i.csv").read_text()
