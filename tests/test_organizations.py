"""Each organization's own Zudu credentials on one HTTP server, against a loopback Zudu double.

Two organizations authenticated by a real OpenID provider: each one's creates carry its own
X-API-KEY / X-API-SECRET, and one cannot use the other's confirmation token. Credentials sent by
the client in headers (when the operator allows it), and the clear errors when none are there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import API_KEY, API_SECRET, ZuduDouble, text_of
from tests.oidc.harness import Provider, running_provider, serving
from zudu_mcp.config import Settings
from zudu_mcp.demo import SEED_REQUEST
from zudu_mcp.organizations import OrganizationsFileError, load_organizations

pytestmark = pytest.mark.anyio
GLOBEX_KEY, GLOBEX_SECRET = "sk_globex0123456789abcdef01234567", "globex_secret_0123456789abcdef0123456789"
CAMPAIGN = SEED_REQUEST | {"trigger_timestamp": None, "schedule": "tomorrow at 10am"}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def organizations_file(tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GLOBEX_ZUDU_KEY", GLOBEX_KEY)
    monkeypatch.setenv("GLOBEX_ZUDU_SECRET", GLOBEX_SECRET)
    path = tmp_path / "organizations.json"
    path.write_text(
        json.dumps(
            {
                "organizations": {
                    "acme": {"api_key": API_KEY, "api_secret": API_SECRET},
                    "globex": {"api_key_env": "GLOBEX_ZUDU_KEY", "api_secret_env": "GLOBEX_ZUDU_SECRET"},
                }
            }
        )
    )
    return path


def session(url: str, mode: str, headers: dict[str, str]) -> Client:
    return Client(streamable_http_client(url + "/mcp", http_client=httpx2.AsyncClient(headers=headers, timeout=30)), mode=mode)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_two_organizations_send_their_own_credentials_and_never_share_a_token(
    provider: Provider, zudu_double: ZuduDouble, organizations_file, mode: str
) -> None:
    def settings(url: str) -> Settings:
        return Settings(
            base_url=zudu_double.url,
            mcp_oauth_issuer=provider.issuer,
            mcp_resource_url=url + "/mcp",
            mcp_confirm="token",
            mcp_organizations_file=str(organizations_file),
            mcp_organization_claim="org",
        )

    with serving(settings) as url:
        acme, globex = provider.token("org-a", resource=url + "/mcp"), provider.token("org-b", resource=url + "/mcp")
        async with session(url, mode, bearer(acme)) as a, session(url, mode, bearer(globex)) as b:
            preview_a = await a.call_tool("preview_batch_call", CAMPAIGN)
            token_a = preview_a.structured_content["confirmation_token"]
            stolen = await b.call_tool("create_batch_call", {"confirmation_token": token_a})
            assert stolen.is_error and not zudu_double.creates, text_of(stolen)
            created_a = await a.call_tool("create_batch_call", {"confirmation_token": token_a})
            preview_b = await b.call_tool("preview_batch_call", CAMPAIGN)  # the same campaign: its own plan, its own token
            token_b = preview_b.structured_content["confirmation_token"]
            created_b = await b.call_tool("create_batch_call", {"confirmation_token": token_b})
            replay = await b.call_tool("create_batch_call", {"confirmation_token": token_a})
    assert not created_a.is_error and not created_b.is_error, text_of(created_a) + text_of(created_b)
    assert token_b != token_a and replay.is_error
    assert [(r.headers["x-api-key"], r.headers["x-api-secret"]) for r in zudu_double.creates] == [(API_KEY, API_SECRET), (GLOBEX_KEY, GLOBEX_SECRET)]
    looked_up = {(r.headers["x-api-key"]) for r in zudu_double.requests if r.path.startswith("/api/")}
    assert looked_up == {API_KEY, GLOBEX_KEY}  # discovery while planning went out with each one's own key too
    for result in (stolen, replay):
        assert GLOBEX_KEY not in text_of(result) and API_KEY not in text_of(result)


async def test_an_organization_missing_from_the_mapping_gets_the_fix_not_the_operators_key(provider: Provider, zudu_double: ZuduDouble, tmp_path) -> None:
    only_acme = tmp_path / "organizations.toml"
    only_acme.write_text(f'[organizations.acme]\napi_key = "{API_KEY}"\napi_secret = "{API_SECRET}"\n')

    def settings(url: str) -> Settings:
        return Settings(
            base_url=zudu_double.url,
            api_key=GLOBEX_KEY,
            api_secret=GLOBEX_SECRET,  # the operator's own: never lent out
            mcp_oauth_issuer=provider.issuer,
            mcp_resource_url=url + "/mcp",
            mcp_organizations_file=str(only_acme),
            mcp_organization_claim="org",
        )

    with serving(settings) as url:
        async with session(url, "auto", bearer(provider.token("org-b", resource=url + "/mcp"))) as client:
            agents = await client.call_tool("list_agents", {})
            created = await client.call_tool("create_batch_call", CAMPAIGN)
    for result in (agents, created):
        assert result.is_error and "no Zudu credentials for the organization «globex»" in text_of(result)
        assert "ZUDU_MCP_ORGANIZATIONS_FILE" in text_of(result) and "nothing was sent" in text_of(result)
    assert zudu_double.requests == []


async def test_credentials_sent_by_the_client_are_forwarded_when_the_operator_allows_it(zudu_double: ZuduDouble) -> None:
    def settings(url: str) -> Settings:
        return Settings(base_url=zudu_double.url, mcp_client_credentials=True)

    with serving(settings) as url:
        async with session(url, "auto", {"X-Zudu-Api-Key": API_KEY, "X-Zudu-Api-Secret": API_SECRET}) as client:
            created = await client.call_tool("create_batch_call", CAMPAIGN)
        async with session(url, "auto", {}) as client:
            none_sent = await client.call_tool("list_agents", {})
        async with session(url, "auto", {"X-Zudu-Api-Key": API_KEY}) as client:
            half_sent = await client.call_tool("list_agents", {})
    assert not created.is_error, text_of(created)
    [create] = zudu_double.creates
    assert (create.headers["x-api-key"], create.headers["x-api-secret"]) == (API_KEY, API_SECRET)
    assert none_sent.is_error and "X-Zudu-Api-Key and X-Zudu-Api-Secret" in text_of(none_sent)
    assert half_sent.is_error and "Send both" in text_of(half_sent)


async def test_headers_are_refused_when_the_operator_does_not_take_credentials_from_clients(zudu_double: ZuduDouble, tmp_path) -> None:
    mapping = tmp_path / "organizations.json"
    mapping.write_text(json.dumps({"organizations": {"acme": {"api_key": API_KEY, "api_secret": API_SECRET}}}))

    def settings(url: str) -> Settings:
        return Settings(base_url=zudu_double.url, api_key=API_KEY, api_secret=API_SECRET, mcp_organizations_file=str(mapping))

    with serving(settings) as url:
        async with session(url, "auto", {"X-Zudu-Api-Key": GLOBEX_KEY, "X-Zudu-Api-Secret": GLOBEX_SECRET}) as client:
            refused = await client.call_tool("list_agents", {})
        async with session(url, "auto", {}) as client:
            operator = await client.call_tool("list_agents", {})  # no OAuth identity: the operator's own account
    assert refused.is_error and "ZUDU_MCP_CLIENT_CREDENTIALS=true" in text_of(refused)
    assert not operator.is_error, text_of(operator)
    assert {r.headers["x-api-key"] for r in zudu_double.requests} == {API_KEY}


def test_the_organizations_file_is_checked_with_messages_that_name_the_entry_never_a_secret(tmp_path, monkeypatch) -> None:
    path = tmp_path / "organizations.json"
    path.write_text(json.dumps({"organizations": {"acme": {"api_key": API_KEY, "api_secret_env": "ACME_SECRET"}}}))
    with pytest.raises(OrganizationsFileError, match=r"'acme' takes api_secret from \$ACME_SECRET, which is not set") as raised:
        load_organizations(path)
    assert API_KEY not in str(raised.value)
    monkeypatch.setenv("ACME_SECRET", API_SECRET)
    found = load_organizations(path)
    assert found["acme"].api_secret == API_SECRET and API_SECRET not in repr(found)
    path.write_text("{not json")
    with pytest.raises(OrganizationsFileError, match="is not valid JSON"):
        load_organizations(path)
    path.write_text(json.dumps({"acme": {}}))
    with pytest.raises(OrganizationsFileError, match='must hold an "organizations" table'):
        load_organizations(path)
    from zudu_mcp.http import check_team

    assert "cannot be read" in check_team(Settings(base_url="https://api.zudu.ai", mcp_organizations_file=str(tmp_path / "missing.json")))
