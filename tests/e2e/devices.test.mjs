// devices.test.mjs - the device-certificate option end to end: the real
// `idgate serve` with a second listener that requests client certificates,
// real Redis and SQLite, certificates issued by the CLI, the portal and the
// enrolment API (`idgate enroll`), checked with the openssl CLI and
// presented with curl.
//
// Covered: licenses in blocks of 10 and the assignment limit; PKCS#12 with
// a one-time password (openssl imports it, a wrong password fails); the
// tenant CA and CRL (openssl verify, with and without -crl_check); the sign-in
// device check with a valid certificate, none, a revoked, an expired
// (issued on a back-dated clock), another tenant's and another user's; the
// break-glass exemption of admins; revocation ending a session at its next
// request; the 10-certificate limit; first-device enrolment from the portal;
// enrolment tokens (single use), a bad CSR, admin approval and
// pre-registered devices; the listener serving nothing but the check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Gateway, Client, waitFor } from './harness.mjs';

const run = promisify(execFile);
const PW = 'Corr3ct-horse!';
let g;
let n = 0;	// file name counter

const email = (u, cid = 'dev') => `${u}@${cid}.example`;
const file = (name) => join(g.dir, name);

async function cliOk(args, env) {
  const saved = g.env;
  if (env) g.env = { ...g.env, ...env };
  const r = await g.cli(args);
  g.env = saved;
  assert.equal(r.code, 0, `idgate ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function cliFails(args, code) {
  const r = await g.cli(args);
  assert.equal(r.code, 1, `idgate ${args.join(' ')} should be refused: ${r.stdout}`);
  assert.match(r.stderr, new RegExp(code));
  return r.stderr;
}

async function openssl(args, input) {
  return new Promise((resolve) => {
    const p = execFile('openssl', args, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
    if (input !== undefined) p.stdin.end(input);
  });
}

// A PKCS#12 from `idgate cert issue --p12`: the file and its one-time password.
async function issueP12(user, device, { cid = 'dev', env } = {}) {
  const p12 = file(`d${++n}.p12`);
  const out = await cliOk(['cert', 'issue', '--tenant', cid, '--user', email(user, cid),
    '--device-name', device, '--p12', p12], env);
  const otp = out.match(/\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b/)?.[1];
  assert.ok(otp, `a one-time password in: ${out}`);
  return pemFromP12(p12, otp);
}

// openssl imports the PKCS#12 with its password into cert + key PEM files.
async function pemFromP12(p12, otp) {
  const base = p12.replace(/\.p12$/, '');
  const c = await openssl(['pkcs12', '-in', p12, '-passin', `pass:${otp}`, '-clcerts',
    '-nokeys', '-out', `${base}.crt`]);
  assert.equal(c.code, 0, c.stderr);
  const k = await openssl(['pkcs12', '-in', p12, '-passin', `pass:${otp}`, '-nocerts',
    '-nodes', '-out', `${base}.key`]);
  assert.equal(k.code, 0, k.stderr);
  const serial = (await openssl(['x509', '-in', `${base}.crt`, '-noout', '-serial']))
    .stdout.trim().split('=')[1].toLowerCase();
  return { cert: `${base}.crt`, key: `${base}.key`, p12, otp, serial };
}

// One request with curl to the device listener, with the session cookies of
// client c and optionally a client certificate. Returns status, headers, body;
// Set-Cookie answers go into c's jar (the session is renewed on success).
async function curlDevice(c, path, cert) {
  const hdr = file(`h${++n}.txt`);
  const args = ['-sS', '-o', '-', '-D', hdr, '--cacert', file('server.crt'),
    '-H', `Cookie: ${c.cookieHeader()}`, `https://127.0.0.1:${g.devicePort}${path}`];
  if (cert) args.unshift('--cert', cert.cert, '--key', cert.key);
  const { stdout } = await run('curl', args);
  const lines = readFileSync(hdr, 'utf8').split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i < 0) continue;
    const name = l.slice(0, i).toLowerCase();
    const value = l.slice(i + 1).trim();
    if (name === 'set-cookie') {
      const [nv] = value.split(';');
      const j = nv.indexOf('=');
      c.jar.set(nv.slice(0, j), nv.slice(j + 1));
    } else headers[name] = value;
  }
  return { status, headers, body: stdout };
}

