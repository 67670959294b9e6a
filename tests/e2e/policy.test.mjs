// policy.test.mjs - access policies and TOTP through the real gateway:
// sign-in refused from a network or at an hour the policy excludes, a TOTP
// step required (enrolment with QR code, then verification), a replayed code
// refused, recovery codes, the tenant-wide TOTP switch, per-app rules at
// OIDC authorization and at an IdP-initiated SAML launch (resumed after the
// step), and the admin's MFA reset.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gateway, Client, sleep, inputValue, redisCommand } from './harness.mjs';

const PW = 'Corr3ct-horse!';
const CID = 'pol';
let g;

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) from the base32 key the page shows.
function totp(base32, t = Date.now() / 1000) {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of base32.replace(/[\s=-]/g, '').toUpperCase())
    bits += alpha.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

async function setPolicy(text) {
  const f = join(g.dir, 'policy.txt');
  writeFileSync(f, text);
  const r = await g.cli(['policy', 'set', '--tenant', CID, f]);
  assert.equal(r.code, 0, r.stderr);
  await settle();
}

// Both workers reload their directory every 200 ms (test config); the reload
// waits in the work pool behind password hashing, so under a loaded CI
// machine allow well over that. A wait for a change to arrive, not a timing
// under test.
const settle = () => sleep(1500);

function errorCode(html) {
  return html.match(/id="error-code"[^>]*>([^<]*)</)?.[1]?.trim();
}

before(async () => {
  g = await new Gateway().setup();
  await g.tenant(CID);
  for (const u of ['amy', 'ben', 'cat', 'dan', 'eve'])
    assert.equal((await g.user(CID, `${u}@pol.example`, PW)).code, 0);
  assert.equal((await g.cli(['group', 'add', '--tenant', CID, 'admins'])).code, 0);
  for (const u of ['cat', 'dan'])
    assert.equal((await g.cli(['group', 'add-member', '--tenant', CID, 'admins',
      `${u}@pol.example`])).code, 0);
  await g.start();
});

after(async () => { await g?.teardown(); });

test('an invalid policy is refused by the CLI with its line number', async () => {
  const f = join(g.dir, 'bad.txt');
  writeFileSync(f, 'default allow\nrule x: deny when ip in 10.0.0.0/99\n');
  const r = await g.cli(['policy', 'set', '--tenant', CID, f]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /line 2/);
});

test('sign-in from a network the policy excludes: ip_not_allowed', async () => {
  await setPolicy('rule office: deny when ip not in 10.0.0.0/8, 2001:db8::/32\n');
  try {
    const r = await g.client().login(CID, 'amy@pol.example', PW);
    assert.equal(r.status, 403);
    assert.equal(errorCode(r.body), 'ip_not_allowed');
    const test = await g.cli(['policy', 'test', '--tenant', CID, '--user', 'amy@pol.example',
      '--ip', '10.1.2.3']);
    assert.equal(test.code, 0, test.stderr);
    assert.match(test.stdout, /allow/);
  } finally {
    await setPolicy('default allow\n');
  }
  assert.equal((await g.client().login(CID, 'amy@pol.example', PW)).status, 303);
});

test('sign-in outside the allowed hours: outside_allowed_hours', async () => {
  // a one-hour window two hours from now (Asia/Tokyo), so now is outside it
  const h = (new Date(Date.now() + 9 * 3600e3).getUTCHours() + 2) % 24;
  const hh = (x) => String(x % 24).padStart(2, '0');
  await setPolicy(`rule hours: deny when time not in ${hh(h)}:00-${hh(h + 1)}:00\n`);
  try {
    const r = await g.client().login(CID, 'ben@pol.example', PW);
    assert.equal(r.status, 403);
    assert.equal(errorCode(r.body), 'outside_allowed_hours');
    const audit = await g.cli(['audit', 'list', '--tenant', CID, '--json']);
    assert.match(audit.stdout, /outside_allowed_hours/);
  } finally {
    await setPolicy('default allow\n');
  }
});

let catKey, catCodes, catUsedCode;

