"""The authenticated Teams path, fully offline: the test makes its own RSA key, serves an OpenID metadata
document and JWKS from a local server, signs Bot Framework-like tokens with PyJWT, and points careerbot at
them (CAREERBOT_TEAMS_OPENID_METADATA) and at a local token endpoint for its own outgoing token.

Every bad token gets 401 (never a 500, never a reply); a good one gets 200 and a reply that carries
careerbot's bearer token, fetched once and cached.
"""

from __future__ import annotations

import asyncio
import logging
import time

import jwt
import pytest

from tests.mock_connector import MockConnector, MockOpenId, RunningBot, build_settings, message, teams_env

APP_ID = "11111111-2222-3333-4444-555555555555"
PASSWORD = "not-a-real-secret"  # noqa: S105 - a test value


@pytest.fixture
async def servers():
    connector, openid = MockConnector(), MockOpenId()
    await connector.start()
    await openid.start()
    yield connector, openid
    await openid.close()
    await connector.close()


@pytest.fixture
async def secured(tmp_path, servers):
    connector, openid = servers
    env = teams_env(tmp_path, MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD=PASSWORD,
                    MICROSOFT_APP_TYPE="MultiTenant", CAREERBOT_TEAMS_OPENID_METADATA=openid.metadata_url,
                    CAREERBOT_TEAMS_TOKEN_URL=connector.token_url)
    running = await RunningBot(build_settings(env, teams_token_url=connector.token_url)).start()
    yield running, connector, openid
    await running.close()


def good_token(openid: MockOpenId, connector: MockConnector, **kw) -> str:
    return openid.token(app_id=APP_ID, service_url=connector.url, **kw)


async def test_good_token_is_answered_with_careerbots_own_token(secured):
    running, connector, openid = secured
    status, _ = await running.post(message(connector.url, "what does AMHP stand for?"),
                                   token=good_token(openid, connector))
    assert status == 200
    [reply] = connector.posted()
    assert reply.authorization == "Bearer mock-token-1"
    assert "AMHP" in reply.text
    # the outgoing token came from the token endpoint by client credentials, once, and is reused
    [token_call] = [c for c in connector.calls if c.kind == "token"]
    assert token_call.body["grant_type"] == "client_credentials"
    assert token_call.body["client_id"] == APP_ID and token_call.body["client_secret"] == PASSWORD
    assert token_call.body["scope"] == "https://api.botframework.com/.default"
    await running.post(message(connector.url, "evidence for SW2B"), token=good_token(openid, connector))
    assert connector.token_requests == 1
    assert connector.posted()[-1].authorization == "Bearer mock-token-1"
    assert openid.metadata_requests == 1 and openid.jwks_requests == 1  # keys cached too


def _bad_tokens(openid: MockOpenId, connector: MockConnector) -> dict[str, str | None]:
    now = int(time.time())
    return {
        "missing": None,
        "empty": "",
        "garbage": "this-is-not-a-jwt",
        "three garbage parts": "aaa.bbb.ccc",
        "expired": good_token(openid, connector, expires_in=-3600),
        "not yet valid": good_token(openid, connector, not_before=now + 3600, expires_in=7200),
        "wrong audience": good_token(openid, connector, audience="99999999-9999-9999-9999-999999999999"),
        "wrong issuer": good_token(openid, connector, issuer="https://evil.example"),
        "wrong serviceUrl": openid.token(app_id=APP_ID, service_url="https://evil.example/"),
        "unknown kid": good_token(openid, connector, kid="some-other-key", signing_key=openid.other_key),
        "known kid, wrong key": good_token(openid, connector, signing_key=openid.other_key),
        "HS256 with the public key": jwt.encode(
            {"iss": MockOpenId.ISSUER, "aud": APP_ID, "serviceurl": connector.url, "exp": now + 3600},
            "a-shared-secret-of-a-decent-length-xx", algorithm="HS256", headers={"kid": openid.kid}),
        "alg none": jwt.encode({"iss": MockOpenId.ISSUER, "aud": APP_ID, "serviceurl": connector.url,
                                "exp": now + 3600}, None, algorithm="none", headers={"kid": openid.kid}),
        "no serviceurl claim": jwt.encode({"iss": MockOpenId.ISSUER, "aud": APP_ID, "exp": now + 3600},
                                          openid.key, algorithm="RS256", headers={"kid": openid.kid}),
        "no kid": jwt.encode({"iss": MockOpenId.ISSUER, "aud": APP_ID, "serviceurl": connector.url,
                              "exp": now + 3600}, openid.key, algorithm="RS256"),
    }


BAD = ["missing", "empty", "garbage", "three garbage parts", "expired", "not yet valid", "wrong audience",
       "wrong issuer", "wrong serviceUrl", "unknown kid", "known kid, wrong key", "HS256 with the public key",
       "alg none", "no serviceurl claim", "no kid"]


