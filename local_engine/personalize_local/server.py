"""HTTP front end: control plane (botocore `json` protocol on POST /) and runtime (rest-json) on one port.

Transport only (routes, status codes, fault injection, request counts); the engine it serves is wiring.py's."""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .config import Config
from .errors import InternalError, InvalidInput, ServiceError
from .faults import FaultInjector
from .protocol import json_object, service_model
from .wiring import build

log = logging.getLogger("personalize_local.server")
JSON_11 = "application/x-amz-json-1.1"
TARGET_PREFIX = "AmazonPersonalize."
# The rest-json services: every operation of their botocore models is routed at its own requestUri.
REST_SERVICES = ("personalize-runtime", "personalize-events")


def _error(exc: ServiceError, content_type: str) -> Response:
    body = json.dumps({"__type": exc.code, "message": exc.message})
    headers = {"x-amzn-ErrorType": exc.code, "x-amzn-RequestId": str(uuid.uuid4())}
    return Response(body, status_code=exc.status, media_type=content_type, headers=headers)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    return json_object(raw, "Request body") if raw.strip() else {}


def create_app(config: Config) -> Starlette:
    engine = build(config)
    faults = FaultInjector(config)
    # Every API request by service and operation, faulted ones included (a client pays for those too): how many
    # calls a pipeline run makes, polling included, is read from GET /admin/requests.
    requests: Counter[tuple[str, str]] = Counter()

    async def serve(request: Request, content_type: str, call: Callable[[dict[str, Any]], dict[str, Any]],
                    api: tuple[str, str]) -> Response:
        requests[api] += 1
        try:
            fault = faults.request_fault()
            if fault is not None:
                raise fault
            params = await _body(request)
            result = await run_in_threadpool(call, params)
            lost = faults.lost_response()
            if lost is not None:
                raise lost
            return Response(
                json.dumps(result), media_type=content_type, headers={"x-amzn-RequestId": str(uuid.uuid4())}
            )
        except ServiceError as exc:
            return _error(exc, content_type)
        except Exception as exc:
            log.exception("unhandled error")
            return _error(InternalError(f"{type(exc).__name__}: {exc}"), content_type)

    async def control(request: Request) -> Response:
        target = request.headers.get("x-amz-target", "")
        if not target.startswith(TARGET_PREFIX):
            return _error(InvalidInput(f"Missing or unknown X-Amz-Target header: {target!r}"), JSON_11)
        op_name = target[len(TARGET_PREFIX) :]
        return await serve(request, JSON_11, lambda params: engine.control.call(op_name, params),
                           ("personalize", op_name))

    def rest_route(service: str, op_name: str) -> Route:
        api = engine.runtime if service == "personalize-runtime" else engine.events

        async def handler(request: Request) -> Response:
            return await serve(request, "application/json", lambda params: api.call(op_name, params),
                               (service, op_name))

        http = service_model(service).operation_model(op_name).http
        return Route(http["requestUri"], handler, methods=[http["method"]])

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def admin_faults(request: Request) -> Response:
        """Fault settings and counts of injected faults; POST a JSON object to change settings at run time."""
        try:
            state = faults.update(await _body(request)) if request.method == "POST" else faults.state()
        except ServiceError as exc:
            return _error(exc, "application/json")
        return JSONResponse(state)

    def request_counts() -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for (service, op_name), count in sorted(requests.items()):
            counts.setdefault(service, {})[op_name] = count
        return counts

    async def admin_requests(request: Request) -> Response:
        """API requests served so far, {service: {operation: count}}; DELETE resets the counts."""
        if request.method == "DELETE":
            requests.clear()
        return JSONResponse(request_counts())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine.start()
        yield
        engine.close()
        # Left in the data dir for a look after the process is gone (the admin endpoint is the live view).
        (config.data_dir / "request_counts.json").write_text(json.dumps(request_counts(), indent=2))

    app = Starlette(
        routes=[
            Route("/", control, methods=["POST"]),
            *(rest_route(service, op_name) for service in REST_SERVICES
              for op_name in service_model(service).operation_names),
            Route("/health", health, methods=["GET"]),
            Route("/admin/faults", admin_faults, methods=["GET", "POST"]),
            Route("/admin/requests", admin_requests, methods=["GET", "DELETE"]),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    return app
