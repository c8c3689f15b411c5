"""HTML renderers: the same results as the JSON ones, for people (printable, no scripts)."""

from __future__ import annotations

from trustledger.services.due_process.access import SubjectAccess
from trustledger.templates import render
from trustledger.views import json


def subject_report(access: SubjectAccess) -> str:
    """The printable credit report: what `/v1/me` says, laid out for reading."""
    return render("web/report.html", r=json.subject_access(access))
