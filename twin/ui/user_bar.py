"""The bar at the top of every twin page: who is signed in, DEMO in demo mode, sign-out, the other page,
and the API documentation of the services the user's role works with (twin.ui.docs_links)."""
from __future__ import annotations

from dash import html

from twin.ui import docs_links, ids
from twin.ui.messages import role_name, text
from twin.ui.signin import SIGNOUT, SignedIn


def user_bar(user: SignedIn | None, lang: str, demo: bool, *, other: tuple[str, str]) -> html.Div:
    """`other` = (message key, path) of the page to link to (the map or the exercise page)."""
    who = (f"{user.name or user.identity.subject} ({user.identity.subject}) · {role_name(user.identity.role, lang)}"
           f" · {user.identity.region}") if user else "—"
    badge = [html.Span(text("demo_badge", lang), id=ids.DEMO_BADGE,
                       style={"background": "#c60", "color": "white", "padding": "1px 6px"})] if demo else []
    label, path = other
    return html.Div(style={"display": "flex", "flexWrap": "wrap", "columnGap": "12px", "alignItems": "center",
                           "margin": "4px 0"}, children=[
        html.Span(text("signed_in_as", lang)), html.Strong(who, id=ids.SIGNED_IN_AS), *badge,
        html.A(text("signout", lang), href=f"{SIGNOUT}?lang={lang}", id=ids.SIGNOUT),
        html.A(text(label, lang), href=f"{path}?lang={lang}", id=ids.EXERCISE_LINK),
        *api_docs(user, lang),
    ])


def api_docs(user: SignedIn | None, lang: str) -> list:
    links = docs_links.doc_links(user.identity.role) if user else []
    if not links:
        return []
    return [html.Span(id=ids.API_DOCS, style={"color": "#666"}, children=[
        text("api_docs", lang), " ",
        *[part for i, (name, url) in enumerate(links)
          for part in ([" · "] if i else []) + [html.A(name, href=url, target="_blank", rel="noopener")]],
    ])]
