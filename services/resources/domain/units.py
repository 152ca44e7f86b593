"""Units: the kind of unit a module's officers serve in when nothing says otherwise.

A roster row that names a unit the pool does not hold adds it as a county unit of this kind (the
module most of its rows have); the demo force builds its county units the same way."""
from __future__ import annotations

# a module's everyday squad (defs.schema.json: module -> unit_kind); the named teams of the city
# pools and the province reserve (swat, forensic_team) are never a default
UNIT_KIND = {"patrol": "patrol_squad", "traffic": "traffic_squad", "riot_control": "riot_company",
             "investigation": "investigation_squad", "technical_support": "tech_team",
             "emergency_rescue": "rescue_team"}
