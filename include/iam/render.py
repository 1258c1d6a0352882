"""Fill the ${Placeholder}s in the IAM policy templates next to this file.

    python include/iam/render.py --account-id 123456789012 --bucket-name my-bucket --out-dir build/iam

writes one ready-to-use JSON document per template. Every placeholder must get a value (missing ones
raise KeyError), so a rendered file never carries a literal "${...}" to AWS. See README.md here.
"""

from __future__ import annotations

import argparse
import json
import string
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = tuple(sorted(HERE.glob("*.json")))

DEFAULTS = {
    "Region": "us-east-1",
    "Prefix": "personalize",  # PipelineConfig.prefix default
    "ResourcePrefix": "lms",  # the sample config's names: lms, lms-recommendations
    "ServiceRoleName": "PersonalizePipelineServiceRole",
    "AirflowRoleName": "AirflowPersonalizeRole",
}


def placeholders(text: str) -> set[str]:
    """Names of the ${...} placeholders used in a template."""
    return {m.group("braced") for m in string.Template.pattern.finditer(text) if m.group("braced")}


def render(text: str, values: dict[str, str]) -> dict:
    """Substitute every placeholder and parse the result (so a broken template fails here)."""
    merged = {**DEFAULTS, **values}
    merged.setdefault("BatchOutputPrefix", f"{merged['Prefix']}/*/batch")
    return json.loads(string.Template(text).substitute(merged))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--account-id", required=True)
    parser.add_argument("--bucket-name", required=True)
    parser.add_argument("--region", default=DEFAULTS["Region"])
    parser.add_argument("--prefix", default=DEFAULTS["Prefix"], help="S3 key prefix, no slashes at the ends")
    parser.add_argument("--batch-output-prefix", help="S3 key prefix of batch output; default PREFIX/*/batch")
    parser.add_argument("--resource-prefix", default=DEFAULTS["ResourcePrefix"],
                        help="name prefix of every Personalize resource the pipeline creates")
    parser.add_argument("--service-role-name", default=DEFAULTS["ServiceRoleName"])
    parser.add_argument("--airflow-role-name", default=DEFAULTS["AirflowRoleName"])
    parser.add_argument("--out-dir", type=Path, required=True)
    args = parser.parse_args(argv)

    values = {
        "AccountId": args.account_id, "BucketName": args.bucket_name, "Region": args.region,
        "Prefix": args.prefix.strip("/"), "ResourcePrefix": args.resource_prefix,
        "ServiceRoleName": args.service_role_name, "AirflowRoleName": args.airflow_role_name,
    }
    if args.batch_output_prefix:
        values["BatchOutputPrefix"] = args.batch_output_prefix.strip("/")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for template in TEMPLATES:
        out = args.out_dir / template.name
        out.write_text(json.dumps(render(template.read_text(), values), indent=2) + "\n")
        print(out)


if __name__ == "__main__":
    main()
