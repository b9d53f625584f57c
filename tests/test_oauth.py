"""The OAuth 2.1 resource server against a real OpenID provider (npm's oidc-provider) on loopback.

Discovery (RFC 9728 metadata, the 401's WWW-Authenticate), a token from the provider accepted over
real HTTP in both protocol eras, a wrong audience, an expired token and a rotated key, and a
read-only token kept to the read-only toolset.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import text_of
from tests.oidc.harness import Clock, Provider, running_provider, serving
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST

pytestmark = pytest.mark.anyio
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
WRITE_TOOLS = {"create_batch_call", "execute_batch_call", "update_batch_call", "delete_batch_call", "hold_batch_call"}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


def oauth_settings(provider: Provider, **extra):
    return lambda url: Settings(sandbox=True, mcp_oauth_issuer=provider.issuer, mcp_resource_url=url + "/mcp", **extra)


def fetches(caplog: pytest.LogCaptureFixture) -> int:
    return sum("signing key(s) of the OAuth issuer" in r.getMessage() for r in caplog.records)


def post(url: str, token: str | None) -> httpx.Response:
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(url + "/mcp", json=LIST_TOOLS, headers=headers, timeout=30)


def session(url: str, token: str, mode: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return Client(streamable_http_client(url + "/mcp", http_client=http), mode=mode)


def test_discovery_from_the_401_to_the_authorization_server(provider: Provider) -> None:
    with serving(oauth_settings(provider)) as url:
        refused = post(url, None)
        suffixed = httpx.get(url + "/.well-known/oauth-protected-resource/mcp", timeout=10)
        root = httpx.get(url + "/.well-known/oauth-protected-resource", timeout=10)
    assert refused.status_code == 401
    challenge = refused.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and f'resource_metadata="{url}/.well-known/oauth-protected-resource/mcp"' in challenge
    for answer in (suffixed, root):
        assert answer.status_code == 200
        metadata = answer.json()
        assert metadata["resource"] == url + "/mcp"
        assert metadata["authorization_servers"] == [provider.issuer]
        assert metadata["scopes_supported"] == ["zudu:read", "zudu:write"]
    issuer = httpx.get(provider.issuer + "/.well-known/openid-configuration", timeout=10).json()
    assert issuer["issuer"] == provider.issuer and issuer["token_endpoint"] and issuer["jwks_uri"]  # where a client goes next


async def test_a_token_from_the_provider_lists_and_runs_tools_over_http(provider: Provider, mode: str) -> None:
    with serving(oauth_settings(provider)) as url:
        token = provider.token(resource=url + "/mcp")
        async with session(url, token, mode) as client:
            tools = await client.list_tools()
            checked = await client.call_tool("resolve_schedule", {"text": "tomorrow at 10am", "timezone": "Asia/Kolkata"})
            created = await client.call_tool("create_batch_call", SEED_REQUEST | {"trigger_timestamp": None, "schedule": "tomorrow at 10am"})
    from zudu_mcp.server import published_specs

    assert len(tools.tools) == len(published_specs(Settings()))
    assert not checked.is_error and "10:00 IST" in text_of(checked)
    assert not created.is_error and "SANDBOX" in text_of(created), text_of(created)


def test_a_token_for_another_audience_is_refused(provider: Provider, caplog: pytest.LogCaptureFixture) -> None:
    with serving(oauth_settings(provider)) as url:
        elsewhere = post(url, provider.token(resource="https://other.example/api"))
        here = post(url, provider.token(resource=url + "/mcp"))
    assert elsewhere.status_code == 401 and 'error="invalid_token"' in elsewhere.headers["www-authenticate"]
    assert here.status_code == 200
    assert any("another audience" in r.getMessage() for r in caplog.records)


def test_an_expired_token_is_refused(provider: Provider, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    with serving(oauth_settings(provider), clock) as url:
        token = provider.token(resource=url + "/mcp")  # valid for 600 s
        fresh = post(url, token)
        expires = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["exp"]
        clock.at = expires + 29  # past exp, within the 30 s leeway for clock skew
        within_leeway = post(url, token)
        clock.at = expires + 31
        expired = post(url, token)
    assert fresh.status_code == 200 and within_leeway.status_code == 200
    assert expired.status_code == 401
    assert any("it has expired" in r.getMessage() for r in caplog.records)


def test_a_rotated_key_is_fetched_and_made_up_key_ids_cost_one_fetch(provider: Provider, caplog: pytest.LogCaptureFixture) -> None:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    caplog.set_level(logging.INFO, logger="zudu_mcp.auth")
    with serving(oauth_settings(provider)) as url:
        audience = url + "/mcp"
        first = provider.token(resource=audience)
        before = post(url, first)
        assert fetches(caplog) == 1
        new_kid = provider.rotate()
        rotated = provider.token(resource=audience)
        assert jwt.get_unverified_header(rotated)["kid"] == new_kid != jwt.get_unverified_header(first)["kid"]
        after = post(url, rotated)
        assert fetches(caplog) == 2  # the unknown key id made the server fetch the JWKS again
        forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        claims = {"iss": provider.issuer, "aud": audience, "exp": 4_000_000_000, "scope": "zudu:read zudu:write", "sub": "org-a"}
        forged = [post(url, jwt.encode(claims, forger, algorithm="RS256", headers={"kid": f"made-up-{i}"})) for i in range(5)]
        again = post(url, rotated)
    assert before.status_code == 200 and after.status_code == 200 and again.status_code == 200
    assert all(answer.status_code == 401 for answer in forged)
    assert fetches(caplog) == 3  # five made-up key ids: one look-up, then the cooldown


async def test_a_read_only_token_sees_and_runs_only_read_only_tools(provider: Provider, mode: str) -> None:
    with serving(oauth_settings(provider)) as url:
        token = provider.token(scope="zudu:read", resource=url + "/mcp")
        async with session(url, token, mode) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            created = await client.call_tool("create_batch_call", SEED_REQUEST | {"trigger_timestamp": None, "schedule": "tomorrow at 10am"})
            preview = await client.call_tool("preview_batch_call", SEED_REQUEST | {"trigger_timestamp": None, "schedule": "tomorrow at 10am"})
    assert not names & WRITE_TOOLS and "preview_batch_call" in names and "list_batch_calls" in names
    assert created.is_error and "zudu:write" in text_of(created) and created.structured_content["code"] == "insufficient_scope"
    assert not preview.is_error, text_of(preview)


def test_a_token_without_either_scope_and_made_up_tokens_are_refused(provider: Provider, caplog: pytest.LogCaptureFixture) -> None:
    import jwt

    with serving(oauth_settings(provider)) as url:
        claims = {"iss": provider.issuer, "aud": url + "/mcp", "exp": 4_000_000_000, "scope": "zudu:read zudu:write", "sub": "org-a"}
        no_scope = post(url, provider.token(scope="", resource=url + "/mcp"))
        garbage = post(url, "not-a-jwt")
        symmetric = post(url, jwt.encode(claims, "k" * 64, algorithm="HS256"))  # the algorithm-confusion forgery
        unsigned = post(url, jwt.encode(claims, None, algorithm="none"))
    assert no_scope.status_code in (401, 403)
    assert garbage.status_code == symmetric.status_code == unsigned.status_code == 401
    assert any("'HS256' is not one of" in r.getMessage() for r in caplog.records)


def test_the_static_token_still_works_beside_oauth(provider: Provider) -> None:
    with serving(oauth_settings(provider, mcp_auth_token="team-token-0123456789abcdef")) as url:
        assert post(url, "team-token-0123456789abcdef").status_code == 200
        assert post(url, "team-token-0123456789abcdeX").status_code == 401


def test_oauth_settings_are_checked_once_with_the_fix() -> None:
    from zudu_mcp.http import check_team

    assert "ZUDU_MCP_RESOURCE_URL" in check_team(Settings(mcp_oauth_issuer="https://login.example.com"))
    assert "ZUDU_MCP_OAUTH_ISSUER" in check_team(Settings(mcp_resource_url="https://mcp.example.com/mcp"))
    assert check_team(Settings(mcp_oauth_issuer="https://login.example.com", mcp_resource_url="https://mcp.example.com/mcp")) is None
    with pytest.raises(ValueError, match="ZUDU_MCP_OAUTH_ISSUER must be an https://"):
        Settings(mcp_oauth_issuer="http://login.example.com")
