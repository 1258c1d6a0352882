"""Differential test: the gate accepts a staged file exactly when the import job of that file succeeds.

Hundreds of seeded files (wrong types, overflow, stray quotes, blank lines, byte order marks, CRLF, unicode,
oversize values, and valid variants of each) go through both the pipeline's gate and the engine's
CreateDatasetImportJob, against the pipeline's own schemas. Each file also carries the verdict its mutations call
for, from Personalize's documented format, so a disagreement says which side is wrong.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from personalize_pipeline.config import PipelineConfig, ValidationConfig
from personalize_pipeline.schemas import schema_text
from personalize_pipeline.validate import validate_files

from .conftest import Env, wait_for
from .corrupt_csv import STRUCTURE_MUTATIONS, VALUE_MUTATIONS, CsvFile, generate

FILES = 450
WORKERS = 3
# Quality rules that cannot fire on these small files; the per-value rules are what is compared.
CONFIG = PipelineConfig(name="agreement", dataset_group="agreement",
                        validation=ValidationConfig(min_interactions=1, min_users=1))


def _datasets(env: Env) -> dict[str, str]:
    group = env.dataset_group()
    arns = {}
    for dataset in ("interactions", "items", "users"):
        schema = env.personalize.create_schema(name=env.name(f"agree-{dataset}"),
                                               schema=schema_text(dataset))["schemaArn"]
        arn = env.personalize.create_dataset(name=env.name(dataset), schemaArn=schema, datasetGroupArn=group,
                                             datasetType=dataset.upper())["datasetArn"]
        wait_for(lambda arn=arn: env.personalize.describe_dataset(datasetArn=arn)["dataset"])
        arns[dataset] = arn
    return arns


def _import(env: Env, datasets: dict[str, str], csv: CsvFile) -> tuple[bool, str]:
    key = f"agreement/{uuid.uuid4().hex}.csv"
    env.s3.put_object(Bucket=env.bucket, Key=key, Body=csv.to_bytes())
    arn = env.personalize.create_dataset_import_job(
        jobName=env.name("agree"), datasetArn=datasets[csv.dataset],
        dataSource={"dataLocation": f"s3://{env.bucket}/{key}"}, roleArn=env.role,
    )["datasetImportJobArn"]
    job = wait_for(lambda: env.personalize.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"])
    return job["status"] == "ACTIVE", job.get("failureReason", "")


def test_gate_accepts_exactly_what_the_import_job_accepts(env: Env) -> None:
    files = generate(FILES, seed=20261202)
    shards = [files[w::WORKERS] for w in range(WORKERS)]
    with ThreadPoolExecutor(WORKERS) as pool:
        groups = list(pool.map(lambda _: _datasets(env), range(WORKERS)))
        engine_runs = [pool.submit(lambda g, s: [_import(env, g, f) for f in s], groups[w], shards[w])
                       for w in range(WORKERS)]
        gate = {}
        with tempfile.TemporaryDirectory() as tmp:
            for index, csv in enumerate(files):
                path = Path(tmp) / f"{index}-{csv.dataset}.csv"
                path.write_bytes(csv.to_bytes())
                report = validate_files({csv.dataset: path}, CONFIG)
                gate[index] = report
                for failure in report.failures:  # every refusal is named and located
                    assert failure.rule and failure.observed and failure.expected, failure
                    assert str(path) in failure.where, failure
        engine = {}
        for w, run in enumerate(engine_runs):
            for position, verdict in enumerate(run.result()):
                engine[w + position * WORKERS] = verdict

    disagreements = []
    for index, csv in enumerate(files):
        accepted, reason = engine[index]
        if not (gate[index].success == accepted == csv.valid):
            disagreements.append(json.dumps({
                "file": index, "dataset": csv.dataset, "mutations": csv.mutations, "documented_valid": csv.valid,
                "gate": [f"{f.rule}: {f.observed}" for f in gate[index].failures] or "accepted",
                "engine": reason or "accepted", "bytes": csv.to_bytes()[:300].decode("utf-8", "replace")}))
    assert not disagreements, f"{len(disagreements)} of {FILES} files judged differently:\n" + "\n".join(
        disagreements[:10])
    valid = sum(csv.valid for csv in files)
    assert valid >= 100 and FILES - valid >= 200, f"generator balance: {valid} valid of {FILES}"
    every = {name for name, *_ in VALUE_MUTATIONS} | set(STRUCTURE_MUTATIONS)
    missing = sorted(every - {kind for csv in files for kind in csv.kinds})
    assert not missing, f"mutations the seed never produced: {missing}"
