"""Needs written as text: proposed lines stored, and a reporter's confirmation turned into line changes.

``propose`` parses the text with the matcher in force and keeps the proposal (who asked, the model
version, the lines). ``confirm`` records a confirmation or edit (who, the lines as proposed and as
confirmed, what changed) and returns the changes to the incident's template lines that the confirmed
lines make: a confirmed line refines the template line of its module whose tags it holds (its headcount,
its extra tags, certificates and equipment added to the template's), or is added as a line of its own.
Plain functions that take a connection, never open a transaction.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select

from . import needs
from .needs.clauses import MAX_CHARS
from .needs.feedback import changes
from .store import needs_feedback, needs_proposals
from .times import stamp


def propose(conn, county: str, text: str, *, by: str, now: datetime, incident_id: str | None = None) -> dict:
    parser = needs.current()
    lines = [line.as_dict() for line in parser.parse(text)]
    proposal = {"proposal_id": f"NP-{uuid.uuid4().hex[:12].upper()}", "county": county, "text": text,
                "model_version": parser.version, "lines": lines, "proposed_at": stamp(now)}
    if len(text) > MAX_CHARS:
        proposal["note"] = f"only the first {MAX_CHARS} characters were read"
    conn.execute(insert(needs_proposals).values(
        proposal_id=proposal["proposal_id"], county=county, incident_id=incident_id, text=text[:4000],
        model_version=parser.version, lines=lines, proposed_by=by, at=now))
    if incident_id:
        proposal["incident_id"] = incident_id
    return proposal


def stored_proposal(conn, proposal_id: str) -> dict | None:
    row = conn.execute(select(needs_proposals).where(needs_proposals.c.proposal_id == proposal_id)).first()
    return None if row is None else _proposal(row)


def latest_proposal(conn, incident_id: str) -> dict | None:
    """The last proposal made from the words of the incident's report (POST /incidents with needs.text)."""
    row = conn.execute(select(needs_proposals).where(needs_proposals.c.incident_id == incident_id)
                       .order_by(needs_proposals.c.at.desc(), needs_proposals.c.proposal_id.desc())).first()
    return None if row is None else _proposal(row)


def _proposal(row) -> dict:
    return {"proposal_id": row.proposal_id, "county": row.county, "incident_id": row.incident_id, "text": row.text,
            "model_version": row.model_version, "lines": row.lines}


def confirm_later(tx, incident: dict, body: dict, identity, now: datetime) -> dict:
    """The reporter confirms or edits, after the report, the lines proposed from its words.

    The same effect as confirmed lines sent with the report: the confirmed lines refine or join the
    template's lines as overrides (the officer's own requirement_overrides stay; the lines of an
    earlier confirmation are replaced), the confirmation is recorded as feedback, and the incident's
    force gap is assessed again (an open request asks for the new shortfall, support.escalated; an
    incident without one gets a request if it now calls for one), timed from the confirmation.
    Raises ValueError (the proposal) or OverrideError (the lines).
    """
    from . import incidents, monitor, support
    from .domain import overrides as override_rules
    from .domain.gap import unreported
    conn, incident_id = tx.conn, incident["incident_id"]
    assessment = incidents.load_assessment(conn, incident_id)
    template = assessment.get("template_requirements") or assessment["requirements"]
    earlier = conn.execute(select(needs_feedback.c.confirmed).where(needs_feedback.c.incident_id == incident_id)
                           .order_by(needs_feedback.c.at.desc())).first()
    from_earlier = {c["line_id"] for c in line_changes(template, earlier.confirmed)} if earlier else set()
    own = [c for c in (assessment.get("overrides") or {}).get("changes", []) if c["line_id"] not in from_earlier]
    from_text, record = confirm(conn, incident, body, template, identity, now)
    override_rules.check(template, own + from_text, "confirmed_lines")
    confirmed_note = "lines confirmed from the reporter's words"
    reason = ((assessment.get("overrides") or {}).get("reason") or "") if own else ""
    reason = "; ".join(r for r in (reason.removesuffix(confirmed_note).removesuffix("; "), confirmed_note) if r)
    incidents.record_overrides(conn, incident_id, own + from_text, identity, reason, now)
    why = "the reporter confirmed the lines proposed from their words"
    row = support.open_request_of(conn, incident_id)
    if row is None:
        monitor.evaluate(tx, incident["location"]["county"], now)
    else:
        _, gaps, assessed = monitor.county_gaps(conn, incident["location"]["county"])
        view = assessed.get(incident_id) or incidents.load_assessment(conn, incident_id)
        support.escalate_growth(tx, row, incident, view, gaps.get(incident_id) or unreported(view["requirements"]),
                                now, why)
    return record


def confirm(conn, incident: dict, body: dict, template: list[dict], identity, now: datetime) -> tuple[list, dict]:
    """Record the reporter's confirmation; (changes to the template lines, the recorded feedback).

    The proposal is the stored one the body names (same county), else the text parsed now.
    Raises ValueError naming the field when the proposal is unknown or belongs to another county.
    """
    county = incident["location"]["county"]
    proposal = stored_proposal(conn, body["proposal_id"]) if body.get("proposal_id") else None
    if body.get("proposal_id") and (proposal is None or proposal["county"] != county
                                    or proposal["incident_id"] not in (None, incident["incident_id"])):
        raise ValueError(f"needs.proposal_id: no proposal {body['proposal_id']} for county {county}"
                         + ("" if proposal is None or proposal["county"] != county
                            else f" and incident {incident['incident_id']}"))
    if proposal is None and body.get("text") is None:
        proposal = latest_proposal(conn, incident["incident_id"])
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
    conn.execute(insert(needs_feedback).values(
        feedback_id=record["feedback_id"], proposal_id=proposal["proposal_id"], incident_id=incident["incident_id"],
        county=county, text=text[:4000], model_version=proposal["model_version"], proposed=proposal["lines"],
        confirmed=confirmed, changes=change, confirmed_by=identity.subject, role=identity.role, at=now))
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
