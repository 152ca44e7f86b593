"""demand's own tables (the only module of this service that defines database structure)."""
from sqlalchemy import JSON, Column, DateTime, Float, Index, Integer, MetaData, String, Table, inspect, text

metadata = MetaData()

incidents = Table(
    "incidents", metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("county", String(6), nullable=False, index=True),
    Column("type", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("report", JSON, nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
)

# The grade and requirement lines demand assessed for each incident (kept apart from the reported
# incident, whose stored form is exactly the `incident.reported` payload).
assessments = Table(
    "incident_assessments", metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("grade", String(4), nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("templates_version", String(64), nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("grading", JSON, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("assessed_at", DateTime(timezone=True), nullable=False),
)

# The reporting officer's changes to the template lines of an incident, with who made them and why.
overrides = Table(
    "requirement_overrides", metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("changes", JSON, nullable=False),
    Column("overridden_by", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("reason", String(1000)),
    Column("at", DateTime(timezone=True), nullable=False),
)

# The latest load report of each county (what it has free), from county.load-reported.
county_loads = Table(
    "county_loads", metadata,
    Column("county", String(6), primary_key=True),
    Column("report", JSON, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Support requests: at most one open request per incident (per echelon for a pre-positioned major
# event). A request that ended (withdrawn, cancelled, released) leaves room for a new one when the
# incident calls for support again.
requests = Table(
    "support_requests", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("incident_id", String(64), nullable=False, index=True),
    Column("echelon", String(64), nullable=False),  # "" for an incident's own request
    Column("county", String(6), nullable=False, index=True),
    Column("city", String(6), nullable=False, index=True),
    Column("grade", String(4), nullable=False),
    Column("severity", Integer, nullable=False),  # I → 4 ... IV → 1, for sorting
    Column("status", String(24), nullable=False, index=True),
    Column("approval_level", String(16), nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("launch_deadline", DateTime(timezone=True)),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("escalation_level", Integer, nullable=False, default=0),
    Column("escalated_stages", JSON, nullable=False),   # e.g. ["approval", "on_scene"]
    Column("next_check", DateTime(timezone=True), index=True),  # the next deadline to watch, if any
    Column("progress", JSON, nullable=False),           # officers committed, units ordered and arrived
    Column("request", JSON, nullable=False),            # the latest support.requested-shaped view
)

ENDED = ("released", "closed", "cancelled")  # a request in one of these no longer holds its incident's place
_open = requests.c.status.notin_(ENDED)
one_open_request = Index("one_open_request_per_incident_echelon", requests.c.incident_id, requests.c.echelon,
                         unique=True, sqlite_where=_open, postgresql_where=_open)

# Every status change of every request, in order (the same facts as support.status-changed).
transitions = Table(
    "request_transitions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("from_status", String(24), nullable=False),
    Column("to_status", String(24), nullable=False),
    Column("cause", String(80), nullable=False),
    Column("by", String(128)),
    Column("note", String(1000)),
    Column("at", DateTime(timezone=True), nullable=False),
)

# A major-event security task scheduled ahead (e.g. the Asian Games) and its echelons.
prepositions = Table(
    "prepositions", metadata,
    Column("preposition_id", String(64), primary_key=True),
    Column("incident_id", String(64), nullable=False),
    Column("county", String(6), nullable=False, index=True),
    Column("body", JSON, nullable=False),
    Column("scheduled_by", String(128), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

echelons = Table(
    "preposition_echelons", metadata,
    Column("preposition_id", String(64), primary_key=True),
    Column("echelon_id", String(64), primary_key=True),
    Column("due_at", DateTime(timezone=True), nullable=False, index=True),
    Column("request_id", String(64)),  # set when the echelon became a support request
    Column("body", JSON, nullable=False),
)


OLD_CONSTRAINT = "one_request_per_incident_echelon"


def upgrade(engine) -> bool:
    """Databases made before an incident could have a second request kept one request per incident and
    echelon for ever: that constraint gives way to `one_open_request`. True when something changed."""
    with engine.begin() as conn:
        found = inspect(conn)
        if not found.has_table(requests.name):
            return False
        if OLD_CONSTRAINT not in {c["name"] for c in found.get_unique_constraints(requests.name)}:
            return False
        if engine.dialect.name == "postgresql":
            conn.execute(text(f'ALTER TABLE {requests.name} DROP CONSTRAINT IF EXISTS "{OLD_CONSTRAINT}"'))
            one_open_request.create(conn, checkfirst=True)
            return True
        # SQLite drops no constraint: the table is built again and its rows copied over
        indexes = [index["name"] for index in found.get_indexes(requests.name)]
        conn.execute(text(f"ALTER TABLE {requests.name} RENAME TO {requests.name}_old"))
        for name in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        requests.create(conn)
        cols = ", ".join(c.name for c in requests.columns)
        conn.execute(text(f"INSERT INTO {requests.name} ({cols}) SELECT {cols} FROM {requests.name}_old"))
        conn.execute(text(f"DROP TABLE {requests.name}_old"))
    return True

# Needs written as text: what demand proposed from the words (POST /needs/parse or an incident's needs).
needs_proposals = Table(
    "needs_proposals", metadata,
    Column("proposal_id", String(64), primary_key=True),
    Column("county", String(6), nullable=False, index=True),
    Column("incident_id", String(64), index=True),
    Column("text", String(4000), nullable=False),
    Column("model_version", String(128), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("proposed_by", String(128), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Every confirmation or edit of proposed lines: who, the lines as proposed and as confirmed, what changed.
# The matcher is retrained from these (python -m services.demand.needs retrain).
needs_feedback = Table(
    "needs_feedback", metadata,
    Column("feedback_id", String(64), primary_key=True),
    Column("proposal_id", String(64), nullable=False, index=True),
    Column("incident_id", String(64), nullable=False, index=True),
    Column("county", String(6), nullable=False),
    Column("text", String(4000), nullable=False),
    Column("model_version", String(128), nullable=False),
    Column("proposed", JSON, nullable=False),
    Column("confirmed", JSON, nullable=False),
    Column("changes", JSON, nullable=False),
    Column("confirmed_by", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Task points awarded to officers (points.awarded from resources): the cities' reciprocity balance of the
# performance report (the officer's home county gives, the request's county receives).
points_awards = Table(
    "points_awards", metadata,
    Column("officer_id", String(64), primary_key=True),
    Column("task_id", String(64), primary_key=True),
    Column("county", String(6)),
    Column("request_id", String(64), index=True),
    Column("points", Float, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)

# Every performance report generated (on demand or by the schedule) whose content differs from the one
# kept before for the same period and region: its SHA-256 makes a later change visible.
performance_reports = Table(
    "performance_reports", metadata,
    Column("report_id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(32), nullable=False, index=True),
    Column("region", String(6), nullable=False, index=True),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("trigger", String(16), nullable=False),        # on_demand | schedule
    Column("generated_by", String(128), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("complete", Integer, nullable=False),           # 1 when every source answered
    Column("body", JSON, nullable=False),
)
