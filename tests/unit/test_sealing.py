"""Personal fields at rest: sealed with the deployment's key, opened for the API, never plain in the file."""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from sqlalchemy import Text, cast, insert, select

from services.common import sealing
from services.common.auth import Identity, signed_in
from services.common.sealing import Sealer, SealError
from services.resources import store
from services.resources.bootstrap import build_runtime, create_app, seed_demo_if_empty
from tests.helpers import offline_settings


def test_a_sealed_value_opens_only_with_its_key_and_in_its_own_field():
    one, other = Sealer.generate("p1"), Sealer.generate("p1")
    sealed = one.seal("330782198801011230", "id_number")
    assert sealed.startswith("enc:v1:p1:") and "330782" not in sealed
    assert one.open(sealed, "id_number") == "330782198801011230"
    assert one.seal("x", "phone") != one.seal("x", "phone")  # a fresh nonce every time
    with pytest.raises(SealError):
        other.open(sealed, "id_number")  # another deployment's key
    with pytest.raises(SealError):
        one.open(sealed, "phone")  # moved into another field


def test_keys_rotate_old_values_still_open_and_a_missing_key_file_is_created_0600(tmp_path):
    old = base64.urlsafe_b64encode(os.urandom(32)).decode()
    new = base64.urlsafe_b64encode(os.urandom(32)).decode()
    before = Sealer.from_env({"PERSONAL_DATA_KEY": old, "PERSONAL_DATA_KEY_ID": "p1"})
    sealed = before.seal("浙江省东阳市某路1号", "home_address")
    after = Sealer.from_env({"PERSONAL_DATA_KEY": new, "PERSONAL_DATA_KEY_ID": "p2", "PERSONAL_DATA_OLD_KEYS": f"p1:{old}"})
    assert after.open(sealed, "home_address") == "浙江省东阳市某路1号"
    assert after.seal("x", "home_address").startswith("enc:v1:p2:")
    path = tmp_path / "personal-data-key.json"
    first = Sealer.from_env({"PERSONAL_DATA_KEY_FILE": str(path)})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Sealer.from_env({"PERSONAL_DATA_KEY_FILE": str(path)}) == first  # the same key on the next start
    with pytest.raises(ValueError):
        Sealer.from_env({"PERSONAL_DATA_KEY": "c2hvcnQ"})


@pytest.fixture
def resources(tmp_path):
    runtime = build_runtime(offline_settings("resources", tmp_path, file="r.db"))
    yield runtime, tmp_path / "r.db"
    runtime.stop()


def test_the_raw_database_holds_no_id_number_address_or_phone_and_the_api_still_shows_them(resources):
    runtime, path = resources
    assert seed_demo_if_empty(runtime, officers_n=300, seed=3) == 300
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(store.officers.c.officer_id, store.officers.c.personal)).all()
    people = {oid: p for oid, p in rows}
    assert all(p["id_number"] and len(p["id_number"]) == 18 for p in people.values())  # opened on read
    raw = b"".join(f.read_bytes() for f in path.parent.glob("r.db*"))
    for p in people.values():
        assert p["id_number"].encode() not in raw
        assert p["phone"].encode() not in raw
        assert p["home_address"].encode("utf-8") not in raw
        assert json.dumps(p["home_address"]).encode() not in raw  # nor as JSON escapes
    assert p["name"].encode("utf-8") in raw or json.dumps(p["name"]).encode() in raw  # other fields as before
    oid, p = next(iter(people.items()))
    client = create_app(runtime).test_client()
    hr = signed_in(client, Identity("hr", "resource_manager")).get(f"/officers/{oid}").get_json()
    assert hr["id_number"] == p["id_number"] and hr["phone"] == p["phone"]
    viewer = signed_in(create_app(runtime).test_client(), Identity("zj-commander", "province_commander"))
    shown = viewer.get(f"/officers/{oid}").get_json()
    assert shown["id_number"] == p["id_number"][:6] + "****" + p["id_number"][-4:]  # masking as before


def test_rows_written_before_sealing_are_sealed_on_the_next_start(resources):
    runtime, _ = resources
    plain = {"name": "张三", "phone": "13800001111", "home_address": "某路2号", "id_number": "330782199001011234"}
    row = {"officer_id": "OLD-1", "county": "330782", "city": "330700", "unit_id": "U", "module": "patrol",
           "role_class": "regular", "status": "on_duty", "status_since": __import__("datetime").datetime.now(),
           "duty_minutes_24h": 0, "points_balance": 0.0, "tags_text": "", "cert_text": "", "certifications": [],
           "equipment_ids": [], "personal": plain}
    legacy = store.officers.c.personal.type
    try:
        store.officers.c.personal.type = sealing.JSON()  # as an older release wrote it
        with runtime.engine.begin() as conn:
            conn.execute(insert(store.officers).values(**row))
    finally:
        store.officers.c.personal.type = legacy
    raw = cast(store.officers.c.personal, Text)
    with runtime.engine.connect() as conn:
        assert "330782199001011234" in conn.execute(select(raw)).scalar_one()
    assert store.seal_plain_personal(runtime.engine) == 1
    assert store.seal_plain_personal(runtime.engine) == 0
    with runtime.engine.connect() as conn:
        assert "330782199001011234" not in conn.execute(select(raw)).scalar_one()
        assert conn.execute(select(store.officers.c.personal)).scalar_one() == plain
