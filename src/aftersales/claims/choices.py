"""The words a claim is made of: statuses, line kinds, reason codes, numbers. Pure: the
rules, the models and the screens all read them from here."""

from __future__ import annotations

import re
from enum import StrEnum


class ClaimStatus(StrEnum):
    # Where submission leaves a claim.
    AUTO_APPROVED = "auto_approved"
    AUTO_REJECTED = "auto_rejected"
    REVIEW = "review"
    # Where a reviewer moves it.
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    REJECTED = "rejected"


# Claims whose approved amount is owed to the partner (and so goes on a statement).
PAYABLE = frozenset(
    {ClaimStatus.AUTO_APPROVED, ClaimStatus.APPROVED, ClaimStatus.PARTIALLY_APPROVED}
)
# Claims a reviewer may still decide.
OPEN_FOR_REVIEW = frozenset({ClaimStatus.REVIEW, ClaimStatus.INFO_REQUESTED})


class LineKind(StrEnum):
    LABOUR = "labour"
    PART = "part"
    TRAVEL = "travel"
    DOA = "doa"
    OTHER = "other"


class ReasonCode(StrEnum):
    """Why a reviewer paid less than claimed on a line (partial approval) or nothing."""

    LABOUR_ABOVE_STANDARD = "labour_above_standard"
    PART_NOT_RETURNED = "part_not_returned"
    PART_NOT_FITTING = "part_not_fitting"
    PRICE_ABOVE_LIST = "price_above_list"
    NOT_COVERED = "not_covered"
    DUPLICATE = "duplicate"
    NO_EVIDENCE = "no_evidence"
    OTHER = "other"


class EventKind(StrEnum):
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    SCORED = "scored"
    INFO_REQUESTED = "info_requested"
    REPLIED = "replied"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    REJECTED = "rejected"
    ON_STATEMENT = "on_statement"
    CHARGED_BACK = "charged_back"
    AUDIT_SAMPLED = "audit_sampled"
    AUDITED = "audited"


class AuditReason(StrEnum):
    RISK = "risk"
    RANDOM = "random"


class AuditOutcome(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


_CLAIM = re.compile(r"^CLM-?0*(\d{1,12})$")
_STATEMENT = re.compile(r"^ST-?0*(\d{1,12})$")


def claim_number(pk: int) -> str:
    return f"CLM-{pk:07d}"


def parse_claim_number(number: str) -> int | None:
    match = _CLAIM.match((number or "").strip().upper())
    return int(match.group(1)) if match else None


def statement_number(pk: int) -> str:
    return f"ST-{pk:06d}"


def parse_statement_number(number: str) -> int | None:
    match = _STATEMENT.match((number or "").strip().upper())
    return int(match.group(1)) if match else None
