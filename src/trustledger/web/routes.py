"""The pages, one router: mounted by the application beside the JSON API."""

from __future__ import annotations

from fastapi import APIRouter

from trustledger.web import account, admin, agency, me, public, review

router = APIRouter(include_in_schema=False)
for module in (public, account, me, review, agency, admin):
    router.include_router(module.router)
