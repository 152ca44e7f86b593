"""demand's own tables (the only module of this service that defines database structure)."""
from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, UniqueConstraint

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

# One support request per incident (per echelon for a pre-positioned major event).
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
    UniqueConstraint("incident_id", "echelon", name="one_request_per_incident_echelon"),
)

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
