"""resources' own tables: the roster (the full library arrives with the resource-pool work)."""
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table

metadata = MetaData()

officers = Table(
    "officers", metadata,
    Column("officer_id", String(32), primary_key=True),
    Column("county", String(6), nullable=False, index=True),
    Column("module", String(32), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("duty_minutes_24h", Integer, nullable=False),
    Column("record", JSON, nullable=False),
)