test('a policy requires TOTP: enrolment with a QR code, recovery codes, then the portal', async () => {
  await setPolicy('rule admins-mfa: require totp when group in admins\n');
  const c = g.client();
  const r = await c.login(CID, 'cat@pol.example', PW);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `/t/${CID}/mfa`);
  // nothing else works until the second factor is done
  assert.equal((await c.get(`/t/${CID}/portal`)).headers.location, `/t/${CID}/mfa`);
  const page = await c.get(`/t/${CID}/mfa`);
  assert.equal(page.status, 200);
  assert.match(page.body, /id="mfa-qr"[^>]*src="data:image\/svg\+xml;base64,/);
  catKey = page.body.match(/id="mfa-key">([^<]+)</)[1];
  const wrong = await c.post(`/t/${CID}/mfa`, { csrf: Client.csrf(page.body), code: '000000' });
  assert.equal(wrong.status, 401);
  catUsedCode = totp(catKey);
  const ok = await c.post(`/t/${CID}/mfa`, { csrf: Client.csrf(wrong.body), code: catUsedCode });
  assert.equal(ok.status, 200, ok.body.slice(0, 300));
  catCodes = [...ok.body.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]);
  assert.equal(catCodes.length, 10);
  const portal = await c.get(`/t/${CID}/portal`);
  assert.equal(portal.status, 200);
  const s = JSON.parse((await c.get(`/t/${CID}/session`)).body);
  assert.deepEqual(s.amr.sort(), ['otp', 'pwd']);
});

test('a used TOTP code is refused again within its window; a recovery code works once', async () => {
  const c = g.client();
  assert.equal((await c.login(CID, 'cat@pol.example', PW)).headers.location, `/t/${CID}/mfa`);
  const page = await c.get(`/t/${CID}/mfa`);
  assert.doesNotMatch(page.body, /mfa-qr/, 'enrolled: no QR code any more');
  const replay = await c.post(`/t/${CID}/mfa`, { csrf: Client.csrf(page.body), code: catUsedCode });
  assert.equal(replay.status, 401, 'replayed code refused');
  const rec = await c.post(`/t/${CID}/mfa`, { csrf: Client.csrf(replay.body), code: catCodes[0] });
  assert.equal(rec.status, 303);
  assert.equal((await c.get(`/t/${CID}/portal`)).status, 200);
  const again = g.client();
  await again.login(CID, 'cat@pol.example', PW);
  const p2 = await again.get(`/t/${CID}/mfa`);
  const reuse = await again.post(`/t/${CID}/mfa`, { csrf: Client.csrf(p2.body), code: catCodes[0] });
  assert.equal(reuse.status, 401, 'a recovery code is good once');
});

test('a user sets up an authenticator from the portal without being asked to', async () => {
  const c = g.client();
  assert.equal((await c.login(CID, 'ben@pol.example', PW)).status, 303);
  const portal = await c.get(`/t/${CID}/portal`);
  assert.match(portal.body, new RegExp(`id="setup-mfa"[^>]*href="/t/${CID}/mfa"`));
  const page = await c.get(`/t/${CID}/mfa`);
  assert.match(page.body, /id="mfa-qr"/);
  const key = page.body.match(/id="mfa-key">([^<]+)</)[1];
  const done = await c.post(`/t/${CID}/mfa`, { csrf: Client.csrf(page.body), code: totp(key) });
  assert.equal(done.status, 200);
  assert.match(done.body, /id="recovery-codes"/);
  assert.deepEqual(JSON.parse((await c.get(`/t/${CID}/session`)).body).amr.sort(), ['otp', 'pwd']);
  // from now on ben is enrolled: the CLI shows it
  const show = await g.cli(['user', 'show', '--tenant', CID, 'ben@pol.example']);
  assert.match(show.stdout, /enrolled/i);
});

test('the admin resets a user\'s authenticator; the user enrols again', async () => {
  const r = await g.cli(['user', 'reset-mfa', '--tenant', CID, 'cat@pol.example']);
  assert.equal(r.code, 0, r.stderr);
  const c = g.client();
  await c.login(CID, 'cat@pol.example', PW);
  assert.match((await c.get(`/t/${CID}/mfa`)).body, /id="mfa-qr"/);
});

test('the tenant-wide TOTP switch applies to everyone', async () => {
  await setPolicy('default allow\n');
  assert.equal((await g.cli(['policy', 'require-mfa', '--tenant', CID, 'on'])).code, 0);
  await settle();
  try {
    const r = await g.client().login(CID, 'eve@pol.example', PW);
    assert.equal(r.headers.location, `/t/${CID}/mfa`);
  } finally {
    assert.equal((await g.cli(['policy', 'require-mfa', '--tenant', CID, 'off'])).code, 0);
    await settle();
  }
  assert.equal((await g.client().login(CID, 'eve@pol.example', PW)).headers.location,
    `/t/${CID}/portal`);
});

