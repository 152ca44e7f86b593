"""The twin's command map: the Dash app, its pages and what each user may see of the model.

- `app`          the Dash app (`create_app`), the map page's layout, callbacks and routes
- pages          `board` (situation board), `exercise_page`, `field_page` (+ field_page.js, the phone
                 page of the officers sent), `order_print` (printed, signed orders), `replay_controls`
- pieces         `views`, `figures`, `map_layers`, `place_names`, `panel`, `navbar`, `user_bar`,
                 `alerts`, `readiness`, `docs_links`, `messages` (every label, zh and en), `ids`
- access         `signin` (users and sessions), `visibility` (who may see what), `position_access`
- `assets/`      the twin's own styles and scripts, served by the app
"""
