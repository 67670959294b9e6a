// saml.test.mjs - idgate as a tenant's SAML 2.0 IdP against two independent,
// real service-provider implementations (pysaml2 from Debian and
// @node-saml/node-saml from npm, see sp/), each validating our Responses
// with its own code: SP-initiated SSO over HTTP-Redirect and HTTP-POST,
// IdP-initiated SSO from the portal, the NameID and attributes as
// configured, single logout started by an SP (propagated to the other SP)
// and from the portal. Then the refusals, with requests made here: an
// unregistered ACS URL, an unknown SP, an unsigned request where signing is
// required, a tampered signature, a replayed request, an expired
// IssueInstant, an oversized message, malformed base64/DEFLATE/XML, a DTD,
// a user not assigned to the app and a suspended user.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gateway, Client, waitFor, sleep } from './harness.mjs';
import { startSp, parseForm, submitForm, request, decodeSaml, SP_KINDS } from './sp/sp.mjs';

const PW = 'Corr3ct-horse!';
const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
let g;
const sps = {};
let idpBase;

async function cliOk(args) {
  const r = await g.cli(args);
  assert.equal(r.code, 0, `idgate ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// Follows our own redirects with client c (cookies kept) until the answer
// leaves idgate (a form page or a redirect elsewhere). Signs in on the way
// when the sign-in page shows up.
async function through(c, url, { email, password = PW } = {}) {
  let loc = url;
  for (let hops = 0; hops < 10; hops++) {
    const u = new URL(loc, idpBase);
    if (u.origin !== idpBase) return { status: 302, location: u.href };
    if (u.pathname === '/t/acme/login' && email) {
      // The sign-in page on the way: sign in (its form carries the return path).
      const page = await c.get(u.pathname + u.search);
      const form = parseForm(page.body);
      const s = await c.post('/t/acme/login', { ...form.fields, email, password });
      assert.equal(s.status, 303, g.explain(s));
      loc = s.headers.location;
      email = undefined;
      continue;
    }
    const r = await c.get(u.pathname + u.search);
    if (r.status !== 303 && r.status !== 302) return r;
    loc = r.headers.location;
  }
  throw new Error(`too many redirects from ${url}`);
}

// SP-initiated SSO through the SP's own /login; returns the SP's verdict.
async function spLogin(sp, c, { binding, relay, email } = {}) {
  const start = await sp.get(`/login?${new URLSearchParams({ binding, relay })}`);
  let page;
  if (start.status === 302) {
    assert.ok(start.headers.location.startsWith(`${idpBase}/saml/acme/sso?`),
      start.headers.location);
    page = await through(c, start.headers.location, { email });
  } else {
    const form = parseForm(start.body);
    assert.equal(form.action, `${idpBase}/saml/acme/sso`);
    const u = new URL(form.action);
    let r = await c.post(u.pathname, form.fields);
    if (r.status === 303) r = await through(c, r.headers.location, { email });
    page = r;
  }
  assert.equal(page.status, 200, g.explain(page));
  assert.match(page.headers['content-security-policy'], /script-src 'sha256-/);
  const form = parseForm(page.body);
  assert.equal(form.action, `${sp.url}/acs`);
  const verdict = await submitForm(form);
  return { verdict: JSON.parse(verdict.body), status: verdict.status, form };
}

before(async () => {
  g = await new Gateway({ workers: 2, accountRate: 1000 }).setup();
  idpBase = `https://127.0.0.1:${g.port}`;
  await g.tenant('acme');
  for (const u of ['alice', 'bob', 'carol'])
    assert.equal((await g.user('acme', `${u}@acme.example`, PW, u)).code, 0);
  await cliOk(['group', 'add', '--tenant', 'acme', 'staff']);
  await cliOk(['group', 'add-member', '--tenant', 'acme', 'staff', 'carol@acme.example']);
  await cliOk(['saml', 'key', 'rotate', '--tenant', 'acme']);
  await g.start();
  const md = await g.client().get('/saml/acme/metadata');
  assert.equal(md.status, 200);
  writeFileSync(join(g.dir, 'idp.xml'), md.body);
  for (const kind of SP_KINDS) {
    const sp = await startSp(kind, { entity_id: `https://sp.example/${kind}`,
      idp_metadata: join(g.dir, 'idp.xml'), sign_requests: true, allow_unsolicited: true,
      name_id_format: EMAIL });
    writeFileSync(join(g.dir, `${kind}.xml`), await sp.metadata());
    await cliOk(['saml', 'app', 'add', '--tenant', 'acme', '--app-id', kind, '--name',
      `${kind} app`, '--metadata', join(g.dir, `${kind}.xml`), '--nameid', 'email',
      '--attribute', 'mail=email', '--attribute', 'displayName=display_name',
      '--attribute', 'groups=groups']);
    await cliOk(['saml', 'app', 'assign', '--tenant', 'acme', kind, '--user',
      'alice@acme.example']);
    await cliOk(['saml', 'app', 'assign', '--tenant', 'acme', kind, '--group', 'staff']);
    sps[kind] = sp;
  }
  // An SP registered from fields whose requests this test writes by hand.
  await cliOk(['saml', 'app', 'add', '--tenant', 'acme', '--app-id', 'raw', '--name', 'Raw',
    '--entity-id', 'https://raw.example/sp', '--acs', 'https://raw.example/acs',
    '--nameid', 'persistent']);
  await cliOk(['saml', 'app', 'assign', '--tenant', 'acme', 'raw', '--user',
    'alice@acme.example']);
  await cliOk(['saml', 'app', 'assign', '--tenant', 'acme', 'raw', '--user',
    'carol@acme.example']);
  // The workers see the apps once the directory is reloaded.
  await waitFor(async () => (await g.client().get('/saml/acme/sso?SAMLRequest=x')).status === 400,
    'the SAML apps reach the workers');
});

