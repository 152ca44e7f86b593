"""resources' tables and its SQL: the only package of this service that defines database structure or
writes a query (the support circle's own rota table and reads are readiness/store.py's). Plain
functions of a connection; the callers hold the transaction. By topic:

- schema.py: the tables and indexes, and the steps that bring an older database up to them;
- search.py: officers: the availability search (filters, the travel box, a page cut and counted by the
  database) and reads by id;
- commit.py: the locks and writes of a commit, of a task's dispatch, positions and release, and of a
  hand edit;
- loads.py: counties: their rows and settings, and the counts behind each county's load;
- roster.py: filling the pool (the demo force, roster imports);
- listings.py: the reads behind the listings and summaries (regions, units, equipment, commitments,
  points, the force's figures).

Callers use the names below, `store.county_counts(conn, ...)`, not the modules.
"""
from .commit import (
    COMMIT_COLUMNS,
    commitment,
    insert_commitment,
    insert_points,
    lock_counties,
    lock_for_commit,
    lock_officers,
    move_unit,
    newer_position,
    set_commitment_status,
    update_each,
    update_officers,
)
from .listings import (
    COMMITMENTS_ORDER,
    city_flows,
    commitment_rows,
    equipment_items,
    force_counts,
    ledger,
    points_by,
    region_rows,
    status_counts,
    unit_rows,
)
from .loads import (
    STRENGTH,
    county_counts,
    county_rows,
    qualified_counts,
    received_by_county,
    set_reserve_share,
    set_standards,
)
from .roster import (
    CHUNK,
    PERSONAL,
    certificate_rows,
    insert_counties,
    insert_equipment,
    insert_officers,
    insert_regions,
    insert_rows,
    insert_units,
    joined,
    officer_values,
    replace_certificates,
    units_by_id,
    update_roster_fields,
    update_units,
)
from .schema import (
    REPLACED_INDEXES,
    commitment_officers,
    commitments,
    count_rows,
    counties,
    drop_replaced_indexes,
    equipment,
    fill_commitment_officers,
    fill_officer_certificates,
    metadata,
    observed,
    officer_certificates,
    officers,
    points_ledger,
    regions,
    replace_legacy_roster,
    seal_plain_personal,
    unit_positions,
    units,
)
from .search import (
    available_clause,
    candidate_count,
    candidate_page,
    candidate_positions,
    commanding_counties,
    commanding_county,
    duty_now,
    officer,
    officer_counties,
    officer_county,
    officers_by_id,
    search_filters,
    status_clause,
)

__all__ = [
    # schema
    "metadata", "regions", "counties", "officers", "units", "unit_positions", "equipment", "commitments",
    "commitment_officers", "points_ledger", "observed", "REPLACED_INDEXES", "seal_plain_personal",
    "drop_replaced_indexes", "fill_commitment_officers", "officer_certificates", "fill_officer_certificates",
    "replace_legacy_roster", "count_rows",
    # search
    "available_clause", "status_clause", "search_filters", "candidate_positions", "candidate_count", "candidate_page", "officers_by_id",
    "officer_counties", "officer", "officer_county", "commanding_county",
    "commanding_counties", "duty_now",
    # commit
    "lock_officers", "COMMIT_COLUMNS", "lock_for_commit", "lock_counties", "commitment", "update_officers",
    "update_each", "insert_commitment", "set_commitment_status", "insert_points", "newer_position", "move_unit",
    # loads
    "STRENGTH", "county_rows", "county_counts", "qualified_counts", "received_by_county", "set_reserve_share",
    "set_standards",
    # roster
    "PERSONAL", "CHUNK", "officer_values", "joined", "insert_rows", "insert_regions", "insert_counties",
    "insert_officers", "insert_units", "units_by_id", "update_units", "insert_equipment", "update_roster_fields",
    "certificate_rows", "replace_certificates",
    # listings
    "region_rows", "unit_rows", "equipment_items", "COMMITMENTS_ORDER", "commitment_rows", "points_by", "ledger",
    "city_flows", "status_counts", "force_counts",
]
