"""Does an item of equipment work with the receiving county's systems?

An item without a data link (no interface standard) always works; otherwise its standard must be
one the county accepts. Readiness is reported beside it: a compatible item in maintenance is
still not one to send.
"""
from __future__ import annotations


def check(item: dict, accepts: list[str] | tuple[str, ...]) -> dict:
    standard = item.get("interface_standard")
    compatible = standard is None or standard in accepts
    if standard is None:
        reason = "no data link: works anywhere"
    elif compatible:
        reason = f"{standard} is accepted"
    else:
        reason = f"{standard} is not accepted (accepts {', '.join(accepts)})"
    return {"equipment_id": item["equipment_id"], "type": item["type"], "interface_standard": standard,
            "readiness": item["readiness"], "compatible": compatible,
            "usable": compatible and item["readiness"] == "ready", "reason": reason}


def rate(results: list[dict]) -> float:
    return round(sum(r["compatible"] for r in results) / len(results), 4) if results else 1.0