after(async () => {
  for (const sp of Object.values(sps)) await sp.stop();
  await g?.teardown();
});

test('IdP metadata: entity ID, both SSO and SLO bindings, an RSA signing key', async () => {
  const md = (await g.client().get('/saml/acme/metadata')).body;
  assert.match(md, new RegExp(`entityID="${idpBase}/saml/acme"`));
  for (const b of ['HTTP-Redirect', 'HTTP-POST']) {
    assert.match(md, new RegExp(`SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${b}" Location="${idpBase}/saml/acme/sso"`));
    assert.match(md, new RegExp(`SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${b}" Location="${idpBase}/saml/acme/slo"`));
  }
  assert.match(md, /KeyDescriptor use="signing"/);
});

for (const kind of SP_KINDS) {
  describe(`${kind} SP`, () => {
    let c;
    test('SP-initiated SSO over HTTP-Redirect: sign-in, then a signed Response the SP accepts', async () => {
      c = g.client();
      const { verdict } = await spLogin(sps[kind], c, { binding: 'redirect', relay: 'R-1',
        email: 'alice@acme.example' });
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
      assert.equal(verdict.name_id, 'alice@acme.example');
      assert.equal(verdict.name_id_format, EMAIL);
      assert.equal(verdict.relay_state, 'R-1');
      assert.ok(verdict.in_response_to, 'InResponseTo');
      assert.equal(verdict.issuer, `${idpBase}/saml/acme`);
      assert.deepEqual(verdict.attributes.mail, ['alice@acme.example']);
      assert.deepEqual(verdict.attributes.displayName, ['alice']);
      assert.ok(verdict.session_index);
    });

    test('SP-initiated SSO over HTTP-POST with the session: no sign-in, RelayState unchanged', async () => {
      const relay = 'x'.repeat(100) + '&<>"';
      const { verdict, form } = await spLogin(sps[kind], c, { binding: 'post', relay });
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
      assert.equal(verdict.relay_state, relay);
      const xml = decodeSaml(form.fields.SAMLResponse);
      assert.match(xml, /SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"/);
      assert.match(xml, /DigestMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmlenc#sha256"/);
      assert.doesNotMatch(xml, /rsa-sha1|xmldsig#sha1/);
      assert.match(xml, /AudienceRestriction/);
    });

    test('IdP-initiated SSO from the portal', async () => {
      const portal = await c.get('/t/acme/portal');
      assert.match(portal.body, new RegExp(`/t/acme/apps/${kind}/launch`));
      const page = await c.get(`/t/acme/apps/${kind}/launch`);
      assert.equal(page.status, 200, g.explain(page));
      const verdict = JSON.parse((await submitForm(parseForm(page.body))).body);
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
      assert.equal(verdict.name_id, 'alice@acme.example');
      assert.ok(!verdict.in_response_to, 'unsolicited');
    });
  });
}

// One signature where the SP asks for one, and assertions encrypted to the
// SP: a second app per SP kind with `--sign response --encrypt`, whose SP
// wants only the Response signed and decrypts the assertion with its key.
for (const kind of SP_KINDS) {
  test(`${kind}: Response signed alone, assertion encrypted to the SP`, async () => {
    const sp = await startSp(kind, { entity_id: `https://sp.example/${kind}-enc`,
      idp_metadata: join(g.dir, 'idp.xml'), sign_requests: true, name_id_format: EMAIL,
      want_assertions_signed: false, want_response_signed: true, decrypt: true });
    try {
      const md = join(g.dir, `${kind}-enc.xml`);
      writeFileSync(md, await sp.metadata());
      await cliOk(['saml', 'app', 'add', '--tenant', 'acme', '--app-id', `${kind}-enc`,
        '--name', `${kind} encrypted`, '--metadata', md, '--nameid', 'email',
        '--attribute', 'mail=email', '--sign', 'response', '--encrypt']);
      await cliOk(['saml', 'app', 'assign', '--tenant', 'acme', `${kind}-enc`, '--user',
        'alice@acme.example']);
      const c = g.client();
      const portal = await through(c, '/t/acme/portal', { email: 'alice@acme.example' });
      assert.equal(portal.status, 200, g.explain(portal));
      let res;
      await waitFor(async () => {
        res = await spLogin(sp, c, { binding: 'post', relay: 'E' });
        return true;
      }, 'the workers see the new app');
      const { verdict, form } = res;
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
      assert.equal(verdict.name_id, 'alice@acme.example');
      assert.deepEqual(verdict.attributes.mail, ['alice@acme.example']);
      const xml = decodeSaml(form.fields.SAMLResponse);
      assert.match(xml, /<saml:EncryptedAssertion>/);
      assert.doesNotMatch(xml, /<saml:Assertion[ >]/, 'no assertion in clear');
      assert.match(xml, /rsa-oaep-mgf1p/);
      assert.equal(xml.match(/<SignatureValue>/g)?.length, 1, 'one signature: the Response');
    } finally {
      await sp.stop();
    }
  });
}

test('single logout from one SP ends the session and is propagated to the other SP', async () => {
  const c = g.client();
  const [a, b] = SP_KINDS;
  assert.equal((await spLogin(sps[a], c, { binding: 'redirect', relay: 'L',
    email: 'carol@acme.example' })).verdict.ok, true);
  assert.equal((await spLogin(sps[b], c, { binding: 'redirect', relay: 'L' })).verdict.ok, true);
  const start = await sps[a].get('/logout');
  assert.equal(start.status, 302, start.body);
  // idgate -> the other SP (our LogoutRequest) -> idgate -> the first SP (our LogoutResponse)
  let loc = start.headers.location;
  let last;
  for (let hops = 0; hops < 8; hops++) {
    const u = new URL(loc);
    if (u.origin === idpBase) {
      const r = await c.get(u.pathname + u.search);
      if (r.status === 200) {
        const f = parseForm(r.body);
        last = await submitForm(f);
        if (last.status === 302) { loc = last.headers.location; continue; }
        break;
      }
      assert.ok(r.status === 303 || r.status === 302, g.explain(r));
      loc = r.headers.location;
    } else {
      last = await request('GET', loc);
      if (last.status === 302) { loc = last.headers.location; continue; }
      break;
    }
  }
  assert.equal(last.status, 200, last.body);
  const done = JSON.parse(last.body);
  assert.equal(done.ok, true, last.body);
  assert.equal(done.kind, 'logout_response');
  const other = await sps[b].state();
  assert.ok(other.logouts.some((l) => l.kind === 'logout_request' && l.signed),
    'the other SP got a signed LogoutRequest');
  assert.equal((await c.get('/t/acme/portal')).status, 303, 'the idgate session ended');
});

test('sign-out from the portal tells the SPs the session used', async () => {
  const c = g.client();
  const kind = SP_KINDS[0];
  assert.equal((await spLogin(sps[kind], c, { binding: 'post', relay: 'P',
    email: 'alice@acme.example' })).verdict.ok, true);
  const before = (await sps[kind].state()).logouts.length;
  const portal = await c.get('/t/acme/portal');
  const out = await c.post('/t/acme/logout', { csrf: Client.csrf(portal.body) });
  assert.equal(out.status, 303, g.explain(out));
  const toSp = await request('GET', out.headers.location);
  assert.equal(toSp.status, 302, 'the SP answers with its LogoutResponse');
  const back = new URL(toSp.headers.location);
  const fin = await c.get(back.pathname + back.search);
  assert.equal(fin.status, 303);
  assert.match(fin.headers.location, /\/t\/acme\/login$/);
  assert.equal((await sps[kind].state()).logouts.length, before + 1);
});

// ---- requests written by hand (the "raw" app: no signature required) ----

const isoNow = (d = 0) => new Date(Date.now() + d * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
function authnXml({ issuer = 'https://raw.example/sp', acs = 'https://raw.example/acs',
  id = `_${randomBytes(16).toString('hex')}`, instant = isoNow(), extra = '' } = {}) {
  return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ` +
    `xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" ` +
    `IssueInstant="${instant}" Destination="${idpBase}/saml/acme/sso" ` +
    `AssertionConsumerServiceURL="${acs}" ` +
    `ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">` +
    `<saml:Issuer>${issuer}</saml:Issuer>${extra}</samlp:AuthnRequest>`;
}
const redirectQuery = (xml) => 'SAMLRequest=' +
  encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'));

async function signedInAs(email) {
  const c = g.client();
  assert.equal((await c.login('acme', email, PW)).status, 303);
  return c;
}

test('a hand-written request gets a Response with a persistent NameID, stable and per app', async () => {
  const c = await signedInAs('alice@acme.example');
  const r1 = await c.post('/saml/acme/sso', { SAMLRequest: Buffer.from(authnXml()).toString('base64') });
  assert.equal(r1.status, 200, g.explain(r1));
  const f1 = parseForm(r1.body);
  assert.equal(f1.action, 'https://raw.example/acs');
  const x1 = decodeSaml(f1.fields.SAMLResponse);
  const id1 = x1.match(/<saml:NameID[^>]*Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"[^>]*>([^<]+)</)?.[1];
  assert.ok(id1, x1);
  const r2 = await c.get(`/saml/acme/sso?${redirectQuery(authnXml())}`);
  const id2 = decodeSaml(parseForm(r2.body).fields.SAMLResponse)
    .match(/nameid-format:persistent"[^>]*>([^<]+)</)?.[1];
  assert.equal(id2, id1, 'the same opaque ID each time');
  assert.notEqual(id1, 'alice@acme.example');
});

test('Redis hung or stopped during an SSO: a clear 503, no Response; SSO works again after', async () => {
  const post = (c) => c.post('/saml/acme/sso',
    { SAMLRequest: Buffer.from(authnXml()).toString('base64') });
  const refused = (r, what) => {
    assert.equal(r.status, 503, `${what}: ${g.explain(r)}`);
    assert.match(r.body, /session_store_unavailable/, what);
    assert.doesNotMatch(r.body, /SAMLResponse/, what);
  };
  const c = await signedInAs('alice@acme.example');
  // Hung: the replay check and the session read both time out.
  g.redis.pause();
  try {
    refused(await post(c), 'hung');
  } finally {
    g.redis.resume();
  }
  // Stopped: the replay check cannot even be sent.
  await g.redis.stop();
  try {
    await sleep(300);
    refused(await post(c), 'stopped');
  } finally {
    await g.redis.start();
  }
  // The sessions went with that Redis: sign in again, then SSO answers.
  let r;
  for (let i = 0; i < 100; i++) {
    const again = g.client();
    if ((await again.login('acme', 'alice@acme.example', PW)).status === 303 &&
        (r = await post(again)).status === 200) break;
    await sleep(100);
  }
  assert.equal(r?.status, 200, r && g.explain(r));
  assert.match(decodeSaml(parseForm(r.body).fields.SAMLResponse), /status:Success/);
});

test('refused requests: unknown SP, unregistered ACS, expired, oversized, malformed, DTD, replay', async () => {
  const c = await signedInAs('alice@acme.example');
  const post = (xml) => c.post('/saml/acme/sso', { SAMLRequest: Buffer.from(xml).toString('base64') });
  // Nothing goes to a URL the SP did not register: a page, never a form.
  for (const [what, xml] of [
    ['unknown SP', authnXml({ issuer: 'https://nobody.example/sp' })],
    ['unregistered ACS', authnXml({ acs: 'https://evil.example/acs' })],
  ]) {
    const r = await post(xml);
    assert.equal(r.status, 400, `${what}: ${g.explain(r)}`);
    assert.doesNotMatch(r.body, /evil\.example|<form[^>]*action="https:\/\/raw/, what);
  }
  // Known SP and ACS: a SAML error Response (Requester) goes back to it.
  const old = await post(authnXml({ instant: isoNow(-3600) }));
  if (old.status === 200) {
    assert.match(decodeSaml(parseForm(old.body).fields.SAMLResponse),
      /StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"/);
  } else assert.equal(old.status, 400);
  // Over the gateway's body limit (413), or over the SAML cap before decoding (400).
  assert.ok([400, 413].includes((await c.post('/saml/acme/sso',
    { SAMLRequest: 'A'.repeat(70000) })).status));
  assert.equal((await c.get('/saml/acme/sso?SAMLRequest=' + 'A'.repeat(7000))).status, 400);
  assert.equal((await c.post('/saml/acme/sso', { SAMLRequest: '%%%not base64' })).status, 400);
  assert.equal((await c.get('/saml/acme/sso?SAMLRequest=' +
    encodeURIComponent(Buffer.from('not deflate').toString('base64')))).status, 400);
  assert.equal((await post('<samlp:AuthnRequest')).status, 400);
  const dtd = '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' +
    authnXml({ extra: '<x>&b;</x>' });
  assert.equal((await post(dtd)).status, 400);
  // Replay: the same request twice; the second is refused.
  const xml = authnXml();
  assert.equal((await post(xml)).status, 200);
  const again = await post(xml);
  assert.equal(again.status, 400);
  assert.match(again.body, /saml_replayed/);
});

test('an unsigned request is refused where the SP must sign, and so is a tampered signature', async () => {
  const c = await signedInAs('alice@acme.example');
  const kind = SP_KINDS[0];
  const r = await c.post('/saml/acme/sso', { SAMLRequest: Buffer.from(authnXml({
    issuer: sps[kind].entityId, acs: `${sps[kind].url}/acs` })).toString('base64') });
  if (r.status === 200) {
    const v = JSON.parse((await submitForm(parseForm(r.body))).body);
    assert.equal(v.ok, false, 'the SP gets an error status, not an assertion');
  } else assert.equal(r.status, 400, g.explain(r));
  const start = await sps[kind].get('/login?binding=redirect&relay=T');
  const u = new URL(start.headers.location);
  const sig = u.searchParams.get('Signature');
  u.searchParams.set('Signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
  const t = await c.get(u.pathname + '?' + u.searchParams.toString());
  if (t.status === 200) {
    const v = JSON.parse((await submitForm(parseForm(t.body))).body);
    assert.equal(v.ok, false);
  } else assert.equal(t.status, 400, g.explain(t));
});

test('a user not assigned to the app and a suspended user get no assertion', async () => {
  const bob = await signedInAs('bob@acme.example');
  const r = await bob.post('/saml/acme/sso', { SAMLRequest: Buffer.from(authnXml()).toString('base64') });
  assert.equal(r.status, 403);
  assert.match(r.body, /saml_not_assigned/);
  const carol = await signedInAs('carol@acme.example');
  await cliOk(['user', 'suspend', '--tenant', 'acme', 'carol@acme.example']);
  await waitFor(async () => {
    const s = await carol.post('/saml/acme/sso', { SAMLRequest: Buffer.from(authnXml()).toString('base64') });
    return s.status === 303 && /\/t\/acme\/login/.test(s.headers.location);
  }, 'the suspended user is sent to sign in again');
  const again = g.client();
  const page = await again.get('/t/acme/login');
  const s = await again.post('/t/acme/login', { email: 'carol@acme.example', password: PW,
    csrf: Client.csrf(page.body) });
  assert.equal(s.status, 401, 'a suspended user cannot sign in');
});

test('metering: every SAML SSO is in the audit log and counts the user active', async () => {
  const ev = JSON.parse(await cliOk(['audit', 'list', '--tenant', 'acme', '--limit', '1000',
    '--json']));
  const ok = ev.filter((e) => e.action === 'sso.saml' && e.result === 'ok');
  assert.ok(ok.length >= 6, `${ok.length} SAML SSO events`);
  assert.ok(ev.some((e) => e.action === 'sso.saml' && e.result === 'not_assigned'));
  assert.ok(ev.some((e) => e.action === 'sso.saml' && e.result === 'saml_replayed'));
});