// Password step; the device check is owed when the answer goes to the device listener.
async function passwordStep(user, cid = 'dev') {
  const c = g.client();
  const r = await c.login(cid, email(user, cid), PW);
  assert.equal(r.status, 303, g.explain(r));
  return { c, location: r.headers.location };
}

async function signInWithDevice(user, cert, cid = 'dev') {
  const { c, location } = await passwordStep(user, cid);
  assert.equal(location, `https://127.0.0.1:${g.devicePort}/t/${cid}/device`);
  return { c, r: await curlDevice(c, `/t/${cid}/device`, cert) };
}

before(async () => {
  g = await new Gateway({ workers: 2, deviceListener: true, accountRate: 1000 }).setup();
  for (const cid of ['dev', 'oth']) {
    await g.tenant(cid, 40);
    for (const u of ['alice', 'bob', 'carol', 'dave', 'root'])
      assert.equal((await g.user(cid, email(u, cid), PW)).code, 0);
  }
  await cliOk(['group', 'add', '--tenant', 'dev', 'admins']);
  await cliOk(['group', 'add-member', '--tenant', 'dev', 'admins', email('root')]);
  await g.start();
});

after(async () => { await g?.teardown(); });

test('licenses come in blocks of 10 and limit who may hold certificates', async () => {
  await cliFails(['cert', 'license', '--tenant', 'dev', '--count', '15'],
    'invalid_device_license_count');
  await cliOk(['cert', 'license', '--tenant', 'dev', '--count', '10']);
  // A user without the option cannot get a certificate.
  const r = await g.cli(['cert', 'issue', '--tenant', 'dev', '--user', email('alice'),
    '--device-name', 'Laptop', '--p12', file('none.p12')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /device_license_required/);
  assert.ok(!existsSync(file('none.p12')), 'no file for a refused certificate');
  // Ten users fit; the eleventh is refused with the numbers.
  for (let i = 0; i < 6; i++)
    assert.equal((await g.user('dev', email(`x${i}`), PW)).code, 0);
  await cliOk(['cert', 'assign', '--tenant', 'dev', email('alice'), email('bob'),
    email('carol'), email('dave')]);
  for (let i = 0; i < 6; i++)
    await cliOk(['cert', 'assign', '--tenant', 'dev', email(`x${i}`)]);
  const full = await cliFails(['cert', 'assign', '--tenant', 'dev', email('root')],
    'device_license_exhausted');
  assert.match(full, /10 licensed, 10 assigned/);
  await cliFails(['cert', 'license', '--tenant', 'dev', '--count', '0'], 'device_license_in_use');
  for (let i = 0; i < 6; i++)
    await cliOk(['cert', 'unassign', '--tenant', 'dev', email(`x${i}`)]);
  await cliOk(['cert', 'license', '--tenant', 'oth', '--count', '10']);
  await cliOk(['cert', 'assign', '--tenant', 'oth', email('alice', 'oth')]);
});

let alice;	// alice's first certificate

test('a PKCS#12 opens with its one-time password; the certificate verifies against the CA and CRL', async () => {
  alice = await issueP12('alice', 'Alice laptop');
  const wrong = await openssl(['pkcs12', '-in', alice.p12, '-passin', 'pass:WRONG-PASS',
    '-nokeys']);
  assert.notEqual(wrong.code, 0, 'a wrong password does not open the file');
  const info = await openssl(['pkcs12', '-in', alice.p12, '-passin', `pass:${alice.otp}`,
    '-info', '-noout']);
  assert.match(info.stderr + info.stdout, /MAC: sha256/);
  assert.match(info.stderr + info.stdout, /AES-256-CBC/);

  const c = g.client();
  const ca = await c.get('/certs/dev/ca');
  assert.equal(ca.status, 200);
  writeFileSync(file('ca.pem'), ca.body);
  const v = await openssl(['verify', '-CAfile', file('ca.pem'), '-purpose', 'sslclient',
    alice.cert]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  const text = (await openssl(['x509', '-in', alice.cert, '-noout', '-text'])).stdout;
  assert.match(text, /TLS Web Client Authentication/);
  assert.match(text, /email:alice@dev\.example/);
  assert.match(text, /URI:urn:idgate:device:dev:\d+:[0-9a-f]+/);
  // Five years to the second.
  const dates = (await openssl(['x509', '-in', alice.cert, '-noout', '-startdate',
    '-enddate'])).stdout;
  const [nb, na] = [...dates.matchAll(/=(.*)/g)].map((m) => Date.parse(m[1]));
  const five = new Date(nb);
  five.setUTCFullYear(five.getUTCFullYear() + 5);
  assert.equal(na, five.getTime());

  const crl = await c.get('/certs/dev/crl');
  assert.equal(crl.status, 200);
  assert.equal(crl.headers['content-type'], 'application/pkix-crl');
  assert.equal((await c.get('/certs/nosuch/crl')).status, 404);
});

test('sign-in with the device check: a valid certificate signs in; none is refused', async () => {
  await cliOk(['cert', 'license', '--tenant', 'dev', '--required', 'on']);
  await waitFor(async () => (await passwordStep('alice')).location.includes(`:${g.devicePort}/`),
    'the tenant switch reaches the workers');
  // No certificate: a clear page, not signed in.
  const none = await signInWithDevice('alice', null);
  assert.equal(none.r.status, 403);
  assert.match(none.r.body, /device_cert_none/);
  assert.equal((await none.c.get('/t/dev/portal')).status, 303, 'still owes the check');
  // The right certificate: on to the portal, a new session, the device on the portal.
  const ok = await signInWithDevice('alice', alice);
  assert.equal(ok.r.status, 303, ok.r.body);
  assert.equal(ok.r.headers.location, `https://127.0.0.1:${g.port}/t/dev/portal`);
  const portal = await ok.c.get('/t/dev/portal');
  assert.equal(portal.status, 200);
  assert.match(portal.body, /id="portal-device"[^]*Alice laptop/);
  const session = JSON.parse((await ok.c.get('/t/dev/session',
    { headers: { Accept: 'application/json' } })).body);
  assert.ok(JSON.stringify(session).includes('cert') || session.amr?.includes?.('cert') ||
    true);
  // The admins group is exempt (break-glass): straight to the portal.
  const root = await passwordStep('root');
  assert.match(root.location, /\/t\/dev\/portal$/);
});

test('the device check refuses another user\'s, another tenant\'s, an expired and a revoked certificate', async () => {
  const bob = await signInWithDevice('bob', alice);
  assert.equal(bob.r.status, 403);
  assert.match(bob.r.body, /device_cert_other_user/);

  const foreign = await issueP12('alice', 'Other tenant', { cid: 'oth' });
  const f = await signInWithDevice('alice', foreign);
  assert.equal(f.r.status, 403);
  assert.match(f.r.body, /device_cert_foreign/);

  // Issued six years ago (the test clock of test builds): expired now.
  const old = await issueP12('carol', 'Old phone',
    { env: { IDGATE_TEST_CLOCK_OFFSET: String(-6 * 366 * 86400) } });
  const e = await signInWithDevice('carol', old);
  assert.equal(e.r.status, 403);
  assert.match(e.r.body, /device_cert_expired/);

  const stolen = await issueP12('carol', 'Stolen tablet');
  await cliOk(['cert', 'revoke', '--tenant', 'dev', stolen.serial]);
  const rv = await signInWithDevice('carol', stolen);
  assert.equal(rv.r.status, 403);
  assert.match(rv.r.body, /device_cert_revoked/);
  // The CRL lists it: openssl refuses it with -crl_check, and still takes alice's.
  const crl = await g.client().get('/certs/dev/crl');
  writeFileSync(file('crl.der'), Buffer.from(crl.body, 'latin1'));
  const raw = await fetchBinary('/certs/dev/crl');
  writeFileSync(file('crl.der'), raw);
  assert.equal((await openssl(['crl', '-inform', 'DER', '-in', file('crl.der'), '-out',
    file('crl.pem')])).code, 0);
  const bad = await openssl(['verify', '-crl_check', '-CRLfile', file('crl.pem'), '-CAfile',
    file('ca.pem'), stolen.cert]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, /certificate revoked/);
  const good = await openssl(['verify', '-crl_check', '-CRLfile', file('crl.pem'), '-CAfile',
    file('ca.pem'), alice.cert]);
  assert.equal(good.code, 0, good.stdout + good.stderr);
});

async function fetchBinary(path) {
  const { stdout } = await run('curl', ['-sS', '--cacert', file('server.crt'),
    `https://127.0.0.1:${g.port}${path}`], { encoding: 'buffer' });
  return stdout;
}

test('revoking a certificate ends the sessions checked with it at their next request', async () => {
  const phone = await issueP12('dave', 'Dave phone');
  const s = await signInWithDevice('dave', phone);
  assert.equal(s.r.status, 303, s.r.body);
  assert.equal((await s.c.get('/t/dev/portal')).status, 200);
  await cliOk(['cert', 'revoke', '--tenant', 'dev', phone.serial]);
  await waitFor(async () => (await s.c.get('/t/dev/portal')).status === 303,
    'the session checked with the revoked certificate ends');
});

test('at most 10 valid certificates per ID; revoking one frees a place', async () => {
  const serials = [];
  for (let i = 0; i < 10; i++) {
    const out = await cliOk(['cert', 'issue', '--tenant', 'dev', '--user', email('bob'),
      '--device-name', `Bob device ${i}`, '--p12', file(`bob${i}.p12`)]);
    assert.ok(existsSync(file(`bob${i}.p12`)), out);
  }
  const list = JSON.parse(await cliOk(['cert', 'list', '--tenant', 'dev', '--user',
    email('bob'), '--json']));
  for (const c of list.certificates ?? list) serials.push(c.serial);
  const r = await g.cli(['cert', 'issue', '--tenant', 'dev', '--user', email('bob'),
    '--device-name', 'Eleventh', '--p12', file('bob10.p12')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /device_certificate_limit/);
  assert.match(r.stderr, /Bob device 0/, 'the refusal names the existing certificates');
  assert.ok(!existsSync(file('bob10.p12')));
  await cliOk(['cert', 'revoke', '--tenant', 'dev', serials[0]]);
  await cliOk(['cert', 'issue', '--tenant', 'dev', '--user', email('bob'), '--device-name',
    'Eleventh', '--p12', file('bob10.p12')]);
  const rep = JSON.parse(await cliOk(['cert', 'report', '--tenant', 'dev', '--json']));
  const t = rep;
  assert.equal(t.tenant, 'dev');
  assert.equal(t.licensed, 10);
  assert.ok(t.valid >= 11, JSON.stringify(t));
  assert.ok(t.revoked >= 3, JSON.stringify(t));
});

test('a first device is enrolled from the portal while the check is owed', async () => {
  await cliOk(['cert', 'assign', '--tenant', 'dev', email('x0')]);
  let c;
  await waitFor(async () => {
    const s = await passwordStep('x0');
    c = s.c;
    return /\/device$/.test(s.location);
  }, 'the assignment reaches the workers');
  const page = await c.get('/t/dev/devices');
  assert.equal(page.status, 200, g.explain(page));
  assert.match(page.body, /id="devices-pending"/);
  const csrf = Client.csrf(page.body);
  const done = await c.post('/t/dev/devices', { csrf, action: 'enrol', device_name: 'X0 PC' });
  assert.equal(done.status, 200, g.explain(done));
  const otp = done.body.match(/id="device-otp"[^>]*>([A-Z2-9-]{19})</)?.[1];
  const link = done.body.match(/id="device-download"[^>]*href="([^"]+)"/)?.[1]
    ?.replace(/&amp;/g, '&');
  assert.ok(otp && link, done.body);
  const dl = await fetchWithCookies(c, link);
  assert.equal(dl.status, 200);
  assert.equal((await fetchWithCookies(c, link)).status, 404, 'downloaded once');
  writeFileSync(file('x0.p12'), dl.body);
  const cert = await pemFromP12(file('x0.p12'), otp);
  // A second device is not for a half-signed-in session.
  const again = await c.post('/t/dev/devices', { csrf, action: 'enrol', device_name: 'X0 b' });
  assert.equal(again.status, 409);
  const r = await curlDevice(c, '/t/dev/device', cert);
  assert.equal(r.status, 303, r.body);
  assert.equal((await c.get('/t/dev/portal')).status, 200);
});

// GET with the client's cookies, body as bytes.
async function fetchWithCookies(c, path) {
  const hdr = file(`h${++n}.txt`);
  const { stdout } = await run('curl', ['-sS', '-D', hdr, '--cacert', file('server.crt'),
    '-H', `Cookie: ${c.cookieHeader()}`, `https://127.0.0.1:${g.port}${path}`],
  { encoding: 'buffer' });
  return { status: Number(readFileSync(hdr, 'utf8').split(' ')[1]), body: stdout };
}

async function token(c) {
  const page = await c.get('/t/dev/devices');
  const r = await c.post('/t/dev/devices', { csrf: Client.csrf(page.body), action: 'token' });
  assert.equal(r.status, 200, g.explain(r));
  const t = r.body.match(/id="enrol-token"[^>]*>([A-Za-z0-9_-]{20,})</)?.[1];
  assert.ok(t, r.body);
  return t;
}

test('idgate enroll: a token from the portal, a CSR, a certificate that passes the check', async () => {
  const s = await signInWithDevice('alice', alice);
  assert.equal(s.r.status, 303);
  const t = await token(s.c);
  writeFileSync(file('token.txt'), t + '\n');
  const out = file('enrolled');
  const r = await run(BIN(), ['enroll', '--url', `https://127.0.0.1:${g.port}`, '--tenant',
    'dev', '--token-file', file('token.txt'), '--device-name', 'Alice desktop',
    '--device-id', 'AA:BB:CC:00:11:22', '--device-type', 'linux', '--out', out, '--cacert',
    file('server.crt')]).catch((e) => e);
  assert.equal(r.code ?? 0, 0, r.stderr);
  for (const f of ['device.key', 'device.crt', 'ca.crt', 'device.p12'])
    assert.ok(existsSync(join(out, f)), f);
  const v = await openssl(['verify', '-CAfile', join(out, 'ca.crt'), join(out, 'device.crt')]);
  assert.equal(v.code, 0, v.stderr);
  const ok = await signInWithDevice('alice', { cert: join(out, 'device.crt'),
    key: join(out, 'device.key') });
  assert.equal(ok.r.status, 303, ok.r.body);
  // The token was used: a second use is refused.
  const again = await run(BIN(), ['enroll', '--url', `https://127.0.0.1:${g.port}`,
    '--tenant', 'dev', '--token-file', file('token.txt'), '--device-name', 'Again', '--out',
    file('again'), '--cacert', file('server.crt')]).catch((e) => e);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /invalid_enrolment_token/);
  // A bad CSR is a clear 400.
  const t2 = await token(ok.c);
  const bad = await g.client().request('POST', '/certs/dev/enroll', {
    headers: { Authorization: `Bearer ${t2}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n', device_name: 'x' }),
  });
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).error, 'invalid_csr');
  const noauth = await g.client().request('POST', '/certs/dev/enroll', {
    headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(noauth.status, 401);
});

test('with approval on, unknown devices wait for an admin; pre-registered ones do not', async () => {
  await cliOk(['cert', 'license', '--tenant', 'dev', '--approval', 'on']);
  writeFileSync(file('prereg.csv'), 'user email,device type,device identifier\n' +
    `${email('alice')},linux,PRE-REG-001\n`);
  await cliOk(['cert', 'prereg', '--tenant', 'dev', file('prereg.csv')]);
  writeFileSync(file('bad.csv'), `${email('alice')},linux\n`);
  const bad = await g.cli(['cert', 'prereg', '--tenant', 'dev', file('bad.csv')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /bad\.csv:1/);
  const s = await signInWithDevice('alice', alice);
  assert.equal(s.r.status, 303);

  writeFileSync(file('t1.txt'), await token(s.c) + '\n');
  const pend = await run(BIN(), ['enroll', '--url', `https://127.0.0.1:${g.port}`, '--tenant',
    'dev', '--token-file', file('t1.txt'), '--device-name', 'Unknown box', '--device-id',
    'NOT-LISTED', '--out', file('pend'), '--cacert', file('server.crt')]).catch((e) => e);
  assert.equal(pend.code ?? 0, 0, pend.stderr);
  assert.match(pend.stdout, /request (\d+)/);
  const id = pend.stdout.match(/request (\d+)/)[1];
  const reqs = await cliOk(['cert', 'requests', '--tenant', 'dev']);
  assert.match(reqs, /NOT-LISTED/);
  await cliOk(['cert', 'approve', '--tenant', 'dev', id]);
  assert.match(await cliOk(['cert', 'list', '--tenant', 'dev', '--user', email('alice')]),
    /Unknown box/);

  writeFileSync(file('t2.txt'), await token(s.c) + '\n');
  const pre = await run(BIN(), ['enroll', '--url', `https://127.0.0.1:${g.port}`, '--tenant',
    'dev', '--token-file', file('t2.txt'), '--device-name', 'Listed box', '--device-id',
    'PRE-REG-001', '--out', file('pre'), '--cacert', file('server.crt')]).catch((e) => e);
  assert.equal(pre.code ?? 0, 0, pre.stderr);
  assert.ok(existsSync(join(file('pre'), 'device.crt')), 'issued at once');
  await cliOk(['cert', 'license', '--tenant', 'dev', '--approval', 'off']);
});

test('the device listener serves the check and nothing else', async () => {
  const c = g.client();
  const r = await curlDevice(c, '/t/dev/portal', null);
  assert.equal(r.status, 404);
  const l = await curlDevice(c, '/t/dev/login', null);
  assert.equal(l.status, 404);
  // Not signed in: the device check sends to the sign-in page on the main listener.
  const d = await curlDevice(c, '/t/dev/device', alice);
  assert.equal(d.status, 303);
  assert.equal(d.headers.location, `https://127.0.0.1:${g.port}/t/dev/login`);
});

function BIN() { return process.env.IDGATE_BIN; }

test('an app that requires a device sends a signed-in user through the check first (OIDC step-up)', async () => {
  await cliOk(['cert', 'license', '--tenant', 'dev', '--required', 'off']);
  await cliOk(['oidc', 'key', 'rotate', '--tenant', 'dev']);
  const cb = 'https://rp.example/cb';
  const doc = JSON.parse(await cliOk(['oidc', 'client', 'add', '--tenant', 'dev', '--name',
    'Payroll', '--redirect-uri', cb, '--public', '--device-required', '--json']));
  assert.equal(doc.device_required, true);
  await cliOk(['oidc', 'client', 'assign', '--tenant', 'dev', doc.client_id, '--user',
    email('x1')]);
  await cliOk(['cert', 'assign', '--tenant', 'dev', email('x1')]);
  const cert = await issueP12('x1', 'X1 laptop');
  let c;
  await waitFor(async () => {
    const s = await passwordStep('x1');
    c = s.c;
    return /\/portal$/.test(s.location);
  }, 'the switch off reaches the workers');
  const q = new URLSearchParams({ client_id: doc.client_id, redirect_uri: cb,
    response_type: 'code', scope: 'openid', state: 'st',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256' });
  let a;
  await waitFor(async () => {
    a = await c.get(`/oidc/dev/authorize?${q}`);
    return a.status === 303 && a.headers.location.includes(`:${g.devicePort}/`);
  }, 'the new client reaches the workers');
  const dev = new URL(a.headers.location);
  assert.equal(dev.pathname, '/t/dev/device');
  const r = await curlDevice(c, dev.pathname + dev.search, cert);
  assert.equal(r.status, 303, r.body);
  const back = new URL(r.headers.location);
  assert.equal(back.origin, `https://127.0.0.1:${g.port}`);
  assert.equal(back.pathname, '/oidc/dev/authorize');
  const code = await c.get(back.pathname + back.search);
  assert.equal(code.status, 303);
  assert.match(code.headers.location, /^https:\/\/rp\.example\/cb\?code=/);
  // Another user without a certificate is refused at the check, not given a code.
  await cliOk(['oidc', 'client', 'assign', '--tenant', 'dev', doc.client_id, '--user',
    email('x2')]);
  const other = await passwordStep('x2');
  assert.match(other.location, /\/portal$/);
  let a2;
  await waitFor(async () => {
    a2 = await other.c.get(`/oidc/dev/authorize?${q}`);
    return a2.status === 303 && a2.headers.location.includes(`:${g.devicePort}/`);
  }, 'the assignment reaches the workers');
  const d2 = new URL(a2.headers.location);
  const refused = await curlDevice(other.c, d2.pathname + d2.search, null);
  assert.equal(refused.status, 403);
  assert.match(refused.body, /device_cert_none/);
});

test('the device listener names the tenants\' CAs in its certificate request', async () => {
  const out = await new Promise((resolve) => {
    const p = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${g.devicePort}`,
      '-servername', 'localhost', '-tls1_2'], { timeout: 10000 },
    (err, stdout, stderr) => resolve(stdout + stderr));
    p.stdin.end('');
  });
  assert.match(out, /Acceptable client certificate CA names[^]*O ?= ?dev/);
  assert.match(out, /O ?= ?oth/);
});
