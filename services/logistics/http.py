"""logistics' HTTP surface: orders and unit positions, deployments and their reception, indicators
and the after-action report, the province's switch over live positions. Each route is declared once
(services.common.api); the views are thin: the decisions are the use cases of dispatch.py,
instructions.py, positions.py, reception_flow.py, report.py and position_policy.py (they refuse with
Problem), the reads are store.py's (regions.py says which regions an object concerns), the JSON shapes
representations.py's."""
from __future__ import annotations

from functools import lru_cache

from flask import Response, jsonify, request

from ..common import observed, paging
from ..common.api import Api, current_deps
from ..common.auth import current_identity
from ..common.clock import now, parse_time
from ..common.http import Problem, endpoint_of, validated_body
from ..common.permissions import bound_region
from . import (
    access,
    audit,
    dispatch,
    instructions,
    position_policy,
    positions,
    reception_flow,
    regions,
    report,
    report_page,
    representations,
    store,
)
from .domain.indicators import DEFINITIONS

api = Api("logistics")


def _read():
    return current_deps().runtime.engine.connect()


# The routes where a unit acts on its own order: only the side that sent it acknowledges the order and
# reports where the unit is (the receiving county reads both, it does not act for another county's unit).
UNIT_ACTS = ("POST /orders/{order_id}/ack", "POST /units/{unit_id}/positions")


def _regions_by(lookup, acting=None):
    """A permission resolver: the regions an object concerns, read by `lookup(conn, id)` (regions.py);
    on the routes of UNIT_ACTS by `acting(conn, id)`, the unit's home county alone, when given."""
    def resolve(object_id: str):
        rule = request.url_rule
        chosen = acting if acting and rule and endpoint_of(request.method, rule.rule) in UNIT_ACTS else lookup
        with _read() as conn:
            return chosen(conn, object_id)
    return resolve


api.objects({"order_id": _regions_by(regions.of_order, regions.home_of_order),
             "unit_id": _regions_by(regions.of_unit, regions.home_of_unit),
             "deployment_id": _regions_by(regions.of_deployment), "incident_id": _regions_by(regions.of_incident)})


observed.declare_route(api, store.observed)


# ---- orders and positions ----

MAX_REQUESTS_ASKED = 200  # request ids one GET /orders may name (a board's open requests on a bad day)


@api.route("GET", "/orders", "Dispatch orders and their state (?request_id=, repeated for several requests; "
           "?deployment_id=, ?late=true), oldest order first (in pages: ?limit=, ?offset= or ?after=)",
           query={"request_id": "only these requests' orders, repeated for several (at most 200)",
                  "deployment_id": "only this deployment's orders", "late": "true: only the orders running late"},
           response="dispatch-orders", paged=500)
def list_orders():
    bound = bound_region()
    request_ids = [r for r in request.args.getlist("request_id") if r]
    if len(request_ids) > MAX_REQUESTS_ASKED:
        raise Problem.of_field(400, "Bad query parameter", "request_id",
                               f"at most {MAX_REQUESTS_ASKED} request ids in one read, {len(request_ids)} given")
    if request.args.get("late") not in (None, "", "true", "false"):
        raise Problem.of_field(400, "Bad query parameter", "late", "true or false")
    limit, offset, after = paging.args(store.ORDERS_ORDER)
    with _read() as conn:
        rows, total = store.orders_page(conn, region=bound, request_ids=request_ids or None,
                                        deployment_id=request.args.get("deployment_id"),
                                        late=request.args.get("late") == "true", limit=limit + 1, offset=offset,
                                        after=after)
    return paging.answer(rows, total, limit, store.ORDERS_ORDER, representations.order)


@api.route("GET", "/orders/{order_id}", "One order: acknowledgement, re-sends, ETA, lateness, arrival",
           response="dispatch-order")
def get_order(order_id: str):
    with _read() as conn:
        return jsonify(representations.order(dispatch.load_order(conn, order_id)))


@api.route("POST", "/orders/{order_id}/ack", "A support unit acknowledges its order", body="order-ack",
           response="dispatch-order")
def ack(order_id: str):
    identity = current_identity()
    access.require_unit(identity, "acknowledge an order")
    body = validated_body("order-ack")
    row = dispatch.acknowledge_as(current_deps().runtime.outbox, order_id, body["unit_id"],
                                  body.get("acknowledged_by") or identity.subject)
    return jsonify(representations.order(row))


@api.route("POST", "/orders/{order_id}/instructions", "The receiving command instructs a unit within its scope; "
           "anyone else (403) or outside the scope (422) is refused and recorded", body="instruction", status=201,
           response="instruction-recorded")
def instruct(order_id: str):
    identity, body = current_identity(), validated_body("instruction")
    return jsonify(instructions.instruct_as(current_deps().runtime.outbox, order_id, identity, body, now())), 201


