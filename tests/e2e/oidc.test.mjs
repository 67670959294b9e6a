// oidc.test.mjs - idgate as a tenant's OpenID Provider, checked by two
// independent relying-party libraries from npm (openid-client 6 and
// oauth4webapi 3) against the real `idgate serve`: discovery, the code flow
// with PKCE through the real sign-in form, ID token validation (signature by
// JWKS, iss, aud, nonce), userinfo, refresh rotation, RP-initiated logout,
// client credentials, introspection and revocation; then the refusals, sent
// as raw HTTP: redirect URI and client checks, PKCE, code replay and expiry,
// client authentication, forged and confused tokens, refresh-token reuse,
// assignment, suspension, prompt=none and the form_post page.
// The libraries trust the per-run self-signed certificate through an undici
// Agent handed to their customFetch hooks; the browser is the harness Client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, createPublicKey, generateKeyPairSync, sign as cryptoSign }
  from 'node:crypto';
import { Agent } from 'undici';
import * as client from 'openid-client';
import * as oauth from 'oauth4webapi';
import { Gateway, Client, sleep, waitFor, inputValue, redisCommand } from './harness.mjs';

const PW = 'Corr3ct-horse!';
const CID = 'acme';
const RP = 'https://rp.example';
const CB = `${RP}/cb`;
const LOGGED_OUT = `${RP}/logged-out`;
let g;
let issuer;
let tlsFetch;

// ---- helpers ----

const b64u = (x) => Buffer.from(x).toString('base64url');
const jwtParts = (t) => {
  const [h, p, s] = t.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')),
    payload: JSON.parse(Buffer.from(p, 'base64url')), sig: s };
};
const challengeOf = (verifier) => createHash('sha256').update(verifier).digest('base64url');
const newVerifier = () => oauth.generateRandomCodeVerifier();
const path = (u) => { const x = new URL(u, issuer); return x.pathname + x.search; };
const query = (loc) => Object.fromEntries(new URL(loc).searchParams);

