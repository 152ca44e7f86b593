"""demand's own tables (the only module of this service that defines database structure)."""
from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table

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
