"""Live arrivals of a dispatched request in the plan panel, as logistics estimates them now.

The twin mirrors only logistics' verdicts (unit.late, unit.on-time, unit.arrived); each unit's expected
arrival (along its route, at its own pace so far) stays with logistics. The panel reads it from
`GET /orders?request_id=` with the signed-in user's own token, so logistics decides what they may see
(twin.mirror.client.ServicesClient.arrivals), and sums it up: units in place, on the way with the last
one expected at, expected late, not yet reporting; then by donor county, the latest first.
"""
from __future__ import annotations

from dash import html

from twin.ui.figures import BEIJING
from twin.ui.figures import instant as _instant
from twin.ui.messages import DEFAULT_LANGUAGE, text


def hm(iso: str | None) -> str:
    """Beijing time of day (HH:MM) of an instant; — for none."""
    return f"{_instant(iso).astimezone(BEIJING):%H:%M}" if iso else "—"


def summary(orders: list[dict]) -> dict | None:
    """The figures of the block, None for no order still to report on (none, or all released)."""
    live = [o for o in orders if o.get("status") != "released"]
    if not live:
        return None
    on_way = [o for o in live if not o.get("arrived_at")]
    timed = [o for o in on_way if o.get("eta")]  # logistics estimates from a unit's first position report
    latest = max(timed, key=lambda o: _instant(o["eta"]), default=None)
    return {"units": len(live), "arrived": len(live) - len(on_way), "on_way": len(on_way),
            "late": sum(1 for o in on_way if o.get("late")), "silent": len(on_way) - len(timed),
            "latest_eta": latest and latest["eta"], "deadline": min((o["deadline"] for o in live if o.get("deadline")),
                                                                     key=_instant, default=None)}


def by_county(orders: list[dict]) -> list[tuple[str, int, int, str | None, int]]:
    """(donor county, units, in place, latest expected arrival of those on the way, expected late), the
    latest first: `summary` of each donor county's orders."""
    groups: dict[str, list[dict]] = {}
    for o in orders:
        groups.setdefault(o.get("from_county") or "", []).append(o)
    rows = [(county, s["units"], s["arrived"], s["latest_eta"], s["late"])
            for county, s in ((county, summary(group)) for county, group in groups.items()) if s is not None]
    return sorted(rows, key=lambda r: (r[3] is None, -(_instant(r[3]).timestamp() if r[3] else 0), r[0]))


def block(orders: list[dict] | None, names: dict[str, str], lang: str = DEFAULT_LANGUAGE,
          speedup: float = 1.0) -> html.Div | None:
    """The panel's live-arrivals block, or None (nothing dispatched, or logistics did not answer).
    `speedup`: how much faster than the plan the demo's simulated devices drive (said when above 1, since
    the estimates then come that much earlier than the plan's)."""
    if orders is None:
        return None
    s = summary(orders)
    if s is None:
        return None
    parts = [text("arrivals_in_place", lang, arrived=s["arrived"], units=s["units"])]
    if s["on_way"]:
        if s["latest_eta"]:
            parts.append(text("arrivals_on_way", lang, n=s["on_way"], at=hm(s["latest_eta"]),
                              deadline=hm(s["deadline"])))
        else:
            parts.append(text("arrivals_on_way_untimed", lang, n=s["on_way"]))
    if s["late"]:
        parts.append(text("arrivals_late", lang, n=s["late"]))
    if s["silent"]:
        parts.append(text("arrivals_silent", lang, n=s["silent"]))
    lines = [text("arrivals_county", lang, county=names.get(c, c), units=n, arrived=a, at=hm(at),
                  late=(text("arrivals_county_late", lang, n=k) if k else ""))
             for c, n, a, at, k in by_county(orders)]
    style = {"color": "#b02a37", "fontWeight": "bold"} if s["late"] else {}
    sped_up = [html.Div(text("arrivals_sped_up", lang, x=f"{speedup:g}"), className="small text-body-secondary",
                        id="twin-arrivals-sped-up")] if speedup > 1 else []
    return html.Div([html.Div([html.B(text("arrivals_title", lang)), " ",
                               html.Span(text("arrivals_sep", lang).join(parts), style=style)]),
                     *sped_up,
                     html.Details([html.Summary(text("arrivals_by_county", lang)),
                                   html.Div("\n".join(lines), style={"whiteSpace": "pre-wrap"})])],
                    id="twin-arrivals", style={"marginBottom": "8px"})