test('a per-app rule refuses one OIDC app and steps up another', async () => {
  const add = async (name) => {
    const r = await g.cli(['oidc', 'client', 'add', '--tenant', CID, '--name', name,
      '--redirect-uri', 'https://rp.example/cb', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal((await g.cli(['oidc', 'client', 'assign', '--tenant', CID, doc.client_id,
      '--user', 'dan@pol.example'])).code, 0);
    return doc.client_id;
  };
  const payroll = await add('payroll');
  const wiki = await add('wiki');
  await setPolicy(`rule payroll: deny when app in ${payroll} reason access_denied\n` +
    `rule wiki-mfa: require totp when app in ${wiki}\n`);
  const c = g.client();
  assert.equal((await c.login(CID, 'dan@pol.example', PW)).headers.location, `/t/${CID}/portal`);
  const q = (id) => `/oidc/${CID}/authorize?` + new URLSearchParams({ client_id: id,
    redirect_uri: 'https://rp.example/cb', response_type: 'code', scope: 'openid',
    state: 'st' });
  const denied = await c.get(q(payroll));
  assert.equal(denied.status, 303);
  assert.equal(new URL(denied.headers.location).searchParams.get('error'), 'access_denied');
  const stepUp = await c.get(q(wiki));
  assert.ok(stepUp.headers.location.startsWith(`/t/${CID}/mfa?return=`), stepUp.headers.location);
  // enrol, and the authorization request resumes with a code
  const page = await c.get(stepUp.headers.location);
  const key = page.body.match(/id="mfa-key">([^<]+)</)[1];
  const done = await c.post(`/t/${CID}/mfa`, { csrf: Client.csrf(page.body), code: totp(key),
    return: inputValue(page.body, 'return') });
  assert.equal(done.status, 200);
  const cont = done.body.match(/id="recovery-continue"[^>]*href="([^"]+)"/)[1].replace(/&amp;/g, '&');
  const resumed = await c.get(cont);
  assert.equal(resumed.status, 303);
  assert.ok(new URL(resumed.headers.location).searchParams.get('code'), resumed.headers.location);
});

test('a per-app rule steps up an IdP-initiated SAML launch, which resumes after the step', async () => {
  assert.equal((await g.user(CID, 'fay@pol.example', PW)).code, 0);
  for (const args of [['saml', 'key', 'rotate', '--tenant', CID],
    ['saml', 'app', 'add', '--tenant', CID, '--app-id', 'crm', '--name', 'CRM', '--entity-id',
      'https://crm.example/sp', '--acs', 'https://crm.example/acs', '--nameid', 'email'],
    ['saml', 'app', 'assign', '--tenant', CID, 'crm', '--user', 'fay@pol.example']]) {
    const r = await g.cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  await setPolicy('rule crm-mfa: require totp when app in crm\n');
  const c = g.client();
  assert.equal((await c.login(CID, 'fay@pol.example', PW)).headers.location, `/t/${CID}/portal`);
  const launch = await c.get(`/t/${CID}/apps/crm/launch`);
  assert.equal(launch.status, 303, g.explain(launch));
  assert.ok(launch.headers.location.startsWith(`/t/${CID}/mfa?return=`), launch.headers.location);
  const ret = new URL(launch.headers.location, 'https://x').searchParams.get('return');
  assert.match(ret, new RegExp(`^/saml/${CID}/resume\\?q=`));
  // before the step, the pending launch gives no assertion
  const early = await c.get(ret);
  assert.equal(early.status, 303, g.explain(early));
  assert.ok(early.headers.location.startsWith(`/t/${CID}/mfa?return=`));
  const page = await c.get(launch.headers.location);
  const key = page.body.match(/id="mfa-key">([^<]+)</)[1];
  const done = await c.post(`/t/${CID}/mfa`, { csrf: Client.csrf(page.body), code: totp(key),
    return: inputValue(page.body, 'return') });
  assert.equal(done.status, 200, g.explain(done));
  const cont = done.body.match(/id="recovery-continue"[^>]*href="([^"]+)"/)[1].replace(/&amp;/g, '&');
  assert.equal(cont, ret);
  const resumed = await c.get(cont);
  assert.equal(resumed.status, 200, g.explain(resumed));
  const action = resumed.body.match(/<form[^>]*action="([^"]+)"/)[1];
  assert.equal(action, 'https://crm.example/acs');
  const xml = Buffer.from(inputValue(resumed.body, 'SAMLResponse'), 'base64').toString('utf8');
  assert.match(xml, /<saml:NameID[^>]*>fay@pol\.example<\/saml:NameID>/);
  assert.doesNotMatch(xml, /InResponseTo=/, 'unsolicited: no request ID');
  assert.match(xml, /AuthnContextClassRef>https:\/\/refeds\.org\/profile\/mfa</);
});

