"""What a page says where the signed-in role is not shown something at all.

A role the permission table never lets read a part of the snapshot (twin.ui.visibility) would see that
part empty: no incidents, no support requests, every county at zero. An empty table or a zero reads as
"nothing there", which is false, so the pages say instead that the role is not shown it, and which roles
are. A role that may read a part in its own region only, and finds nothing there, sees it empty: that
is true.
"""
from __future__ import annotations

from services.common.auth import Identity
from twin.ui import visibility
from twin.ui.messages import DEFAULT_LANGUAGE, role_name, text

WHAT = {
    visibility.INCIDENTS: "what_incidents",
    visibility.REQUESTS: "what_requests",
    visibility.PLANS: "what_plans",
    visibility.COUNTY_LOADS: "what_county_loads",
    visibility.PERFORMANCE_REPORT: "what_report",
}


def note(identity: Identity | None, rule: tuple[str, str], lang: str = DEFAULT_LANGUAGE) -> str | None:
    """None when `identity` may read through `rule` somewhere; else the sentence naming its role, what it
    is not shown and the roles that may read it, in the page's language."""
    if visibility.may_read_anywhere(identity, rule):
        return None
    if identity is None:  # no one signed in (the pages send them to sign in first): no role to name
        return text("signin_again", lang)
    separator = ", " if lang == "en" else "、"
    return text("withheld", lang, role=role_name(identity.role, lang), what=text(WHAT[rule], lang),
                readers=separator.join(role_name(r, lang) for r in visibility.readers(rule)))