// `idgate oidc client add --json`, plus assignments; returns the client document.
async function addClient(name, args = [], assign = []) {
  const r = await g.cli(['oidc', 'client', 'add', '--tenant', CID, '--name', name, ...args,
    '--json']);
  assert.equal(r.code, 0, `client add ${name}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  assert.ok(doc.client_id, 'client_id printed');
  for (const email of assign) {
    const a = await g.cli(['oidc', 'client', 'assign', '--tenant', CID, doc.client_id,
      '--user', email]);
    assert.equal(a.code, 0, a.stderr);
  }
  // Both workers reload their directory every 200 ms (test config), behind
  // any password hashing queued in their pools: after 1.5 s each one knows
  // the client, whichever gets the next request, even on a loaded machine.
  await sleep(1500);
  return doc;
}

// Waits until the running gateway knows the client and its redirect URI (the
// directory snapshot refreshes every 200 ms): a known pair answers 303.
async function known(cl, redirect = CB) {
  const c = g.client();
  await waitFor(async () => (await c.get(`/oidc/${CID}/authorize?` + new URLSearchParams(
    { client_id: cl.client_id, redirect_uri: redirect }))).status === 303,
  `client ${cl.name} in the gateway`);
}

function authorizeUrl(cl, extra = {}) {
  return `/oidc/${CID}/authorize?` + new URLSearchParams({ client_id: cl.client_id,
    redirect_uri: CB, response_type: 'code', scope: 'openid', ...extra });
}

// A signed-in harness browser.
async function signedIn(email) {
  const c = g.client();
  const r = await c.login(CID, email, PW);
  assert.equal(r.status, 303, `sign-in of ${email}`);
  return c;
}

// Runs the authorization request in a signed-in browser; returns the code.
async function codeFor(c, cl, extra = {}) {
  const r = await c.get(authorizeUrl(cl, extra));
  assert.equal(r.status, 303, r.body);
  const q = query(r.headers.location);
  assert.ok(q.code, `a code in ${r.headers.location}`);
  return q.code;
}

// Raw token endpoint request; the body parsed.
async function tokenRaw(form, headers = {}) {
  const r = await g.client().post(`/oidc/${CID}/token`, form, { headers });
  return { status: r.status, headers: r.headers, json: JSON.parse(r.body) };
}

function basic(id, secret) {
  return { Authorization: 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64') };
}

async function exchange(cl, code, verifier, extra = {}) {
  const form = { grant_type: 'authorization_code', code, redirect_uri: CB, ...extra };
  if (verifier !== undefined) form.code_verifier = verifier;
  if (cl.client_secret) return tokenRaw(form, basic(cl.client_id, cl.client_secret));
  return tokenRaw({ ...form, client_id: cl.client_id });
}

async function refreshRaw(cl, refresh_token) {
  const form = { grant_type: 'refresh_token', refresh_token };
  if (cl.client_secret) return tokenRaw(form, basic(cl.client_id, cl.client_secret));
  return tokenRaw({ ...form, client_id: cl.client_id });
}

async function userinfoRaw(token) {
  return g.client().get(`/oidc/${CID}/userinfo`,
    { headers: { Authorization: `Bearer ${token}` } });
}

// The Redis key under which op.c keeps a code or token: prefix:hex(sha256[0..16]).
const redisKey = (prefix, token) =>
  `${prefix}:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;

// ---- setup ----

let conf;	// confidential, openid-client
let pub;	// public, oauth4webapi
let es;		// confidential, ES256 ID tokens
let cc;		// client_credentials
let rs;		// resource server (introspection)
let neg;	// confidential, for the refusals
let negPub;	// public, for the refusals
let other;	// confidential, another client
let unassigned;	// nobody but dave assigned

before(async () => {
  g = await new Gateway({ workers: 2 }).setup();
  await g.tenant(CID);
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'])
    assert.equal((await g.user(CID, `${u}@acme.example`, PW,
      `${u[0].toUpperCase()}${u.slice(1)} Example`)).code, 0);
  const everyone = ['alice', 'bob', 'carol', 'erin', 'frank', 'grace', 'heidi']
    .map((u) => `${u}@acme.example`);
  conf = await addClient('Wiki', ['--redirect-uri', CB, '--post-logout-redirect-uri',
    LOGGED_OUT], ['alice@acme.example']);
  pub = await addClient('SPA', ['--public', '--redirect-uri', CB], ['bob@acme.example']);
  es = await addClient('Mobile backend', ['--redirect-uri', CB, '--id-token-alg', 'ES256'],
    ['bob@acme.example']);
  cc = await addClient('Batch job', ['--grant', 'client_credentials']);
  rs = await addClient('API', ['--grant', 'client_credentials', '--resource-server']);
  neg = await addClient('Negatives', ['--redirect-uri', CB, '--post-logout-redirect-uri',
    LOGGED_OUT], everyone);
  negPub = await addClient('Negatives SPA', ['--public', '--redirect-uri', CB], everyone);
  other = await addClient('Other', ['--redirect-uri', CB], everyone);
  unassigned = await addClient('Restricted', ['--redirect-uri', CB], ['dave@acme.example']);
  assert.equal(pub.client_secret, undefined, 'a public client has no secret');
  assert.equal(conf.type, 'confidential');
  await g.start();
  issuer = `https://127.0.0.1:${g.port}/oidc/${CID}`;
  // Trust exactly this run's certificate (no NODE_TLS_REJECT_UNAUTHORIZED).
  const dispatcher = new Agent({ connect: { ca: g.ca } });
  tlsFetch = (url, options) => fetch(url, { ...options, dispatcher });
  for (const cl of [conf, pub, es, neg, negPub, other, unassigned]) await known(cl);
});

after(async () => { await g?.teardown(); });

// ---- the relying-party libraries ----

test('openid-client: discovery, code flow with PKCE through the sign-in form, ' +
  'userinfo, refresh rotation and RP-initiated logout', async () => {
  const config = await client.discovery(new URL(issuer), conf.client_id, conf.client_secret,
    client.ClientSecretBasic(conf.client_secret),
    { [client.customFetch]: tlsFetch, execute: [client.enableNonRepudiationChecks] });
  const md = config.serverMetadata();
  assert.equal(md.issuer, issuer);
  assert.equal(md.authorization_endpoint, `${issuer}/authorize`);
  assert.deepEqual(md.code_challenge_methods_supported, ['S256']);
  assert.ok(md.supportsPKCE());

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: CB, scope: 'openid email profile offline_access', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  assert.equal(authUrl.origin + authUrl.pathname, `${issuer}/authorize`);

  // The browser: not signed in, so the provider sends it to the sign-in form.
  const c = g.client();
  let r = await c.get(path(authUrl));
  assert.equal(r.status, 303);
  const toLogin = new URL(r.headers.location, issuer);
  assert.equal(toLogin.pathname, `/t/${CID}/login`);
  const ret = toLogin.searchParams.get('return');
  assert.ok(ret.startsWith(`/oidc/${CID}/authorize?`), ret);
  r = await c.get(path(toLogin));
  assert.equal(r.status, 200);
  assert.equal(inputValue(r.body, 'return'), ret, 'the form carries the return URL');
  r = await c.post(`/t/${CID}/login`, { email: 'alice@acme.example', password: PW,
    csrf: Client.csrf(r.body), return: inputValue(r.body, 'return') });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, ret, 'back to the authorization request');
  r = await c.get(r.headers.location);
  assert.equal(r.status, 303);
  const callback = new URL(r.headers.location);
  assert.equal(callback.origin + callback.pathname, CB);
  assert.equal(callback.searchParams.get('state'), state);
  assert.equal(callback.searchParams.get('iss'), issuer);

  // The library exchanges the code and validates the ID token (signature by JWKS).
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  assert.equal(claims.iss, issuer);
  assert.equal(claims.aud, conf.client_id);
  assert.equal(claims.nonce, nonce);
  assert.equal(claims.email, 'alice@acme.example');
  assert.equal(claims.name, 'Alice Example');
  assert.deepEqual(claims.amr, ['pwd']);
  assert.ok(claims.sid);
  assert.equal(jwtParts(tokens.id_token).header.alg, 'RS256');
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');

  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.sub, claims.sub);
  assert.equal(info.email, 'alice@acme.example');
  assert.equal(info.email_verified, true);
  assert.equal(info.name, 'Alice Example');
  assert.equal(info.groups, undefined, 'groups was not asked for');

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(refreshed.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'the refresh token rotates');
  assert.notEqual(refreshed.access_token, tokens.access_token);
  assert.equal(refreshed.claims().sub, claims.sub);
  assert.equal((await client.fetchUserInfo(config, refreshed.access_token, claims.sub)).email,
    'alice@acme.example');

  // The library's signature check is live: the same flow with the ID token's
  // signature corrupted on the wire is refused.
  const corrupting = async (url, options) => {
    const res = await tlsFetch(url, options);
    if (!String(url).endsWith('/token')) return res;
    const body = await res.json();
    const [h, p, s] = body.id_token.split('.');
    body.id_token = `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
  };
  const strict = await client.discovery(new URL(issuer), conf.client_id, conf.client_secret,
    client.ClientSecretBasic(conf.client_secret),
    { [client.customFetch]: corrupting, execute: [client.enableNonRepudiationChecks] });
  const v2 = client.randomPKCECodeVerifier();
  r = await c.get(path(client.buildAuthorizationUrl(strict, { redirect_uri: CB,
    scope: 'openid', nonce, code_challenge: await client.calculatePKCECodeChallenge(v2),
    code_challenge_method: 'S256' })));
  assert.equal(r.status, 303);
  await assert.rejects(client.authorizationCodeGrant(strict, new URL(r.headers.location),
    { pkceCodeVerifier: v2, expectedNonce: nonce, idTokenExpected: true }),
  (e) => /signature verification failed/.test(e.cause?.message));

  // RP-initiated logout ends the idgate session and returns to the registered URI.
  const cookie = c.jar.get(`__Host-idgate-${CID}`);
  assert.equal((await c.get(`/t/${CID}/session`)).status, 200);
  const endUrl = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token,
    post_logout_redirect_uri: LOGGED_OUT, state: 'bye-1' });
  r = await c.get(path(endUrl));
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `${LOGGED_OUT}?state=bye-1`);
  assert.equal((await c.get(`/t/${CID}/session`)).status, 401);
  const old = g.client();
  old.jar.set(`__Host-idgate-${CID}`, cookie);
  assert.equal((await old.get(`/t/${CID}/session`)).status, 401, 'destroyed on the server');
});

test('oauth4webapi: public client with PKCE, nonce check, ID token signature, userinfo',
  async () => {
    const opts = { [oauth.customFetch]: tlsFetch };
    const url = new URL(issuer);
    const as = await oauth.processDiscoveryResponse(url,
      await oauth.discoveryRequest(url, { ...opts, algorithm: 'oidc' }));
    assert.equal(as.issuer, issuer);
    const rp = { client_id: pub.client_id };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const au = new URL(as.authorization_endpoint);
    au.search = new URLSearchParams({ client_id: pub.client_id, redirect_uri: CB,
      response_type: 'code', scope: 'openid email groups', state, nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256' });

    const c = await signedIn('bob@acme.example');	// already signed in: straight back
    const r = await c.get(path(au));
    assert.equal(r.status, 303);
    const params = oauth.validateAuthResponse(as, rp, new URL(r.headers.location), state);
    const resp = await oauth.authorizationCodeGrantRequest(as, rp, oauth.None(), params, CB,
      verifier, opts);
    const result = await oauth.processAuthorizationCodeResponse(as, rp, resp,
      { expectedNonce: nonce, requireIdToken: true });
    await oauth.validateApplicationLevelSignature(as, resp, opts);
    const claims = oauth.getValidatedIdTokenClaims(result);
    assert.equal(claims.iss, issuer);
    assert.equal(claims.aud, pub.client_id);
    assert.equal(claims.nonce, nonce);
    assert.equal(claims.email, 'bob@acme.example');
    assert.equal(claims.name, undefined, 'profile was not asked for');
    assert.deepEqual(claims.groups, []);
    assert.equal(result.refresh_token, undefined, 'no offline_access, no refresh token');

    const info = await oauth.processUserInfoResponse(as, rp, claims.sub,
      await oauth.userInfoRequest(as, rp, result.access_token, opts));
    assert.equal(info.sub, claims.sub);
    assert.equal(info.email, 'bob@acme.example');

    // The library's checks bite: the same flow with a wrong nonce is refused.
    const r2 = await c.get(path(au));
    const p2 = oauth.validateAuthResponse(as, rp, new URL(r2.headers.location), state);
    const resp2 = await oauth.authorizationCodeGrantRequest(as, rp, oauth.None(), p2, CB,
      verifier, opts);
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, rp, resp2,
      { expectedNonce: oauth.generateRandomNonce() }), /nonce/);
  });

test('oauth4webapi: an ES256 client gets an ES256 ID token the library validates',
  async () => {
    const opts = { [oauth.customFetch]: tlsFetch };
    const url = new URL(issuer);
    const as = await oauth.processDiscoveryResponse(url,
      await oauth.discoveryRequest(url, opts));
    const rp = { client_id: es.client_id, id_token_signed_response_alg: 'ES256' };
    const verifier = oauth.generateRandomCodeVerifier();
    const nonce = oauth.generateRandomNonce();
    const c = await signedIn('bob@acme.example');
    const r = await c.get(authorizeUrl(es, { scope: 'openid profile', nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256' }));
    assert.equal(r.status, 303);
    const params = oauth.validateAuthResponse(as, rp, new URL(r.headers.location),
      oauth.expectNoState);
    const resp = await oauth.authorizationCodeGrantRequest(as, rp,
      oauth.ClientSecretPost(es.client_secret), params, CB, verifier, opts);
    const result = await oauth.processAuthorizationCodeResponse(as, rp, resp,
      { expectedNonce: nonce, requireIdToken: true });
    await oauth.validateApplicationLevelSignature(as, resp, opts);
    const { header } = jwtParts(result.id_token);
    assert.equal(header.alg, 'ES256');
    const jwks = JSON.parse((await g.client().get(`/oidc/${CID}/jwks`)).body);
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, 'the ID token names a published key');
    assert.equal(jwk.kty, 'EC');
    assert.equal(jwk.crv, 'P-256');
    assert.equal(oauth.getValidatedIdTokenClaims(result).name, 'Bob Example');
    // A client that expects RS256 refuses this token.
    const r2 = await c.get(authorizeUrl(es, { nonce, code_challenge:
      await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }));
    const p2 = oauth.validateAuthResponse(as, rp, new URL(r2.headers.location),
      oauth.expectNoState);
    const rsOnly = { ...rp, id_token_signed_response_alg: 'RS256' };
    const resp2 = await oauth.authorizationCodeGrantRequest(as, rsOnly,
      oauth.ClientSecretPost(es.client_secret), p2, CB, verifier, opts);
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, rsOnly, resp2,
      { expectedNonce: nonce }), /alg/);
  });

test('client credentials; introspection by a resource server; revocation (RFC 7009)',
  async () => {
    const opts = { [client.customFetch]: tlsFetch };
    const ccConf = await client.discovery(new URL(issuer), cc.client_id, cc.client_secret,
      undefined, opts);
    const rsConf = await client.discovery(new URL(issuer), rs.client_id, rs.client_secret,
      client.ClientSecretBasic(rs.client_secret), opts);
    const t = await client.clientCredentialsGrant(ccConf, { scope: 'openid email' });
    assert.ok(t.access_token);
    assert.equal(t.id_token, undefined);
    assert.equal(t.refresh_token, undefined);
    assert.equal(t.scope ?? '', '', 'user scopes are dropped without a user');
    assert.equal(jwtParts(t.access_token).payload.sub, cc.client_id);

    let i = await client.tokenIntrospection(rsConf, t.access_token);
    assert.equal(i.active, true);
    assert.equal(i.client_id, cc.client_id);
    assert.equal(i.sub, cc.client_id);
    assert.equal(i.iss, issuer);
    // A client that is not a resource server learns nothing of another's token.
    const otherConf = await client.discovery(new URL(issuer), other.client_id,
      other.client_secret, undefined, opts);
    assert.equal((await client.tokenIntrospection(otherConf, t.access_token)).active, false);
    // ... nor can it revoke it (200, but nothing happens).
    await client.tokenRevocation(otherConf, t.access_token);
    assert.equal((await client.tokenIntrospection(rsConf, t.access_token)).active, true);

    await client.tokenRevocation(ccConf, t.access_token);
    i = await client.tokenIntrospection(rsConf, t.access_token);
    assert.equal(i.active, false);
    assert.deepEqual(Object.keys(i), ['active'], 'nothing else about an inactive token');
    // Revoking garbage is fine too (RFC 7009 2.2).
    await client.tokenRevocation(ccConf, 'not-a-token');
  });

// ---- refusals (raw HTTP) ----

test('authorize: wrong redirect_uri and unknown client get a page, never a redirect',
  async () => {
    const c = await signedIn('alice@acme.example');
    let r = await c.get(authorizeUrl(neg, { redirect_uri: 'https://evil.example/cb' }));
    assert.equal(r.status, 400);
    assert.equal(r.headers.location, undefined);
    assert.match(r.body, /id="error-code">oidc_redirect_uri_mismatch</);
    assert.doesNotMatch(r.body, /evil\.example/);
    // a prefix or a different case is not the registered URI either
    r = await c.get(authorizeUrl(neg, { redirect_uri: `${CB}/x` }));
    assert.equal(r.status, 400);
    r = await c.get(authorizeUrl(neg, { redirect_uri: CB.toUpperCase() }));
    assert.equal(r.status, 400);
    r = await c.get(authorizeUrl({ client_id: 'no-such-client' }));
    assert.equal(r.status, 400);
    assert.equal(r.headers.location, undefined);
    assert.match(r.body, /id="error-code">oidc_unknown_client</);
  });

test('token: PKCE verifier missing or wrong is invalid_grant', async () => {
  const c = await signedIn('carol@acme.example');
  const verifier = newVerifier();
  const pkce = { code_challenge: challengeOf(verifier), code_challenge_method: 'S256' };
  let t = await exchange(neg, await codeFor(c, neg, pkce));
  assert.equal(t.status, 400);
  assert.equal(t.json.error, 'invalid_grant');
  t = await exchange(neg, await codeFor(c, neg, pkce), newVerifier());
  assert.equal(t.status, 400);
  assert.equal(t.json.error, 'invalid_grant');
  // a verifier for a code issued without a challenge: refused (downgrade)
  t = await exchange(neg, await codeFor(c, neg), verifier);
  assert.equal(t.json.error, 'invalid_grant');
  // and the right one works, so the refusals above are about PKCE
  t = await exchange(neg, await codeFor(c, neg, pkce), verifier);
  assert.equal(t.status, 200, JSON.stringify(t.json));
  assert.ok(t.json.id_token);
  assert.equal(t.headers['cache-control'], 'no-store');
});

test('token: a reused code is refused and revokes the tokens it produced', async () => {
  const c = await signedIn('carol@acme.example');
  const code = await codeFor(c, neg, { scope: 'openid offline_access' });
  const first = await exchange(neg, code);
  assert.equal(first.status, 200);
  assert.ok(first.json.refresh_token);
  assert.equal((await userinfoRaw(first.json.access_token)).status, 200);
  const second = await exchange(neg, code);
  assert.equal(second.status, 400);
  assert.equal(second.json.error, 'invalid_grant');
  const rt = await refreshRaw(neg, first.json.refresh_token);
  assert.equal(rt.status, 400);
  assert.equal(rt.json.error, 'invalid_grant');
  assert.equal((await userinfoRaw(first.json.access_token)).status, 401,
    'the access token of the replayed code is revoked too');
});

test('token: expired, unknown and other clients\' codes are invalid_grant', async () => {
  const c = await signedIn('carol@acme.example');
  // a code lives 60 s in Redis; let this one expire now instead of waiting
  const code = await codeFor(c, neg);
  const key = redisKey('oc', code);
  const ttl = await redisCommand(g.redisPort, 'TTL', key);
  assert.ok(ttl > 0 && ttl <= 60, `code TTL ${ttl}`);
  assert.equal(await redisCommand(g.redisPort, 'PEXPIRE', key, 1), 1);
  await waitFor(async () => (await redisCommand(g.redisPort, 'EXISTS', key)) === 0,
    'the code to expire');
  let t = await exchange(neg, code);
  assert.equal(t.status, 400);
  assert.equal(t.json.error, 'invalid_grant');
  t = await exchange(neg, oauth.generateRandomState());
  assert.equal(t.json.error, 'invalid_grant');
  // a code issued to neg, presented by other: refused, and gone for neg too
  const stolen = await codeFor(c, neg);
  t = await exchange(other, stolen);
  assert.equal(t.status, 400);
  assert.equal(t.json.error, 'invalid_grant');
  // the right client with another redirect_uri
  t = await exchange(neg, await codeFor(c, neg), undefined, { redirect_uri: `${RP}/other` });
  assert.equal(t.json.error, 'invalid_grant');
});

test('token: wrong client secret is 401 invalid_client', async () => {
  const c = await signedIn('carol@acme.example');
  const code = await codeFor(c, neg);
  let t = await tokenRaw({ grant_type: 'authorization_code', code, redirect_uri: CB },
    basic(neg.client_id, 'x'.repeat(43)));
  assert.equal(t.status, 401);
  assert.equal(t.json.error, 'invalid_client');
  assert.match(t.headers['www-authenticate'], /^Basic /);
  t = await tokenRaw({ grant_type: 'authorization_code', code, redirect_uri: CB,
    client_id: neg.client_id, client_secret: other.client_secret });
  assert.equal(t.status, 401);
  assert.equal(t.json.error, 'invalid_client');
  // no secret at all for a confidential client
  t = await tokenRaw({ grant_type: 'authorization_code', code, redirect_uri: CB,
    client_id: neg.client_id });
  assert.equal(t.status, 401);
  // the code was not spent by the failed attempts
  t = await exchange(neg, code);
  assert.equal(t.status, 200, JSON.stringify(t.json));
});

test('authorize: a public client without PKCE gets an error redirect', async () => {
  const c = await signedIn('carol@acme.example');
  const r = await c.get(authorizeUrl(negPub, { state: 's-1' }));
  assert.equal(r.status, 303);
  const q = query(r.headers.location);
  assert.equal(q.error, 'invalid_request');
  assert.equal(q.state, 's-1');
  assert.equal(q.iss, issuer);
  assert.equal(q.code, undefined);
  // plain is not S256
  const r2 = await c.get(authorizeUrl(negPub, { code_challenge: challengeOf(newVerifier()),
    code_challenge_method: 'plain' }));
  assert.equal(query(r2.headers.location).error, 'invalid_request');
});

// Signs a JWS with node:crypto: RS256 by an RSA key, HS256 by a secret.
function forge(header, payload, { rsaKey, hmacKey } = {}) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  let sig = '';
  if (rsaKey) sig = cryptoSign('sha256', Buffer.from(input), rsaKey).toString('base64url');
  if (hmacKey) sig = createHmac('sha256', hmacKey).update(input).digest('base64url');
  return `${input}.${sig}`;
}

test('userinfo and end_session refuse tampered, foreign-key, HS256 and none tokens',
  async () => {
    const c = await signedIn('erin@acme.example');
    const t = await exchange(neg, await codeFor(c, neg, { scope: 'openid email' }));
    assert.equal(t.status, 200);
    const at = t.json.access_token;
    assert.equal((await userinfoRaw(at)).status, 200, 'the genuine token works');
    const { header, payload, sig } = jwtParts(at);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.typ, 'at+jwt');

    const refused = async (token, why) => {
      const r = await userinfoRaw(token);
      assert.equal(r.status, 401, why);
      assert.match(r.headers['www-authenticate'], /^Bearer .*error="invalid_token"/, why);
    };
    // another user's uid with the original signature
    const bob = { ...payload, uid: payload.uid + 1, sub: 'someone-else' };
    await refused(`${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(bob))}.${sig}`,
      'tampered payload');
    // signed by a key of our own, under the provider's kid
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await refused(forge(header, payload, { rsaKey: privateKey }), 'foreign key');
    // alg confusion: HS256 keyed with the published RSA key's PEM
    const jwks = JSON.parse((await g.client().get(`/oidc/${CID}/jwks`)).body);
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk);
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki',
      format: 'pem' });
    await refused(forge({ ...header, alg: 'HS256' }, payload, { hmacKey: pem }), 'HS256');
    await refused(forge({ ...header, alg: 'none' }, payload), 'alg none');
    await refused(forge({ ...header, alg: 'none' }, payload) + 'AAAA', 'alg none, any sig');
    // an ID token is not an access token
    await refused(t.json.id_token, 'ID token at userinfo');
    const noBearer = await g.client().get(`/oidc/${CID}/userinfo`);
    assert.equal(noBearer.status, 401);

    // end_session: an HS256 id_token_hint is refused and the session stays
    const idt = jwtParts(t.json.id_token);
    const idJwk = jwks.keys.find((k) => k.kid === idt.header.kid);
    const idPem = createPublicKey({ key: idJwk, format: 'jwk' }).export({ type: 'spki',
      format: 'pem' });
    for (const hint of [forge({ ...idt.header, alg: 'HS256' }, idt.payload, { hmacKey: idPem }),
      forge({ ...idt.header, alg: 'none' }, idt.payload),
      forge(idt.header, idt.payload, { rsaKey: privateKey })]) {
      const r = await c.get(`/oidc/${CID}/end_session?` + new URLSearchParams({
        id_token_hint: hint, post_logout_redirect_uri: LOGGED_OUT }));
      assert.equal(r.status, 400);
      assert.equal(r.headers.location, undefined);
      assert.match(r.body, /id="error-code">oidc_invalid_id_token_hint</);
    }
    assert.equal((await c.get(`/t/${CID}/session`)).status, 200, 'still signed in');
    // the genuine hint with an unregistered post-logout URI is refused as well
    const bad = await c.get(`/oidc/${CID}/end_session?` + new URLSearchParams({
      id_token_hint: t.json.id_token, post_logout_redirect_uri: 'https://evil.example/' }));
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.location, undefined);
    assert.equal((await c.get(`/t/${CID}/session`)).status, 200, 'still signed in');
  });

test('refresh: reuse after the grace window revokes the whole family', async () => {
  const c = await signedIn('frank@acme.example');
  const t = await exchange(neg, await codeFor(c, neg, { scope: 'openid offline_access' }));
  const rt1 = t.json.refresh_token;
  const a = await refreshRaw(neg, rt1);
  assert.equal(a.status, 200);
  const rt2 = a.json.refresh_token;
  assert.notEqual(rt2, rt1);
  // within the grace window a concurrent refresh gets a sibling, no logout
  const b = await refreshRaw(neg, rt1);
  assert.equal(b.status, 200, JSON.stringify(b.json));
  await sleep(11000);	// REFRESH_GRACE_S is 10
  const reuse = await refreshRaw(neg, rt1);
  assert.equal(reuse.status, 400);
  assert.equal(reuse.json.error, 'invalid_grant');
  for (const newer of [rt2, b.json.refresh_token]) {
    const r = await refreshRaw(neg, newer);
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'invalid_grant', 'the family is revoked');
  }
  assert.equal((await userinfoRaw(a.json.access_token)).status, 401);
});

test('a user not assigned to the client gets access_denied', async () => {
  const c = await signedIn('grace@acme.example');
  const r = await c.get(authorizeUrl(unassigned, { state: 's-2' }));
  assert.equal(r.status, 303);
  const q = query(r.headers.location);
  assert.equal(q.error, 'access_denied');
  assert.equal(q.state, 's-2');
  assert.equal(q.code, undefined);
});

test('a suspended user can no longer refresh', async () => {
  const c = await signedIn('heidi@acme.example');
  const t = await exchange(neg, await codeFor(c, neg, { scope: 'openid offline_access' }));
  assert.equal(t.status, 200);
  const s = await g.cli(['user', 'suspend', '--tenant', CID, 'heidi@acme.example']);
  assert.equal(s.code, 0, s.stderr);
  // the running gateway sees the suspension within its directory refresh
  await waitFor(async () => (await userinfoRaw(t.json.access_token)).status === 401,
    'userinfo to refuse the suspended user');
  // each worker refreshes its own snapshot (every 200 ms): let the other catch up
  await sleep(600);
  const r = await refreshRaw(neg, t.json.refresh_token);
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_grant');
});

test('prompt=none without a session is login_required', async () => {
  const r = await g.client().get(authorizeUrl(neg, { prompt: 'none', state: 's-3' }));
  assert.equal(r.status, 303);
  const q = query(r.headers.location);
  assert.equal(q.error, 'login_required');
  assert.equal(q.state, 's-3');
  assert.ok(r.headers.location.startsWith(`${CB}?`));
  // with a session it answers with a code, no page in between
  const c = await signedIn('carol@acme.example');
  const r2 = await c.get(authorizeUrl(neg, { prompt: 'none' }));
  assert.ok(query(r2.headers.location).code);
});

test('form_post answers with an auto-submitting form limited to the RP origin',
  async () => {
    const c = await signedIn('carol@acme.example');
    const r = await c.get(authorizeUrl(neg, { response_mode: 'form_post', state: 'a"<b' }));
    assert.equal(r.status, 200);
    assert.equal(r.headers.location, undefined);
    assert.match(r.headers['content-type'], /^text\/html/);
    const csp = r.headers['content-security-policy'];
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/))
      .map(([k, ...v]) => [k, v]));
    assert.deepEqual(directives['form-action'], [RP]);
    assert.deepEqual(directives['default-src'], ["'none'"]);
    const form = r.body.match(/<form method="post" action="([^"]+)">/);
    assert.ok(form, r.body);
    assert.equal(form[1], CB);
    const script = r.body.match(/<script>([^<]*)<\/script>/)[1];
    assert.match(script, /submit\(\)/);
    const hash = createHash('sha256').update(script).digest('base64');
    assert.deepEqual(directives['script-src'], [`'sha256-${hash}'`]);
    assert.equal(inputValue(r.body, 'state'), 'a"<b', 'state escaped and intact');
    assert.equal(inputValue(r.body, 'iss'), issuer);
    assert.doesNotMatch(r.body, /a"<b/);
    const code = inputValue(r.body, 'code');
    assert.equal((await exchange(neg, code)).status, 200, 'the posted code is real');
    // an error goes by form_post too
    const e = await g.client().get(authorizeUrl(neg, { response_mode: 'form_post',
      prompt: 'none' }));
    assert.equal(e.status, 200);
    assert.equal(inputValue(e.body, 'error'), 'login_required');
  });

// ---- regressions of bugs found by these tests ----

test('an over-long authorization request is refused at the RP, not lost at sign-in', async () => {
    const r = await g.client().get(authorizeUrl(neg, { state: 's'.repeat(2000) }));
    assert.equal(r.status, 303);
    assert.ok(r.headers.location.startsWith(`${CB}?`), r.headers.location.slice(0, 80));
    assert.equal(query(r.headers.location).error, 'invalid_request');
  });

test('end_session with another user\'s id_token_hint does not end this session',
  async () => {
    const a = await signedIn('erin@acme.example');
    const t = await exchange(neg, await codeFor(a, neg));
    const victim = await signedIn('grace@acme.example');
    await victim.get(`/oidc/${CID}/end_session?` + new URLSearchParams({
      id_token_hint: t.json.id_token, post_logout_redirect_uri: LOGGED_OUT }));
    assert.equal((await victim.get(`/t/${CID}/session`)).status, 200);
  });

test('a replayed code revokes the access token it produced even without offline_access',
  async () => {
    const c = await signedIn('erin@acme.example');
    const code = await codeFor(c, neg);
    const first = await exchange(neg, code);
    assert.equal(first.status, 200);
    assert.equal((await exchange(neg, code)).json.error, 'invalid_grant');
    assert.equal((await userinfoRaw(first.json.access_token)).status, 401);
  });

test('end_session without state returns to the registered URI exactly', async () => {
    const c = await signedIn('erin@acme.example');
    const t = await exchange(neg, await codeFor(c, neg));
    const r = await c.get(`/oidc/${CID}/end_session?` + new URLSearchParams({
      id_token_hint: t.json.id_token, post_logout_redirect_uri: LOGGED_OUT }));
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, LOGGED_OUT);
  });

test('clients with an initiate-login URI appear on the assigned user\'s portal', async () => {
  const cl = await addClient('Expense Reports', ['--redirect-uri', CB,
    '--initiate-login-uri', 'https://rp.example/login'], ['erin@acme.example']);
  await known(cl);
  const erin = await signedIn('erin@acme.example');
  const page = await erin.get(`/t/${CID}/portal`);
  assert.equal(page.status, 200);
  assert.match(page.body, /Expense Reports/);
  const issuer = encodeURIComponent(`https://127.0.0.1:${g.port}/oidc/${CID}`);
  assert.ok(page.body.includes(`https://rp.example/login?iss=${issuer}`), 'launch link with iss');
  // not for a user the client is not assigned to
  const grace = await signedIn('grace@acme.example');
  assert.doesNotMatch((await grace.get(`/t/${CID}/portal`)).body, /Expense Reports/);
});