@api.route("POST", "/orders/{order_id}/equipment-check", "The receiving side records how many of the unit's items "
           "its systems accepted", body="equipment-check", status=201, response="equipment-check-recorded")
def equipment_check(order_id: str):
    identity, body = current_identity(), validated_body("equipment-check")
    reception_flow.check_equipment_as(current_deps().runtime.outbox, order_id, identity, body, now())
    return jsonify({"order_id": order_id, **body}), 201


@api.route("POST", "/units/{unit_id}/positions", "A device reports its unit's position (published to "
           "unit.position-reported)", body="position-report", status=202, response="position-accepted")
def post_position(unit_id: str):
    access.require_unit(current_identity(), "report a unit's position")
    body, deps = validated_body("position-report"), current_deps()
    event = positions.report_as(deps.runtime.outbox, unit_id, body, deps.policy)
    if event is None:
        return jsonify({"accepted": False, "reason": "older than the report already applied"}), 200
    return jsonify({"accepted": True, "event_id": event["id"]}), 202


@api.route("GET", "/units/{unit_id}/position", "A unit's position, route progress and ETA (core data: the province "
           "command; the receiving command during the task only when the province turned that on, "
           "GET /policy/positions); every read is on the access log", response="unit-position")
def get_position(unit_id: str):
    identity = current_identity()
    with _read() as conn:
        row = positions.read_as(conn, unit_id, identity, current_deps().policy)
    return jsonify(representations.position(row))


# ---- deployments and their reception ----

def _deployment(conn, dep: dict) -> dict:
    wages = store.wages_of(conn, [dep["plan_id"]]).get(dep["plan_id"])
    return representations.deployment(dep, current_deps().policy, wages)


@api.route("GET", "/deployments", "Deployments and their reception (?request_id=, ?incident_id=), oldest first "
           "(in pages: ?limit=, ?offset= or ?after=)",
           query={"request_id": "only this request's deployments", "incident_id": "only this incident's deployments"},
           response="deployments", paged=500)
def list_deployments():
    limit, offset, after = paging.args(store.DEPLOYMENTS_ORDER)
    bound = bound_region()
    with _read() as conn:   # a region-bound caller: the deployments received in its region or with a unit from it
        rows, total = store.deployments_page(conn, region=bound, request_id=request.args.get("request_id"),
                                             incident_id=request.args.get("incident_id"), limit=limit + 1,
                                             offset=offset, after=after)
        wages = store.wages_of(conn, [r["plan_id"] for r in rows[:limit]])
    policy = current_deps().policy
    return paging.answer(rows, total, limit, store.DEPLOYMENTS_ORDER,
                         lambda r: representations.deployment(r, policy, wages.get(r["plan_id"])))


@api.route("GET", "/deployments/{deployment_id}", "One deployment: arrangements, flags, allowance, extension",
           response="deployment")
def get_deployment(deployment_id: str):
    with _read() as conn:
        return jsonify(_deployment(conn, reception_flow.load(conn, deployment_id)))


@api.route("POST", "/deployments/{deployment_id}/arrangements", "The receiving side records lodging, meals, "
           "transport and medic (lodging within the county's capacity)", body="arrangements", response="deployment")
def arrange(deployment_id: str):
    identity, body, deps = current_identity(), validated_body("arrangements"), current_deps()
    dep = reception_flow.arrange_as(deps.runtime.outbox, deployment_id, identity, body, deps.policy, now())
    with _read() as conn:
        return jsonify(_deployment(conn, dep))


@api.route("POST", "/deployments/{deployment_id}/release", "The receiving command releases the deployment",
           body="release", response="deployment-released")
def release(deployment_id: str):
    identity, body, deps = current_identity(), validated_body("release"), current_deps()
    return jsonify(reception_flow.release_as(deps.runtime.outbox, deployment_id, identity,
                                             body.get("outcome", "completed"), deps.policy, now()))


@api.route("POST", "/deployments/{deployment_id}/extension", "The receiving command requests an extension",
           body="extension-request", status=202, response="extension-pending")
def request_extension(deployment_id: str):
    identity, body = current_identity(), validated_body("extension-request")
    deps = current_deps()
    pending = reception_flow.request_extension_as(deps.runtime.outbox, deployment_id, identity, body, now(), deps.policy)
    return jsonify(pending), 202


@api.route("POST", "/deployments/{deployment_id}/extension/approve", "A commander of the request's approval level "
           "approves the pending extension", body="extension-approval", response="deployment-extended")
def approve_extension(deployment_id: str):
    identity = current_identity()
    validated_body("extension-approval")
    return jsonify(reception_flow.approve_extension_as(current_deps().runtime.outbox, deployment_id, identity, now()))