@pytest.mark.parametrize("which", BAD)
async def test_every_bad_token_is_401(secured, which, caplog):
    running, connector, openid = secured
    token = _bad_tokens(openid, connector)[which]
    headers = {"Authorization": "Bearer " + token} if token is not None else {}
    with caplog.at_level(logging.WARNING, logger="bot.channels.teams"):
        status, body = await running.post(message(connector.url, "help"), headers=headers)
    assert status == 401, body
    assert "unauthorised" in caplog.text
    assert connector.posted() == [] and connector.token_requests == 0
    assert openid.metadata_requests <= 1  # a bad token does not make careerbot fetch the keys again and again


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "bearer  ", "Token abc", "Bearer a b c"])
async def test_malformed_authorization_headers_are_401(secured, header):
    running, connector, _ = secured
    status, _ = await running.post(message(connector.url, "help"), headers={"Authorization": header})
    assert status == 401 and connector.posted() == []


async def test_key_not_endorsed_for_the_channel_is_401(secured):
    running, connector, openid = secured
    activity = message(connector.url, "help", channel_id="webchat")  # the key is endorsed for msteams only
    status, _ = await running.post(activity, token=good_token(openid, connector))
    assert status == 401 and connector.posted() == []


async def test_bad_token_with_a_malformed_body_is_still_401(secured):
    running, connector, _ = secured
    status, _ = await running.post(raw=b"{not json", headers={"Authorization": "Bearer garbage"})
    assert status == 401


async def test_malformed_activity_with_a_good_token_is_400(secured):
    running, connector, openid = secured
    activity = message(connector.url, "help")
    del activity["conversation"]
    status, _ = await running.post(activity, token=good_token(openid, connector))
    assert status == 400


async def test_many_bad_tokens_at_once_never_500(secured):
    running, connector, openid = secured
    tokens = [t for t in _bad_tokens(openid, connector).values() if t] * 3
    results = await asyncio.gather(*(running.post(message(connector.url, "help"), token=t) for t in tokens))
    assert {status for status, _ in results} == {401}


async def test_rotated_keys_are_fetched_again(secured):
    running, connector, openid = secured
    assert (await running.post(message(connector.url, "help"), token=good_token(openid, connector)))[0] == 200
    # The Bot Framework rotates its signing keys: a token signed with a key id careerbot has not seen makes it
    # fetch the keys again (at most every few minutes).
    from cryptography.hazmat.primitives.asymmetric import rsa

    openid.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    openid.kid = "rotated-key"
    running.teams.validator._attempted_at -= 3600  # as if the last fetch was long ago
    status, _ = await running.post(message(connector.url, "help"), token=good_token(openid, connector))
    assert status == 200
    assert openid.jwks_requests == 2


async def test_openid_unreachable_is_503_not_500(tmp_path, servers):
    connector, _ = servers
    env = teams_env(tmp_path, MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD=PASSWORD,
                    CAREERBOT_TEAMS_OPENID_METADATA="http://127.0.0.1:9/nothing-here")
    running = await RunningBot(build_settings(env, teams_token_url=connector.token_url)).start()
    try:
        openid = MockOpenId()
        token = openid.token(app_id=APP_ID, service_url=connector.url)
        status, _ = await running.post(message(connector.url, "help"), token=token)
        assert status == 503
        assert connector.posted() == []
    finally:
        await running.close()


async def test_refused_outgoing_token_means_no_reply_but_no_500(secured):
    running, connector, openid = secured
    running.teams.connector.tokens.config = running.teams.config.__class__(
        **{**running.teams.config.__dict__, "token_url": connector.url + "/nowhere"})
    status, _ = await running.post(message(connector.url, "help"), token=good_token(openid, connector))
    assert status == 200  # the activity was taken; the reply could not be sent (logged)
    assert connector.posted() == []


async def test_without_credentials_it_is_open_and_says_so(tmp_path, servers, caplog):
    connector, _ = servers
    with caplog.at_level(logging.WARNING, logger="bot.channels.teams"):
        running = await RunningBot(build_settings(teams_env(tmp_path))).start()
    try:
        assert "WITHOUT authentication" in caplog.text
        status, _ = await running.post(message(connector.url, "help"))
        assert status == 200
        assert connector.posted()[0].authorization is None
        assert connector.token_requests == 0
    finally:
        await running.close()


async def test_single_tenant_asks_its_own_tenant_for_tokens(tmp_path):
    from bot.channels.teams import TeamsConfig

    settings = build_settings(teams_env(tmp_path, MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD=PASSWORD,
                                        MICROSOFT_APP_TYPE="SingleTenant",
                                        MICROSOFT_APP_TENANT_ID="contoso.onmicrosoft.com"))
    config = TeamsConfig.from_settings(settings)
    assert config.token_url == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    multi = TeamsConfig.from_settings(build_settings(teams_env(tmp_path, MICROSOFT_APP_ID=APP_ID,
                                                               MICROSOFT_APP_PASSWORD=PASSWORD)))
    assert multi.token_url == "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
    assert multi.openid_metadata_url == "https://login.botframework.com/v1/.well-known/openidconfiguration"
