"""moto's S3 server plus a request counter: `python -m personalize_local.s3_server [-H HOST] [-p PORT]`.

Clients see plain `moto_server`. `GET /_local/requests` answers the S3 API calls served so far as
`{caller: {operation: count}}` (`DELETE` resets them): requests whose User-Agent carries `ENGINE_USER_AGENT` are the
engine's own (on AWS, Personalize reading and writing the bucket with its service role), all others are `client`.
Operations are named from the method, path-style path and query, as in the S3 API reference.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

ENGINE_USER_AGENT = "personalize-local-engine"
COUNTS_PATH = "/_local/requests"
_INTERNAL_PREFIXES = ("/moto-api", "/_local/")
# Bucket sub-resources (a query key) and the word the S3 operation names use for them.
_BUCKET_SUBRESOURCES = {
    "acl": "Acl", "cors": "Cors", "encryption": "Encryption", "lifecycle": "LifecycleConfiguration",
    "location": "Location", "logging": "Logging", "notification": "NotificationConfiguration",
    "object-lock": "ObjectLockConfiguration", "ownershipControls": "OwnershipControls", "policy": "Policy",
    "publicAccessBlock": "PublicAccessBlock", "replication": "Replication", "tagging": "Tagging",
    "versioning": "Versioning", "website": "Website",
}

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def s3_operation(method: str, path: str, query: str, headers: dict[str, str]) -> str:
    """The S3 API operation of one path-style request (a best effort for rare forms: "<METHOD> bucket|object")."""
    keys = set(parse_qs(query, keep_blank_values=True))
    parts = path.lstrip("/").split("/", 1)
    if not parts[0]:
        return "ListBuckets" if method == "GET" else f"{method} /"
    copy = "x-amz-copy-source" in headers
    if len(parts) == 1 or not parts[1]:  # bucket level
        sub = next((_BUCKET_SUBRESOURCES[k] for k in sorted(keys) if k in _BUCKET_SUBRESOURCES), None)
        if method == "GET":
            if sub:
                return f"GetBucket{sub}"
            if "list-type" in keys:
                return "ListObjectsV2"
            return "ListMultipartUploads" if "uploads" in keys else (
                "ListObjectVersions" if "versions" in keys else "ListObjects")
        verbs = {"PUT": ("PutBucket", "CreateBucket"), "DELETE": ("DeleteBucket", "DeleteBucket")}
        if method in verbs:
            return verbs[method][0] + sub if sub else verbs[method][1]
        if method == "HEAD":
            return "HeadBucket"
        if method == "POST" and "delete" in keys:
            return "DeleteObjects"
        return f"{method} bucket"
    if method == "GET":
        return ("GetObjectTagging" if "tagging" in keys else "GetObjectAcl" if "acl" in keys
                else "ListParts" if "uploadId" in keys else "GetObject")
    if method == "HEAD":
        return "HeadObject"
    if method == "PUT":
        if "uploadId" in keys:
            return "UploadPartCopy" if copy else "UploadPart"
        return ("PutObjectTagging" if "tagging" in keys else "PutObjectAcl" if "acl" in keys
                else "CopyObject" if copy else "PutObject")
    if method == "DELETE":
        return ("AbortMultipartUpload" if "uploadId" in keys else "DeleteObjectTagging" if "tagging" in keys
                else "DeleteObject")
    if method == "POST":
        if "uploads" in keys:
            return "CreateMultipartUpload"
        if "uploadId" in keys:
            return "CompleteMultipartUpload"
        return "RestoreObject" if "restore" in keys else "SelectObjectContent" if "select" in keys else "POST object"
    return f"{method} object"


class RequestCounter:
    """WSGI middleware counting S3 API requests by caller and operation; serves the counts at COUNTS_PATH."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.counts: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()  # werkzeug serves each request on its own thread

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self.lock:
            items = sorted(self.counts.items())
        result: dict[str, dict[str, int]] = {}
        for (caller, op_name), count in items:
            result.setdefault(caller, {})[op_name] = count
        return result

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == COUNTS_PATH:
            if environ.get("REQUEST_METHOD") == "DELETE":
                with self.lock:
                    self.counts.clear()
            body = json.dumps(self.snapshot()).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if not path.startswith(_INTERNAL_PREFIXES):
            headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
            caller = "personalize-local" if ENGINE_USER_AGENT in headers.get("user-agent", "") else "client"
            op_name = s3_operation(environ.get("REQUEST_METHOD", "GET"), path, environ.get("QUERY_STRING", ""),
                                   headers)
            with self.lock:
                self.counts[(caller, op_name)] += 1
        return self.app(environ, start_response)


def main(argv: list[str] | None = None) -> None:
    # Same start-up as moto's own `moto_server` (moto.server.main), with the counter around its app.
    from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app, signal_handler
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(prog="python -m personalize_local.s3_server", description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)))
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGINT, signal_handler)
    signal.signal(signal.SIGTERM, signal_handler)
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # type: ignore[attr-defined]
    run_simple(args.host, args.port, RequestCounter(app), threaded=True,  # type: ignore[arg-type]
               request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
