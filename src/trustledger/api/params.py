"""Query parameters that several endpoints take, declared once so that they read the same in
every operation of the OpenAPI document."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

# How many items of a paged answer to skip (a 64-bit count: larger is a 422, not a 500).
Offset = Annotated[int, Query(ge=0, le=2**63 - 1)]
