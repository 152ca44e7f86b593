"""The bar across the top of the command map, the situation board and the exercise page (dash-bootstrap-components):
the title, the pages (and demand's performance report, for the roles the permission table lets read it),
the language, the alerts' bell, and under it who is signed in (twin.ui.user_bar) and the alerts' panel
the bell opens."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from twin.ui import alerts, exercise_page, ids, reception_page, visibility
from twin.ui.messages import LANGUAGES, text
from twin.ui.signin import SignedIn
from twin.ui.user_bar import user_bar

PAGES = (("map_page", "/", ids.MAP_LINK), ("board_page", "/board", ids.BOARD_LINK))
REPORT_PATH = "/reports/performance"  # twin.ui.app.install_report: demand's report of the current half-year


def navbar(user: SignedIn | None, lang: str, demo: bool, active: str, *,
           other: tuple[str, str] = ("exercise_page", exercise_page.PATH), live_alerts: bool = True) -> html.Div:
    """`active` is the path of the page shown ("/", "/board" or "/exercise"); `other` the page the user
    bar links to (twin.ui.user_bar). Without `live_alerts` (the exercise page, which is about an
    exercise, not the province's live situation) there is no bell and no alerts' panel."""
    links = [dbc.NavItem(dbc.NavLink(text(label, lang), href=f"{path}?lang={lang}", id=link_id,
                                     active=path == active)) for label, path, link_id in PAGES]
    if user is not None and reception_page.linked_for(user.identity.role):
        links.append(dbc.NavItem(dbc.NavLink(text("reception_page", lang), href=f"{reception_page.PATH}?lang={lang}",
                                             id=ids.RECEPTION_LINK)))
    if user is not None and visibility.may_read_anywhere(user.identity, visibility.PERFORMANCE_REPORT):
        links.append(dbc.NavItem(dbc.NavLink(text("report_page", lang), href=f"{REPORT_PATH}?lang={lang}",
                                             id=ids.REPORT_LINK, target="_blank")))
    languages = [html.A(name, href=f"?lang={code}", id=f"{ids.LANGUAGE}-{code}",
                        className="link-light ms-2" + (" fw-bold" if code == lang else " link-opacity-75"))
                 for code, name in LANGUAGES.items()]
    bar = dbc.Navbar(dbc.Container(fluid=True, children=[
        html.H1(text("title", lang), id=ids.TITLE, className="navbar-brand h5 mb-0 text-wrap"),
        dbc.Nav(links, navbar=True, className="me-auto"),
        html.Div(className="d-flex align-items-center gap-2",
                 children=[*([alerts.bell(lang)] if live_alerts else []), html.Span(languages)]),
    ]), color="dark", dark=True, className="py-1")
    return html.Div(children=[
        bar,
        dbc.Container(fluid=True, className="small border-bottom bg-body-tertiary",
                      children=user_bar(user, lang, demo, other=other)),
        *([dbc.Container(fluid=True, className="pt-2", children=alerts.panel(lang))] if live_alerts else []),
    ])