// ---- tenant security settings ----

async function sql(q) {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => execFile('sqlite3', [join(g.dir, 'idgate.db'), q],
    (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))));
}

async function security(...args) {
  const r = await g.cli(['tenant', 'security', CID, ...args]);
  assert.equal(r.code, 0, r.stderr);
  await settle();
}

function sessionKey(sid) {
  return 's:' + createHash('sha256').update(sid).digest('hex').slice(0, 32);
}

test('tenant password expiry forces a change; the tenant minimum length applies', async () => {
  await security('--password-expiry-days', '1', '--password-min-length', '14');
  try {
    await sql("UPDATE users SET password_changed_at = strftime('%s','now') - 3*86400 " +
      "WHERE email = 'amy@pol.example'");
    const c = g.client();
    const r = await c.login(CID, 'amy@pol.example', PW);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, `/t/${CID}/password`);
    const form = await c.get(`/t/${CID}/password`);
    const csrf = Client.csrf(form.body);
    const short = await c.post(`/t/${CID}/password`, { csrf, current_password: PW,
      new_password: 'Sh0rt-passw0rd', new_password_confirm: 'Sh0rt-passw0rd' });   // 14 is fine
    assert.equal(short.status, 303);
    const c2 = g.client();
    await c2.login(CID, 'amy@pol.example', 'Sh0rt-passw0rd');
    const f2 = await c2.get(`/t/${CID}/password`);
    const tooShort = await c2.post(`/t/${CID}/password`, { csrf: Client.csrf(f2.body),
      current_password: 'Sh0rt-passw0rd', new_password: 'Sh0rt-pass0!', new_password_confirm:
      'Sh0rt-pass0!' });   // 12 < 14
    assert.equal(tooShort.status, 400);
  } finally {
    await security('--password-expiry-days', '0', '--password-min-length', '0');
  }
});

test('tenant session idle timeout and lifetime', async () => {
  await security('--session-idle', '120', '--session-lifetime', '600');
  try {
    const c = g.client();
    assert.equal((await c.login(CID, 'ben@pol.example', PW)).status, 303);
    assert.equal((await c.get(`/t/${CID}/session`)).status, 200);
    const sid = c.jar.get(`__Host-idgate-${CID}`);
    const ttl = Number(await redisCommand(g.redisPort, 'TTL', sessionKey(sid)));
    assert.ok(ttl > 0 && ttl <= 120, `idle timeout of the tenant: TTL ${ttl}`);
    // age the session past the tenant's lifetime (its record holds created_at)
    const rec = await redisCommand(g.redisPort, 'GET', sessionKey(sid));
    const f = rec.split('|');
    f[4] = String(Number(f[4]) - 700);
    await redisCommand(g.redisPort, 'SET', sessionKey(sid), f.join('|'), 'KEEPTTL');
    assert.equal((await c.get(`/t/${CID}/session`)).status, 401);
  } finally {
    await security('--session-idle', '0', '--session-lifetime', '0');
  }
});

test('accounts unused for the tenant\'s limit are suspended by the upkeep job', async () => {
  const before = await g.cli(['tenant', 'show', CID, '--json']);
  await sql("UPDATE users SET last_sign_in_at = strftime('%s','now') - 40*86400, " +
    "created_at = strftime('%s','now') - 400*86400 WHERE email = 'eve@pol.example'");
  await security('--suspend-unused-days', '30');
  try {
    await sleep(1500);   // maintenance_interval_s = 1 in the test config
    const show = await g.cli(['user', 'show', '--tenant', CID, 'eve@pol.example', '--json']);
    assert.match(show.stdout, /suspended/);
    assert.equal((await g.client().login(CID, 'eve@pol.example', PW)).status, 401);
    // others, who signed in recently, are untouched; licenses are still held
    assert.equal((await g.client().login(CID, 'ben@pol.example', PW)).status, 303);
    const after = await g.cli(['tenant', 'show', CID, '--json']);
    assert.equal(JSON.parse(after.stdout).licenses_in_use ?? JSON.parse(after.stdout).in_use,
      JSON.parse(before.stdout).licenses_in_use ?? JSON.parse(before.stdout).in_use);
    const audit = await g.cli(['audit', 'list', '--tenant', CID, '--json']);
    assert.match(audit.stdout, /users\.suspend_unused/);
  } finally {
    await security('--suspend-unused-days', '0');
  }
});
