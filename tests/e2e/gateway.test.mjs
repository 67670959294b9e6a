// gateway.test.mjs - the real `idgate serve` (2 workers) with a real Redis and
// SQLite, driven over HTTPS like a browser: sign-in, portal, sign-out,
// CSRF, lockout, rate limits, temporary passwords, license pool, bad input,
// Redis failures, reload and graceful stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Gateway, Client, sleep, waitFor, BIN } from './harness.mjs';

const PW = 'Corr3ct-horse!';
const run = promisify(execFile);
let g;

before(async () => {
  g = await new Gateway({ workers: 2 }).setup();
  await g.tenant('acme');
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'])
    assert.equal((await g.user('acme', `${u}@acme.example`, PW, u[0].toUpperCase() + u.slice(1))).code, 0);
  await g.start();
});

after(async () => { await g?.teardown(); });

test('health and readiness answer', async () => {
  const c = g.client();
  const h = await c.get('/healthz');
  assert.equal(h.status, 200);
  assert.equal(h.body, 'ok\n');
  const r = await c.get('/readyz');
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { status: 'ready', redis: 'up', store: 'up' });
});

test('sign-in through the form reaches the portal with a hardened cookie', async () => {
  const c = g.client();
  const form = await c.get('/t/acme/login');
  assert.equal(form.status, 200);
  assert.match(form.headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.match(form.headers['strict-transport-security'], /max-age=/);
  assert.equal(form.headers['x-frame-options'], 'DENY');
  const r = await c.post('/t/acme/login',
    { email: 'Alice@acme.example', password: PW, csrf: Client.csrf(form.body) });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/t/acme/portal');
  const sc = r.headers['set-cookie'].find((s) => s.startsWith('__Host-idgate-acme='));
  assert.ok(sc, 'session cookie set');
  for (const flag of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/'])
    assert.ok(sc.includes(flag), `cookie has ${flag}: ${sc}`);
  assert.match(sc, /^__Host-idgate-acme=[A-Za-z0-9_-]{43};/);
  const p = await c.get('/t/acme/portal');
  assert.equal(p.status, 200);
  assert.match(p.body, /Alice/);
  assert.match(p.body, /alice@acme\.example/);
  const s = JSON.parse((await c.get('/t/acme/session')).body);
  assert.equal(s.user.email, 'alice@acme.example');
  assert.deepEqual(s.amr, ['pwd']);
});

test('a new session id at every sign-in (no fixation)', async () => {
  const c = g.client();
  c.jar.set('__Host-idgate-acme', 'A'.repeat(43));
  await c.login('acme', 'bob@acme.example', PW);
  const first = c.jar.get('__Host-idgate-acme');
  assert.notEqual(first, 'A'.repeat(43));
  // sign in again from the same browser (the login page itself would send a
  // signed-in user to the portal, so take the form without the session cookie)
  const form = await c.get('/t/acme/login',
    { headers: { Cookie: `__Host-idgate-csrf=${c.jar.get('__Host-idgate-csrf')}` } });
  assert.equal((await c.post('/t/acme/login',
    { email: 'bob@acme.example', password: PW, csrf: Client.csrf(form.body) })).status, 303);
  const second = c.jar.get('__Host-idgate-acme');
  assert.notEqual(first, second);
  // the first session was destroyed at the second sign-in
  const old = g.client();
  old.jar.set('__Host-idgate-acme', first);
  assert.equal((await old.get('/t/acme/session')).status, 401);
});

test('wrong password and unknown user get the same generic answer', async () => {
  const c = g.client();
  const a = await c.login('acme', 'carol@acme.example', 'Wrong-passw0rd');
  const b = await c.login('acme', 'nobody@acme.example', 'Wrong-passw0rd');
  assert.equal(a.status, 401);
  assert.equal(b.status, 401);
  const msg = (html) => html.match(/id="login-error"[^>]*>([\s\S]*?)</)?.[1] ??
    html.match(/class="[^"]*error[^"]*"[^>]*>([\s\S]*?)</)?.[1];
  assert.ok(msg(a.body));
  assert.equal(msg(a.body), msg(b.body));
  assert.equal(c.jar.has('__Host-idgate-acme'), false);
});

test('a wrong or missing CSRF token is refused', async () => {
  const c = g.client();
  await c.get('/t/acme/login');
  const r = await c.post('/t/acme/login', { email: 'alice@acme.example', password: PW, csrf: 'x'.repeat(43) });
  assert.equal(r.status, 403);
  assert.match(r.body, /csrf_invalid/);
  const fresh = g.client();   // no CSRF cookie at all
  const form = await c.get('/t/acme/login');
  const r2 = await fresh.post('/t/acme/login', { email: 'alice@acme.example', password: PW, csrf: Client.csrf(form.body) });
  assert.equal(r2.status, 403);
});

test('failed attempts lock the account; the CLI unlocks it', async () => {
  const c = g.client();
  for (let i = 0; i < 3; i++)
    assert.equal((await c.login('acme', 'dave@acme.example', 'Wrong-passw0rd')).status, 401);
  // locked: the right password is refused too, with the same generic answer
  assert.equal((await c.login('acme', 'dave@acme.example', PW)).status, 401);
  const u = await g.cli(['user', 'unlock', '--tenant', 'acme', 'dave@acme.example']);
  assert.equal(u.code, 0, u.stderr);
  assert.equal((await c.login('acme', 'dave@acme.example', PW)).status, 303);
  const audit = await g.cli(['audit', 'list', '--tenant', 'acme', '--json', '--limit', '200']);
  assert.match(audit.stdout, /account_locked/);
});

test('per-account rate limit answers 429', async () => {
  const c = g.client();
  let last;
  for (let i = 0; i < 9; i++) last = await c.login('acme', 'ghost@acme.example', 'Wrong-passw0rd');
  assert.equal(last.status, 429);
  assert.match(last.body, /id="email"/);
});

test('sign-out needs the session CSRF token and ends the session', async () => {
  const c = g.client();
  await c.login('acme', 'erin@acme.example', PW);
  const sid = c.jar.get('__Host-idgate-acme');
  assert.equal((await c.post('/t/acme/logout', { csrf: 'nope' })).status, 403);
  const portal = await c.get('/t/acme/portal');
  const r = await c.post('/t/acme/logout', { csrf: Client.csrf(portal.body) });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/t/acme/login');
  const replay = g.client();
  replay.jar.set('__Host-idgate-acme', sid);
  assert.equal((await replay.get('/t/acme/session')).status, 401);
  assert.equal((await replay.get('/t/acme/portal')).status, 303);
});

test('suspending a user ends their sessions on the running gateway', async () => {
  const c = g.client();
  await c.login('acme', 'frank@acme.example', PW);
  assert.equal((await c.get('/t/acme/session')).status, 200);
  const s = await g.cli(['user', 'suspend', '--tenant', 'acme', 'frank@acme.example']);
  assert.equal(s.code, 0, s.stderr);
  // applied by the running gateway without a restart (its directory reloads)
  await waitFor(async () => (await c.get('/t/acme/session')).status === 401,
    'the suspended user\'s session to end', 5000);
  assert.equal((await c.login('acme', 'frank@acme.example', PW)).status, 401);
});

test('a temporary password must be changed at the next sign-in', async () => {
  const add = await g.cli(['user', 'add', '--tenant', 'acme', '--email', 'tom@acme.example',
    '--name', 'Tom', '--temporary-password']);
  assert.equal(add.code, 0, add.stderr);
  const temp = add.stdout.match(/temporary password[^\n]*:\s*(\S+)\s*$/im)?.[1];
  assert.ok(temp, 'temporary password printed: ' + add.stdout);
  await sleep(400);
  const other = g.client();   // a second browser with the same (temporary) password
  assert.equal((await other.login('acme', 'tom@acme.example', temp)).status, 303);
  const c = g.client();
  const r = await c.login('acme', 'tom@acme.example', temp);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/t/acme/password');
  assert.equal((await c.get('/t/acme/portal')).headers.location, '/t/acme/password');
  const form = await c.get('/t/acme/password');
  const csrf = Client.csrf(form.body);
  const weak = await c.post('/t/acme/password', { csrf, current_password: temp,
    new_password: 'short', new_password_confirm: 'short' });
  assert.equal(weak.status, 400);
  const mismatch = await c.post('/t/acme/password', { csrf, current_password: temp,
    new_password: 'N3w-passw0rd!', new_password_confirm: 'N3w-passw0rd?' });
  assert.equal(mismatch.status, 400);
  const ok = await c.post('/t/acme/password', { csrf, current_password: temp,
    new_password: 'N3w-passw0rd!', new_password_confirm: 'N3w-passw0rd!' });
  assert.equal(ok.status, 303);
  assert.equal((await c.get('/t/acme/portal')).status, 200);
  // the change ended every other session of the user
  await waitFor(async () => (await other.get('/t/acme/session')).status === 401,
    'the other session to end', 5000);
  assert.equal((await c.get('/t/acme/session')).status, 200);
  // a sign-in right after the change (often the same second as its session
  // cut) gets a working session
  const again = g.client();
  assert.equal((await again.login('acme', 'tom@acme.example', 'N3w-passw0rd!')).status, 303);
  assert.equal((await again.get('/t/acme/session')).status, 200);
});

test('a full license pool refuses a new user with the numbers', async () => {
  await g.tenant('small', 20);
  for (let i = 0; i < 20; i++)
    assert.equal((await g.user('small', `u${i}@small.example`, PW)).code, 0);
  const r = await g.user('small', 'u20@small.example', PW);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /license_pool_exhausted/);
  assert.match(r.stderr, /20 contracted, 20 in use/);
  const low = await g.cli(['tenant', 'set-contract', 'small', '19']);
  assert.notEqual(low.code, 0);
});

test('unknown tenants and paths are clear 404s; the global login finds the tenant', async () => {
  const c = g.client();
  const r = await c.get('/t/nope/login');
  assert.equal(r.status, 404);
  assert.match(r.body, /tenant_not_found/);
  const j = await c.get('/t/nope/login', { headers: { Accept: 'application/json' } });
  assert.equal(JSON.parse(j.body).error, 'tenant_not_found');
  assert.equal((await c.get('/t/acme/nothing-here')).status, 404);
  const find = await c.get('/login?company_id=ACME');
  assert.equal(find.status, 303);
  assert.equal(find.headers.location, '/t/acme/login');
  assert.equal((await c.get('/login?company_id=zzz')).status, 404);
});

test('language follows Accept-Language and the switch', async () => {
  const c = g.client();
  const ja = await c.get('/t/acme/login', { headers: { 'Accept-Language': 'ja-JP,ja;q=0.9' } });
  assert.match(ja.body, /<html lang="ja"/);
  const en = await c.get('/t/acme/login?lang=en', { headers: { 'Accept-Language': 'ja' } });
  assert.match(en.body, /<html lang="en"/);
  // the switch is remembered
  const en2 = await c.get('/t/acme/login', { headers: { 'Accept-Language': 'ja' } });
  assert.match(en2.body, /<html lang="en"/);
});

test('malformed and oversized requests get clear errors', async () => {
  const c = g.client();
  await c.get('/t/acme/login');
  const bad = await c.request('POST', '/t/acme/login', { body: 'email=%zz&password=x',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(bad.status, 400);
  const wrongType = await c.request('POST', '/t/acme/login', { body: '{}',
    headers: { 'Content-Type': 'application/json' } });
  assert.equal(wrongType.status, 400);
  const big = await c.request('POST', '/t/acme/login', { body: 'a='.padEnd(20000, 'x'),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }).catch((e) => ({ status: 'reset', e }));
  assert.ok(big.status === 413 || big.status === 'reset', `oversized body: ${big.status}`);
  const hugeHeader = await c.get('/healthz', { headers: { 'X-Big': 'y'.repeat(10000) } })
    .catch(() => ({ status: 'reset' }));
  assert.ok([400, 431, 'reset'].includes(hugeHeader.status), `oversized header: ${hugeHeader.status}`);
  const method = await c.request('PUT', '/t/acme/login', { body: '' });
  assert.ok([405, 501].includes(method.status));
  assert.equal((await c.get('/healthz')).status, 200, 'still serving');
});

test('a hung Redis gives 503 and the same sessions work again after it returns', async () => {
  const c = g.client();
  await c.login('acme', 'grace@acme.example', PW);
  assert.equal((await c.get('/t/acme/session')).status, 200);
  g.redis.pause();
  try {
    const r = await c.get('/t/acme/session');
    assert.equal(r.status, 503);
    assert.equal(JSON.parse(r.body).error, 'session_store_unavailable');
    const page = await c.get('/t/acme/portal');
    assert.equal(page.status, 503);
    assert.equal((await c.get('/healthz')).status, 200);
  } finally {
    g.redis.resume();
  }
  let ok = false;
  for (let i = 0; i < 60 && !ok; i++) {
    ok = (await c.get('/t/acme/session')).status === 200;
    if (!ok) await sleep(100);
  }
  assert.ok(ok, 'session usable again after Redis resumed');
});

test('Redis stopped and restarted: 503 while down, /readyz says so, recovery by itself', async () => {
  const c = g.client();
  await g.redis.stop();
  try {
    await sleep(300);
    const ready = await c.get('/readyz');
    assert.equal(ready.status, 503);
    assert.equal(JSON.parse(ready.body).redis, 'down');
    const login = await c.login('acme', 'alice@acme.example', PW);
    assert.equal(login.status, 503);
    assert.equal((await c.get('/healthz')).status, 200);
  } finally {
    await g.redis.start();
  }
  let ok = false;
  for (let i = 0; i < 100 && !ok; i++) {
    ok = (await c.login('acme', 'alice@acme.example', PW)).status === 303;
    if (!ok) await sleep(100);
  }
  assert.ok(ok, 'sign-in works again after Redis came back');
});

test('active IDs: each signed-in user counted once a month, even across a Redis restart', async () => {
  const count = async () => {
    const { stdout } = await run('sqlite3', [join(g.dir, 'idgate.db'),
      "SELECT count(*) FROM monthly_active m JOIN tenants t ON t.id = m.tenant_id " +
      "WHERE t.company_id = 'acme'"]);
    return Number(stdout.trim());
  };
  // the marks are written in the background after each sign-in
  await waitFor(async () => (await count()) >= 5, 'the earlier sign-ins to be counted', 5000);
  await sleep(1000);
  const before = await count();
  // the same users again (the Redis set was lost with the restart above): no new rows
  for (const u of ['alice', 'bob', 'erin'])
    assert.equal((await g.client().login('acme', `${u}@acme.example`, PW)).status, 303);
  await sleep(1000);
  assert.equal(await count(), before);
  // a user who never signed in before adds exactly one
  assert.equal((await g.client().login('acme', 'carol@acme.example', PW)).status, 303);
  await waitFor(async () => (await count()) === before + 1, 'the new user to be counted', 5000);
  await sleep(500);
  assert.equal(await count(), before + 1);
});

test('metrics count requests, sign-ins and Redis errors', async () => {
  const m = await g.client().get('/metrics');
  assert.equal(m.status, 200);
  assert.match(m.body, /idgate_http_requests_total\{route="login",status="303"\} \d+/);
  assert.match(m.body, /idgate_signins_total\{result="ok"\} [1-9]/);
  assert.match(m.body, /idgate_signins_total\{result="failed"\} [1-9]/);
  assert.match(m.body, /idgate_redis_errors_total [1-9]/);
  assert.match(m.body, /idgate_http_request_duration_seconds_bucket\{route="portal",le="\+Inf"\}/);
  assert.match(m.body, /idgate_workpool_queue_depth \d+/);
});

test('the access log is JSON lines without query strings', async () => {
  await g.client().get('/t/acme/login?login_hint=secret-hint&probe=1');
  await waitFor(() => readFileSync(join(g.dir, 'access.log'), 'utf8').includes('/t/acme/login'),
    'the access log line', 5000);
  const lines = readFileSync(join(g.dir, 'access.log'), 'utf8').trim().split('\n');
  const recs = lines.map((l) => JSON.parse(l));
  assert.ok(recs.some((r) => r.path === '/t/acme/login' && r.status === 200));
  assert.ok(!lines.some((l) => l.includes('secret-hint')));
});

// Sends SIGHUP and waits until the master says the configuration was reloaded
// (or refused), then for the new workers to answer.
async function reload(expect = /configuration reloaded/g) {
  const seen = (g.output.match(expect) ?? []).length;
  g.proc.kill('SIGHUP');
  await waitFor(() => (g.output.match(expect) ?? []).length > seen, `${expect} in the log`, 10000);
  await waitFor(async () => (await g.client().get('/readyz')).status === 200, 'readiness', 10000);
  await sleep(300);   // the old workers finish draining
}

test('X-Forwarded-For is believed only from a trusted proxy', async () => {
  const healthz = () => readFileSync(join(g.dir, 'access.log'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l)).filter((r) => r.path === '/healthz');
  const logged = async (tag) => {
    const n = healthz().length;
    await g.client().get(`/healthz?${tag}`, { headers: { 'X-Forwarded-For': '203.0.113.7, 198.51.100.9' } });
    await waitFor(() => healthz().length > n, 'the access log line', 5000);
    return healthz().pop().ip;
  };
  // untrusted peer: the header is ignored
  assert.equal(await logged('a'), '127.0.0.1');
  // trusted loopback proxy: the right-most untrusted hop is the client
  const conf = join(g.dir, 'idgate.conf');
  const good = readFileSync(conf, 'utf8');
  writeFileSync(conf, good + '\ntrusted_proxies = [ "127.0.0.1/32" ];\n');
  await reload();
  try {
    assert.equal(await logged('b'), '198.51.100.9');
    // /metrics is only for the allowed scraper addresses (loopback by default)
    const m = await g.client().get('/metrics', { headers: { 'X-Forwarded-For': '198.51.100.9' } });
    assert.equal(m.status, 404);
  } finally {
    writeFileSync(conf, good);
    await reload();
  }
});

test('SIGHUP with a bad config keeps serving; a good one is applied', async () => {
  const conf = join(g.dir, 'idgate.conf');
  const good = readFileSync(conf, 'utf8');
  writeFileSync(conf, good + '\nnot valid config here\n');
  await reload(/reload refused/g);
  assert.equal((await g.client().get('/healthz')).status, 200);
  writeFileSync(conf, good);
  await reload();
  assert.equal((await g.client().get('/readyz')).status, 200);
});

test('an unwritable store file is a clear error, not a crash', async () => {
  const conf = join(g.dir, 'bad-store.conf');
  writeFileSync(conf, readFileSync(join(g.dir, 'idgate.conf'), 'utf8')
    .replace('sqlite_path = "idgate.db"', 'sqlite_path = "server.crt/idgate.db"'));
  const run = (args) => new Promise((resolve) => execFile(BIN, [...args, '-c', conf],
    { timeout: 20000 }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stderr })));
  const m = await run(['migrate']);
  assert.equal(m.code, 3);
  assert.match(m.stderr, /store_unavailable/);
  const s = await run(['serve']);
  assert.notEqual(s.code, 0);
  assert.match(s.stderr, /server\.crt\/idgate\.db/);
});

test('right after start every worker that takes a connection has the tenants and Redis', async () => {
  await g.tenant('fresh');
  for (let i = 0; i < 6; i++)
    assert.equal((await g.user('fresh', `s${i}@fresh.example`, PW)).code, 0);
  await g.stop();
  // Only the first answer of any worker is awaited, then fresh connections
  // (spread over both workers) sign in at once: none may meet a worker that
  // has not loaded the directory or reached Redis (404 or 503).
  await g.start({ ready: '/healthz' });
  const res = await Promise.all([...Array(6).keys()].map(
    (i) => g.client().login('fresh', `s${i}@fresh.example`, PW)));
  assert.deepEqual(res.map((r) => r.status), Array(6).fill(303));
});

test('SIGTERM drains: a sign-in in flight completes, then the gateway exits 0', async () => {
  const c = g.client();
  const page = await c.get('/t/acme/login');
  const inflight = c.post('/t/acme/login',
    { email: 'alice@acme.example', password: PW, csrf: Client.csrf(page.body) });
  await sleep(5);
  const exit = g.stop();
  const r = await inflight;
  assert.equal(r.status, 303);
  const { code } = await exit;
  assert.equal(code, 0);
});
