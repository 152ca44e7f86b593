"""resources' tables and indexes, and the steps that bring an older database up to them at start-up.

Officers keep their searchable attributes in columns (county, city, module, status, position), tags /
certificate names as ';a;b;' text and each certificate as a row of `officer_certificates` (its name and
expiry), so every filter runs in SQL on both databases.
"""
from sqlalchemy import JSON, Boolean, Column, Float, Index, Integer, MetaData, String, Table, UniqueConstraint

from ...common.observed import observed_table
from ...common.sealing import SealedJSON
from ...common.storage import UtcDateTime
from ..domain.masking import PERSONAL_FIELDS

metadata = MetaData()

regions = Table(
    "regions", metadata,
    Column("code", String(6), primary_key=True),
    Column("level", String(8), nullable=False),          # province | city | county
    Column("name", String(64), nullable=False),
    Column("parent", String(6), index=True),
)

# One row per county: its settings, and the row a commit locks to serialise its reserve checks.
counties = Table(
    "counties", metadata,
    Column("county", String(6), primary_key=True),
    Column("city", String(6), nullable=False, index=True),
    Column("reserve_share", Float),                       # NULL: the service default (70%)
    Column("accepts", JSON, nullable=False),              # interface standards its systems accept
    Column("legacy", Boolean, nullable=False, default=False),
)

