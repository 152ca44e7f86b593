"""The twin's command map: the Dash app, its pages and what each user may see of the model.

- `app`          the Dash app (`create_app`), the map page's layout, callbacks and routes
- pages          `board` (situation board), `exercise_page`, `field_page` (+ field_page.js, the phone
                 page of the officers sent), `order_print` (printed, signed orders), `replay_controls`
- pieces         `views`, `figures`, `map_layers`, `place_names`, `panel`, `navbar`, `user_bar`,
                 `alerts`, `readiness`, `docs_links`, `messages` (every label, zh and en), `ids`
- delivery       `map_polygons` (the counties simplified for the map, kept under var/twin/geo),
                 `compress` (gzip of what the app sends), `plotly_bundle` (Plotly's map bundle, the
                 only trace types the twin draws, served instead of the full bundle when installed)
- access         `signin` (users and sessions), `visibility` (who may see what), `position_access`
- operations     `prometheus` (GET /metrics: the twin's loops, for whom the services' /metrics is for)
- `assets/`      the twin's own styles and scripts, served by the app (plotly_early.js starts Plotly's
                 bundle while the layout loads; map_drawn.js tells the page its base map has drawn)
"""
