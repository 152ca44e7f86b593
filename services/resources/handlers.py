"""resources' event handlers: plain functions of the worker's context, routed by one dict."""
from __future__ import annotations

import functools
from datetime import datetime

from ..common import clock
from ..common.observed import observe_handler
from . import commit, tasks
from .domain.policy import Policy
from .store import observed


def _policy(ctx) -> Policy:
    """The service's policy (runtime.deps); a context handed no dependencies reads the policy file once."""
    return ctx.deps.policy if ctx.deps is not None else _default_policy()


@functools.cache
def _default_policy() -> Policy:
    return Policy.from_env()


def _now() -> datetime:
    return clock.now()


def on_plan_approved(ctx) -> None:
    """An approved plan: commit all its officers, or publish why not (matching re-plans)."""
    commit.commit_plan(ctx.tx, ctx.data, _policy(ctx), _now())


def on_dispatch_ordered(ctx) -> None:
    tasks.dispatch(ctx.tx, ctx.data, _now())


def on_position_reported(ctx) -> None:
    tasks.report_position(ctx.tx, ctx.data)


def on_deployment_released(ctx) -> None:
    tasks.release(ctx.tx, ctx.data, _policy(ctx), _now())


HANDLERS = {
    "incident.reported": observe_handler(observed),
    "plan.approved": on_plan_approved,
    "dispatch.ordered": on_dispatch_ordered,
    "unit.position-reported": on_position_reported,
    "deployment.released": on_deployment_released,
}