officers = Table(
    "officers", metadata,
    Column("officer_id", String(64), primary_key=True),
    Column("county", String(6), nullable=False),
    Column("city", String(6), nullable=False, index=True),
    Column("unit_id", String(64), nullable=False, index=True),
    Column("module", String(32), nullable=False, index=True),
    Column("role_class", String(16), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("status_since", UtcDateTime(), nullable=False),
    Column("rest_until", UtcDateTime()),
    Column("duty_minutes_24h", Integer, nullable=False),
    Column("duty_window_start", UtcDateTime()),
    Column("points_balance", Float, nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("station_id", String(64)),                     # the police station the officer works from
    Column("station_lon", Float),                         # its point (WGS84); NULL: not known (the seat)
    Column("station_lat", Float),
    Column("tags_text", String(512), nullable=False),     # ';cyber_investigation;negotiation;'
    Column("cert_text", String(512), nullable=False),     # ';e_forensics;'
    Column("certifications", JSON, nullable=False),       # [{name, issued, expires}]
    Column("equipment_ids", JSON, nullable=False),
    # name, gender, rank, phone, home_address, id_number, ...: the ID number, address and phone sealed
    # (AES-GCM under the deployment's personal-data key, services/common/sealing.py)
    Column("personal", SealedJSON(PERSONAL_FIELDS), nullable=False),
    Column("commit_id", String(64), index=True),          # the task the officer is committed to
    Column("task_unit", String(64), index=True),          # the dispatched unit the officer moves with
    # Covering indexes: the search by module and status, and the county counts (loads, reserve checks)
    # and searches within counties, read the index alone, never the wide rows. County counts group
    # by county, status and module: the load index's order, so they need no sort. The search index
    # has the longitude next: a travel-bounded search reads only the band of its box's longitudes
    # (one range per status), not every officer of the module.
    Index("ix_officers_near", "module", "status", "lon", "lat", "rest_until", "officer_id", "county"),
    Index("ix_officers_load", "county", "status", "module", "rest_until", "tags_text", "cert_text",
          "officer_id", "lon", "lat"),
)
# ix_officers_load begins with the first one's columns; ix_officers_near has the second one's, the
# longitude before the rest
REPLACED_INDEXES = ("ix_officers_county_status_module", "ix_officers_search")

units = Table(
    "units", metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("county", String(6), nullable=False, index=True),
    Column("city", String(6), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("level", String(8), nullable=False),
    Column("module", String(32), nullable=False),
    Column("name", String(64)),   # as the force writes it (平湖市公安局交警大队二中队); null: the roster gave none
    Column("name_en", String(160)),   # the same in English (Pinghu City PSB, Traffic Police Brigade, Squadron 2)
)

unit_positions = Table(  # the time of the last position applied per unit: an older report changes nothing
    "unit_positions", metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
)

equipment = Table(
    "equipment", metadata,
    Column("equipment_id", String(64), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("interface_standard", String(32)),
    Column("readiness", String(16), nullable=False),
    Column("owner_unit", String(64), nullable=False, index=True),
    Column("county", String(6), nullable=False, index=True),
)

commitments = Table(
    "commitments", metadata,
    Column("commit_id", String(64), primary_key=True),
    Column("plan_id", String(64), nullable=False, unique=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("incident_id", String(64)),
    Column("county", String(6), nullable=False),          # the receiving county
    Column("grade", String(3), nullable=False),
    Column("risk", Integer),
    Column("task_start", UtcDateTime(), nullable=False),
    Column("task_end", UtcDateTime(), nullable=False),
    Column("officer_ids", JSON, nullable=False),
    Column("status", String(16), nullable=False),         # committed | released
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_commitments_county", "county"),
    Index("ix_commitments_at", "at", "commit_id"),        # the lists' order: latest first
)

# Each commitment's officers with their home counties when committed, written with the commitment: a
# region's commitments (those it receives, those it sends officers to) are found, counted and paged by
# the database. An officer's row points at a commitment only while it is in force, and `officer_ids`
# is a JSON list no index can search.
commitment_officers = Table(
    "commitment_officers", metadata,
    Column("commit_id", String(64), primary_key=True),
    Column("officer_id", String(64), primary_key=True),
    Column("county", String(6), nullable=False),          # the officer's home county
    Index("ix_commitment_officers_county", "county", "commit_id"),
)

# Each officer's certificates, one row per certificate, written with the officer's `certifications`
# (store.roster.certificate_rows): a certification search asks the database for holders valid on a day
# (by officer and name, from the key) rather than reading every holder's JSON list.
officer_certificates = Table(
    "officer_certificates", metadata,
    Column("officer_id", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("expires", String(10), primary_key=True),     # YYYY-MM-DD: compared as text, in date order
)

points_ledger = Table(
    "points_ledger", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("officer_id", String(64), nullable=False, index=True),
    Column("task_id", String(64), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("county", String(6), nullable=False),          # the officer's home county
    Column("city", String(6), nullable=False),
    Column("receiving_county", String(6)),
    Column("receiving_city", String(6)),
    Column("points", Float, nullable=False),
    Column("difficulty", Integer, nullable=False),
    Column("risk", Integer, nullable=False),
    Column("duration_h", Float, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    UniqueConstraint("officer_id", "task_id", name="uq_points_officer_task"),
)

observed = observed_table(metadata)  # incidents heard of (GET /incidents/observed, pre-positioning's demand)


def seal_plain_personal(engine) -> int:
    """Rows written before personal fields were sealed are sealed now (once: a sealed row is skipped)."""
    import json

    from sqlalchemy import Text, bindparam, cast, select, update

    raw = cast(officers.c.personal, Text)
    with engine.connect() as conn:
        rows = conn.execute(select(officers.c.officer_id, raw).where(~raw.contains("enc:v1:"))).all()
    rows = [(oid, json.loads(text)) for oid, text in rows]
    rows = [(oid, p) for oid, p in rows if any(isinstance(p.get(k), str) for k in PERSONAL_FIELDS)]
    if rows:
        stmt = update(officers).where(officers.c.officer_id == bindparam("b_id")).values(personal=bindparam("b_p"))
        with engine.begin() as conn:
            conn.execute(stmt, [{"b_id": oid, "b_p": p} for oid, p in rows])
    return len(rows)


def fill_commitment_officers(engine) -> int:
    """Commitments made before `commitment_officers` was kept get their rows, each officer's home county
    read from the roster (an officer no longer in it is left out, as the roster no longer places them).
    Returns how many commitments were filled. Two instances starting together may both try: the one
    whose rows clash finds them written by the other."""
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from .commit import insert_officer_homes

    with engine.connect() as conn:
        missing = conn.execute(select(commitments.c.commit_id, commitments.c.officer_ids).where(
            commitments.c.commit_id.not_in(select(commitment_officers.c.commit_id)))).all()
    if not missing:
        return 0
    try:
        with engine.begin() as conn:
            return insert_officer_homes(conn, [tuple(m) for m in missing])
    except IntegrityError:
        return 0


def fill_officer_certificates(engine) -> int:
    """Officers imported before `officer_certificates` was kept get their rows, from each one's
    `certifications` (once: any row there means every write since kept it). Returns how many rows were
    written. Two instances starting together may both try: the one whose rows clash finds them written."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import IntegrityError

    from .roster import certificate_rows

    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(officer_certificates)).scalar_one():
            return 0
        held = conn.execute(select(officers.c.officer_id, officers.c.certifications)
                            .where(officers.c.cert_text != "")).all()
    rows = certificate_rows([{"officer_id": o, "certifications": c} for o, c in held])
    if not rows:
        return 0
    try:
        with engine.begin() as conn:
            for i in range(0, len(rows), 5000):
                conn.execute(officer_certificates.insert(), rows[i:i + 5000])
    except IntegrityError:
        return 0
    return len(rows)


def drop_replaced_indexes(engine) -> None:
    """Indexes a newer one made redundant go, so writes no longer keep them up to date."""
    from sqlalchemy import text

    with engine.begin() as conn:
        for name in REPLACED_INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))


def replace_legacy_roster(engine) -> bool:
    """The first shell of this service kept a demo-only `officers` table of another shape; it holds
    nothing the demo seed cannot regenerate, so it is dropped and the full library created."""
    from sqlalchemy import inspect

    columns = {c["name"] for c in inspect(engine).get_columns("officers")} if inspect(engine).has_table("officers") else set()
    if not columns or "status_since" in columns:
        return False
    officers.drop(engine)
    metadata.create_all(engine)
    return True


def count_rows(conn, table: Table) -> int:
    """How many rows `table` holds (bootstrap loads reference data and the demo force into empty ones)."""
    from sqlalchemy import func, select

    return conn.execute(select(func.count()).select_from(table)).scalar_one()
