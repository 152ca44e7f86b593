"""Each service's API documentation at /docs: Swagger UI over the service's own /openapi.json.

Every script, style and icon is served by the service itself from the Swagger UI build that the
flask-swagger-ui wheel ships (no CDN), so the page works on a police network with no way out.
The page's Content-Security-Policy allows nothing but the service's own origin, and Swagger UI's
online validator badge is turned off: the browser makes no request outside the service.

/docs and /openapi.json are public (services/common/permissions.yaml): the description of an API
is not secret (it is contracts/ and the routes in the repository), and a browser following a link
cannot send a bearer token. Calling an operation from the page ("Try it out") still needs one:
the page's Authorize button takes it, and the permission table decides as for any other client.
"""
from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Flask, Response, abort, send_from_directory

PATH = "/docs"
ASSETS = Path(flask_swagger_ui.__file__).parent / "dist"
FILES = frozenset(("swagger-ui.css", "index.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png",
                   "LICENSE", "VERSION"))
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")

# Swagger UI started from a file (the policy forbids inline scripts); the document's URL comes from
# the page, so one script serves every service.
INIT_JS = """\
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
"""


def page(service: str) -> str:
    title = f"mutual-deploy {service}: API"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="{PATH}/assets/index.css">
  <link rel="stylesheet" href="{PATH}/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="{PATH}/assets/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui" data-url="/openapi.json"></div>
  <script src="{PATH}/assets/swagger-ui-bundle.js"></script>
  <script src="{PATH}/init.js"></script>
</body>
</html>
"""


def install(app: Flask, service: str) -> None:
    """GET /docs (the page), /docs/init.js and /docs/assets/<name> (Swagger UI's own files) on `app`."""
    html = page(service)

    @app.get(PATH)
    def api_docs():
        return _secured(Response(html, mimetype="text/html"))

    @app.get(f"{PATH}/init.js")
    def api_docs_init():
        return _secured(Response(INIT_JS, mimetype="text/javascript"))

    @app.get(f"{PATH}/assets/<name>")
    def api_docs_asset(name: str):
        if name not in FILES:
            abort(404)
        response = send_from_directory(ASSETS, name, max_age=86400)
        return _secured(response)


def _secured(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
