"""The bare endpoint `bench/checks.py` holds the server against: a constant check answer.

A Starlette app with nothing behind it: `GET /v1/checks` answers the same JSON shape as a
check (`{"decision": "allow", "measures": []}`) whatever the query and headers, and
`/healthz` answers for start-up. `checks.py` starts it with the uvicorn settings that
`trustledger serve` itself passed to `uvicorn.run`, given as one JSON argument; the app goes
by import string (`bare_app:app`) so that uvicorn can start several workers:

    python bench/bare_app.py '{"host": "127.0.0.1", "port": 8001, "log_level": "warning"}'
"""

from __future__ import annotations

import json
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ANSWER = {"decision": "allow", "measures": []}


async def check(_request: Request) -> JSONResponse:
    return JSONResponse(ANSWER)


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/v1/checks", check), Route("/healthz", healthz)])


def main() -> None:
    import uvicorn

    uvicorn.run("bare_app:app", **json.loads(sys.argv[1]))


if __name__ == "__main__":
    main()
