"""Key management over HTTP and the per-key request rate."""

from __future__ import annotations

from typing import Any

from ptrack.stack.catalog import SERVICES
from shared.settings import Settings
from shared.testing.apps import running


async def test_an_admin_makes_lists_and_revokes_a_key(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with running(SERVICES["registry"].build(settings)) as service:
        admin = service.auth("admin")
        made = await service.client.post(
            "/admin/keys", json={"name": "kommune-sync", "role": "manager"}, headers=admin
        )
        assert made.status_code == 201, made.text
        token, key_id = made.json()["token"], made.json()["key_id"]
        assert token.startswith(f"ptk_{key_id}_")
        as_new = {"Authorization": f"Bearer {token}"}
        assert (await service.client.get("/metrics", headers=as_new)).status_code == 200

        listed = (await service.client.get("/admin/keys", headers=admin)).json()
        mine = next(key for key in listed if key["key_id"] == key_id)
        assert mine["role"] == "manager"
        assert "token" not in mine
        assert all("secret" not in field for key in listed for field in key)

        assert (
            await service.client.delete(f"/admin/keys/{key_id}", headers=admin)
        ).status_code == 204
        refused = await service.client.get("/metrics", headers=as_new)
        assert refused.status_code == 401
        assert "revoked" in refused.json()["detail"]
        again = await service.client.delete(f"/admin/keys/{key_id}", headers=admin)
        assert again.status_code == 404
        assert again.headers["content-type"] == "application/problem+json"


async def test_a_bad_key_request_names_the_field_and_makes_nothing(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    async with running(SERVICES["registry"].build(settings)) as service:
        admin = service.auth("admin")
        before = (await service.client.get("/admin/keys", headers=admin)).json()
        for body, field in [
            ({"name": "x", "role": "owner"}, "role"),
            ({"name": "", "role": "manager"}, "name"),
            ({"name": "x", "role": "integration", "services": ["Finance!"]}, "services/0"),
            ({"name": "x", "role": "manager", "expires_at": "2027-01-01T00:00:00"}, "expires_at"),
            # a JSON number would be seconds since 1970: an already expired key
            ({"name": "x", "role": "manager", "expires_at": 0}, "expires_at"),
            ({"name": "x", "role": "manager", "expires_at": "2010-01-01T00:00:00Z"}, "expires_at"),
            ({"name": "Kari\x00", "role": "manager"}, "name"),
            ({"name": "   ", "role": "manager"}, "name"),
        ]:
            response = await service.client.post("/admin/keys", json=body, headers=admin)
            assert response.status_code == 422, body
            assert response.headers["content-type"] == "application/problem+json"
            assert [e["pointer"] for e in response.json()["errors"]] == [f"/{field}"], body
        assert (await service.client.get("/admin/keys", headers=admin)).json() == before


async def test_a_key_over_its_rate_waits_and_others_do_not(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    limited = settings.model_copy(update={"rate_limit_per_second": 0.5, "rate_limit_burst": 3})
    async with running(SERVICES["registry"].build(limited)) as service:
        statuses = [(await service.get("/metrics")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = await service.get("/metrics")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["Retry-After"]) >= 1
        assert (await service.get("/metrics", role="auditor")).status_code == 200
        assert (await service.client.get("/healthz")).status_code == 200


async def test_a_method_not_served_names_every_method_that_is(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    """GET and POST on one path are two routes; the 405's Allow names both."""
    async with running(SERVICES["finance"].build(settings)) as service:
        for path, allowed in [
            ("/admin/keys", "GET, POST"),
            ("/audit/checkpoints", "GET, POST"),
            ("/events", "POST"),
        ]:
            response = await service.client.request("OPTIONS", path, headers=service.auth("admin"))
            assert response.status_code == 405, (path, response.text)
            assert response.headers["Allow"] == allowed, path
            assert response.headers["content-type"] == "application/problem+json"
