"""Needs written as text: proposed lines stored, and a reporter's confirmation turned into line changes.

``propose`` parses the text with the matcher in force and keeps the proposal (who asked, the model
version, the lines). ``confirm`` records a confirmation or edit (who, the lines as proposed and as
confirmed, what changed) and returns the changes to the incident's template lines that the confirmed
lines make: a confirmed line refines the template line of its module whose tags it holds (its headcount,
its extra tags, certificates and equipment added to the template's), or is added as a line of its own.
Plain functions that take a connection, never open a transaction; the SQL is store.py's.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from ..common.clock import stamp
from . import needs, store
from .needs.clauses import MAX_CHARS
from .needs.feedback import changes


def propose(conn, county: str, text: str, *, by: str, now: datetime, incident_id: str | None = None) -> dict:
    parser = needs.current()
    lines = [line.as_dict() for line in parser.parse(text)]
    proposal = {"proposal_id": f"NP-{uuid.uuid4().hex[:12].upper()}", "county": county, "text": text,
                "model_version": parser.version, "lines": lines, "proposed_at": stamp(now)}
    if len(text) > MAX_CHARS:
        proposal["note"] = f"only the first {MAX_CHARS} characters were read"
    store.insert_proposal(conn, proposal, incident_id=incident_id, by=by, at=now)
    if incident_id:
        proposal["incident_id"] = incident_id
    return proposal


def _proposal(row) -> dict | None:
    if row is None:
        return None
    return {"proposal_id": row.proposal_id, "county": row.county, "incident_id": row.incident_id, "text": row.text,
            "model_version": row.model_version, "lines": row.lines}


def confirm(conn, incident: dict, body: dict, template: list[dict], identity, now: datetime) -> tuple[list, dict]:
    """Record the reporter's confirmation; (changes to the template lines, the recorded feedback).

    The proposal is the stored one the body names (same county), else the text parsed now.
    Raises ValueError naming the field when the proposal is unknown or belongs to another county.
    """
    county = incident["location"]["county"]
    proposal = _proposal(store.proposal(conn, body["proposal_id"])) if body.get("proposal_id") else None
    if body.get("proposal_id") and (proposal is None or proposal["county"] != county
                                    or proposal["incident_id"] not in (None, incident["incident_id"])):
        raise ValueError(f"needs.proposal_id: no proposal {body['proposal_id']} for county {county}"
                         + ("" if proposal is None or proposal["county"] != county
                            else f" and incident {incident['incident_id']}"))
    if proposal is None and body.get("text") is None:
        proposal = _proposal(store.latest_proposal(conn, incident["incident_id"]))  # from the report's words
        if proposal is None:
            raise ValueError(f"needs.proposal_id: incident {incident['incident_id']} has no proposal: "
                             "give the text or a proposal_id")
    if proposal is None:
        proposal = propose(conn, county, body["text"], by=identity.subject, now=now,
                           incident_id=incident["incident_id"])
    text = body.get("text") or proposal["text"]
    confirmed = body["confirmed_lines"]
    change = changes(proposal["lines"], confirmed)
    record = {"feedback_id": f"NF-{uuid.uuid4().hex[:12].upper()}", "proposal_id": proposal["proposal_id"],
              "model_version": proposal["model_version"], "changes": change, "confirmed_by": identity.subject,
              "role": identity.role, "at": stamp(now)}
    store.insert_feedback(
        conn, feedback_id=record["feedback_id"], proposal_id=proposal["proposal_id"],
        incident_id=incident["incident_id"], county=county, text=text[:4000],
        model_version=proposal["model_version"], proposed=proposal["lines"], confirmed=confirmed, changes=change,
        confirmed_by=identity.subject, role=identity.role, at=now)
    return line_changes(template, confirmed), record


def line_changes(template: list[dict], confirmed: list[dict]) -> list[dict]:
    """Overrides (domain/overrides.py) that put the confirmed lines into the template's."""
    free = {line["line_id"]: line for line in template}
    out = []
    for line in confirmed:
        fits = [t for t in free.values() if t["module"] == line["module"] and set(t["tags"]) <= set(line["tags"])]
        if fits:
            t = max(fits, key=lambda t: (len(set(t["tags"]) & set(line["tags"])), -len(t["tags"])))
            free.pop(t["line_id"])
            out.append({"line_id": t["line_id"], "tags": sorted(line["tags"]), "headcount": line["headcount"],
                        "certifications": sorted(set(t["certifications"]) | set(line["certifications"])),
                        "equipment": sorted(set(t["equipment"]) | set(line["equipment"]))})
        else:
            lid = line["line_id"] if line["line_id"] not in {t["line_id"] for t in template} else f"needs-{line['line_id']}"
            out.append({"line_id": lid, "module": line["module"], "tags": sorted(line["tags"]),
                        "certifications": sorted(line["certifications"]), "equipment": sorted(line["equipment"]),
                        "headcount": line["headcount"]})
    return out