function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

test('subjects: public is stable across clients, pairwise differs per sector', async () => {
  const other = 'https://other-rp.example/cb';
  const pub1 = await addClient('pub-1', ['--redirect-uri', CB], ['alice@acme.example']);
  const pub2 = await addClient('pub-2', ['--redirect-uri', CB], ['alice@acme.example']);
  const pw1 = await addClient('pair-1', ['--redirect-uri', CB, '--pairwise'], ['alice@acme.example']);
  const pw2 = await addClient('pair-2', ['--redirect-uri', other, '--pairwise'],
    ['alice@acme.example']);
  await known(pw2, other);
  const c = await signedIn('alice@acme.example');
  const sub = async (cl, redirect = CB) => {
    const r = await c.get(`/oidc/${CID}/authorize?` + new URLSearchParams({ client_id: cl.client_id,
      redirect_uri: redirect, response_type: 'code', scope: 'openid' }));
    const code = query(r.headers.location).code;
    const t = await tokenRaw({ grant_type: 'authorization_code', code, redirect_uri: redirect },
      basic(cl.client_id, cl.client_secret));
    assert.equal(t.status, 200, JSON.stringify(t.json));
    return claimsOf(t.json.id_token).sub;
  };
  const s1 = await sub(pub1), s2 = await sub(pub2), p1 = await sub(pw1), p2 = await sub(pw2, other);
  assert.equal(s1, s2, 'public subject is the same for every client');
  assert.notEqual(p1, s1, 'pairwise subject differs from the public one');
  assert.notEqual(p1, p2, 'pairwise subject differs between sectors');
  assert.equal(await sub(pw1), p1, 'pairwise subject is stable');
});

test('max_age: an older authentication sends the user to sign in again', async () => {
  const cl = await addClient('max-age', ['--redirect-uri', CB], ['alice@acme.example']);
  await known(cl);
  const c = await signedIn('alice@acme.example');
  await sleep(1100);
  const r = await c.get(authorizeUrl(cl, { max_age: '0', nonce: 'n' }));
  assert.equal(r.status, 303);
  assert.ok(r.headers.location.startsWith(`/t/${CID}/login?return=`), r.headers.location);
  // with a generous max_age the session is fresh enough
  const ok = await c.get(authorizeUrl(cl, { max_age: '3600' }));
  assert.ok(query(ok.headers.location).code);
  // prompt=none cannot re-authenticate: login_required
  const none = await c.get(authorizeUrl(cl, { max_age: '0', prompt: 'none' }));
  assert.equal(query(none.headers.location).error, 'login_required');
  // the auth_time claim is present for the RP to check
  const t = await exchange(cl, query(ok.headers.location).code);
  assert.ok(claimsOf(t.json.id_token).auth_time <= Math.floor(Date.now() / 1000) - 1);
});
