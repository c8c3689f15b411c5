"""Who may do what: one permission table, read by the HTTP layer and printed in the docs.

Least privilege: a provider learns only a decision for its own actions, an agency writes only
its own source's records, a subject reads only itself, and nobody but an auditor reads the log.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SUBJECT = "subject"  # a person or organization acting for itself
    AGENCY = "agency"  # one authorized source
    PROVIDER = "provider"  # a service checking its allowed actions
    REVIEWER = "reviewer"
    ADMIN = "admin"
    AUDITOR = "auditor"


class Permission(StrEnum):
    RECORDS_WRITE = "records:write"  # report, fulfil, void (own source only)
    CHECKS = "checks"  # decisions for allowed actions only
    SCORES_READ = "scores:read"  # any subject's full standing
    SELF_READ = "self:read"  # one's own standing, records, access log, report
    SELF_WRITE = "self:write"  # one's own consent, disputes, repair requests, statements
    DISPUTES_READ = "disputes:read"  # agencies: disputes of their own records
    DISPUTES_DECIDE = "disputes:decide"
    PROPOSALS_DECIDE = "proposals:decide"
    REPAIRS_DECIDE = "repairs:decide"
    AUDIT_READ = "audit:read"
    LOG_PROOF = "log:proof"  # inclusion proofs: subjects of their own events, auditors of any
    SUBJECTS_WRITE = "subjects:write"  # a legal person's registered name, for public lists
    # Keys, rulebook versions and sources, on the admin's pages (the operator's CLI commands).
    ADMIN_MANAGE = "admin:manage"
    COMMITMENTS_WRITE = "commitments:write"  # register commitments, record payments (own source)
    COMMITMENTS_READ = "commitments:read"  # list commitments (agencies: their own source's)
    OFFICIALS_READ = "officials:read"  # an official's accountability report (about the office)
    COMPLAINTS_READ = "complaints:read"  # agencies: complaints their source kind supervises
    COMPLAINTS_DECIDE = "complaints:decide"  # counterparties' complaints about public bodies


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SUBJECT: frozenset({Permission.SELF_READ, Permission.SELF_WRITE, Permission.LOG_PROOF}),
    Role.AGENCY: frozenset(
        {
            Permission.RECORDS_WRITE,
            Permission.DISPUTES_READ,
            Permission.COMMITMENTS_WRITE,
            Permission.COMMITMENTS_READ,
            Permission.COMPLAINTS_READ,
        }
    ),
    Role.PROVIDER: frozenset({Permission.CHECKS}),
    Role.REVIEWER: frozenset(
        {
            Permission.SCORES_READ,
            Permission.DISPUTES_READ,
            Permission.DISPUTES_DECIDE,
            Permission.PROPOSALS_DECIDE,
            Permission.REPAIRS_DECIDE,
            Permission.COMMITMENTS_READ,
            Permission.OFFICIALS_READ,
            Permission.COMPLAINTS_READ,
            Permission.COMPLAINTS_DECIDE,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Permission.SCORES_READ,
            Permission.CHECKS,
            Permission.SUBJECTS_WRITE,
            Permission.ADMIN_MANAGE,
            Permission.COMMITMENTS_READ,
            Permission.OFFICIALS_READ,
        }
    ),
    Role.AUDITOR: frozenset({Permission.AUDIT_READ, Permission.LOG_PROOF}),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]
