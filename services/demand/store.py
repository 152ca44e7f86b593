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
