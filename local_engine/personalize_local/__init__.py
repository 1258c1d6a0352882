"""personalize_local: a local, Amazon Personalize-compatible engine that trains real models.

Run it with `personalize-local serve --port PORT --data-dir DIR --s3-endpoint-url URL` (or through
`personalize_local.stack.local_stack`). One port serves:

* the control plane: botocore `json` protocol, `POST /` with `X-Amz-Target: AmazonPersonalize.<Operation>`;
* the runtime: `POST /recommendations` (GetRecommendations), `POST /personalize-ranking`;
* `GET /health`.

Point boto3 at it with `endpoint_url` for both `personalize` and `personalize-runtime`. State (SQLite plus
dataset and model files) lives in the data dir and survives restarts. Fault injection is off by default; see
`config.py` for the PERSONALIZE_LOCAL_* environment variables and `cli.py` for the matching flags.
"""