@api.route("POST", "/deployments/{deployment_id}/surveys", "A support officer or the receiving side rates the "
           "deployment 1-5", body="survey", status=201, response="survey-recorded")
def survey(deployment_id: str):
    identity, body = current_identity(), validated_body("survey")
    reception_flow.rate_as(current_deps().runtime.outbox, deployment_id, identity, body, now())
    return jsonify({"deployment_id": deployment_id, **body}), 201


# ---- indicators, the after-action report, the ledger check ----

def _filters() -> dict:
    f = {}
    for name in ("from", "to"):
        if request.args.get(name):
            try:
                f[name] = parse_time(request.args[name])
            except ValueError:
                raise Problem(400, "Bad query parameter",
                              [{"field": name, "reason": "an RFC 3339 timestamp"}]) from None
    for name, size in (("city", 6), ("county", 6)):
        value = request.args.get(name)
        if value:
            if not (len(value) == size and value.isdigit()):
                raise Problem(400, "Bad query parameter", [{"field": name, "reason": "a 6-digit region code"}])
            f[name] = value
    if "from" in f and "to" in f and f["to"] <= f["from"]:
        raise Problem(400, "Bad query parameter", [{"field": "to", "reason": "must be after from"}])
    if request.args.get("incident"):
        f["incident"] = request.args["incident"]
    return f


@api.route("GET", "/indicators", "The six indicators as the plan defines them, each with its definition "
           "(?from=&to=&city=&county=&incident=; ?by=city adds `by_city`, the same six for each city with "
           "anything recorded in scope, from one pass over the same rows): " + " ".join(
               f"{name.replace('_', ' ')}: {text}" for name, text in DEFINITIONS.items()), response="indicators",
           query={"from": "from this RFC 3339 time", "to": "up to this RFC 3339 time", "city": "a 6-digit city code",
                  "county": "a 6-digit county code", "incident": "one incident's id",
                  "by": "city: add the six for each city (by_city)"})
def get_indicators():
    f = _filters()
    by = request.args.get("by")
    if by not in (None, "", "city"):
        raise Problem(400, "Bad query parameter", [{"field": "by", "reason": "city (or leave it out)"}])
    with _read() as conn:
        return jsonify(report.indicators(conn, f, by_city=by == "city"))


@api.route("POST", "/incidents/{incident_id}/case-outcome", "The receiving command (or the province) records "
           "whether a case supported across regions was solved: the cross-region clearance counts it",
           body="case-outcome", response="case-outcome-recorded")
def post_case_outcome(incident_id: str):
    identity, body = current_identity(), validated_body("case-outcome")
    return jsonify(report.record_case_outcome_as(current_deps().runtime.outbox, incident_id, identity, body, now()))


@api.route("GET", "/incidents/{incident_id}/report", "After-action report: timeline, plans, deadlines, indicators",
           response="after-action-report")
def get_report(incident_id: str):
    with _read() as conn:
        return jsonify(report.load(conn, incident_id, current_deps().policy))


@api.route("GET", "/incidents/{incident_id}/report.html", "The after-action report as a page with a timeline chart",
           answers="text/html")
def get_report_page(incident_id: str):
    with _read() as conn:
        found = report.load(conn, incident_id, current_deps().policy)
    return Response(report_page.render(found), mimetype="text/html")


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs
    return get_plotlyjs()


@api.route("GET", "/static/plotly.min.js", "plotly.js, served locally (pages draw offline)",
           answers="application/javascript")
def plotly_js():
    return Response(_plotly_js(), mimetype="application/javascript", headers={"Cache-Control": "public, max-age=86400"})


@api.route("GET", "/audit/verify", "Verify every producer's hash chain on the broker; names the first broken record",
           response="chain-audit")
def verify():
    runtime = current_deps().runtime
    result = audit.verify_broker(runtime.bus)
    result["own_ledger"] = {"source": runtime.settings.source, "problems": runtime.outbox.verify()[:20]}
    return jsonify(result)


# ---- the province's switch over live positions ----

@api.route("GET", "/policy/positions", "Whether receiving commands see the live positions of the units sent to "
           "them (off by default: positions are core data for the province command), with every change",
           response="position-sharing")
def get_position_policy():
    with _read() as conn:
        return jsonify(position_policy.view(conn, current_deps().policy))


@api.route("PUT", "/policy/positions", "The province command turns the receiving commands' view of their own "
           "units on or off, with a reason; kept with who and when", body="position-policy", response="position-sharing")
def put_position_policy():
    identity, body, deps = current_identity(), validated_body("position-policy"), current_deps()
    return jsonify(position_policy.change_as(deps.runtime.outbox, body["receiving_command_sees_own_units"],
                                             body["reason"], identity, deps.policy, now()))
