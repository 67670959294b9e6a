// metering.test.mjs - active-ID metering, the billing export, monthly reports
// and tenant cancellation, against the real `idgate serve`, redis-server and
// the CLI, with the test clock of test builds (IDGATE_TEST_CLOCK_OFFSET)
// moving the whole gateway through October, November and December 2026.
//
// The central case simulates the month: three tenants' users sign in (and
// use SSO) on several days; at random points in each day's burst either the
// whole gateway is SIGKILLed or Redis is, and both come back. The November
// active-ID count of the billing export must then equal an independent count
// made from the audit log, and must include every user who was told they got
// in. Then the server's scheduler makes the reports, the tenant downloads
// them (its report account too, which never counts as an active ID), the
// operator API exports billing, and tenants are cancelled: their sessions
// go from Redis with them, by the CLI or else by the next daily jobs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Gateway, Client, writeConfig, sleep, waitFor, redisCommand } from './harness.mjs';

const PW = 'Corr3ct-horse!';
const TENANTS = ['mtr-a', 'mtr-b', 'mtr-c'];
const USERS = 8;
const CB = 'https://rp.example/cb';
const TOKEN = randomBytes(32).toString('hex');
let g;
let client;	// the OIDC client of mtr-a (SSO launches)
const reportPw = {};	// the report service account's password, per tenant

// Seconds to add to the real clock so that the gateway's "now" is iso.
const offsetTo = (iso) => String(Math.floor((Date.parse(iso) - Date.now()) / 1000));
const at = (iso) => { g.env = { IDGATE_TEST_CLOCK_OFFSET: offsetTo(iso) }; };
const email = (cid, i) => `u${i}@${cid}.example`;

// A deterministic pseudo-random sequence, so a failing run can be replayed.
const SEED = Number(process.env.METERING_SEED ?? Date.now() % 100000);
let rnd = SEED;
const random = () => { rnd = (rnd * 1103515245 + 12345) % 2147483648; return rnd / 2147483648; };

async function cliOk(args) {
  const r = await g.cli(args);
  assert.equal(r.code, 0, `idgate ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  g = await new Gateway({ workers: 2 }).setup();
  writeFileSync(join(g.dir, 'operator.token'), TOKEN + '\n');
  chmodSync(join(g.dir, 'operator.token'), 0o600);
  writeConfig(g, 'operator = { token_file = "operator.token"; };');
  // Contracts signed on 2026-10-30 (JST): October is the contract month.
  at('2026-10-30T10:00:00+09:00');
  for (const cid of TENANTS) {
    const created = JSON.parse(await cliOk(['tenant', 'create', '--company-id', cid,
      '--name', `${cid} 株式会社, "テスト"`, '--contract', '20', '--json']));
    reportPw[cid] = created.service_accounts.find((a) => a.kind === 'report').password;
    await cliOk(['tenant', 'complete-setup', cid]);
    for (let i = 0; i < USERS; i++)
      assert.equal((await g.user(cid, email(cid, i), PW)).code, 0);
    await cliOk(['group', 'add', '--tenant', cid, 'admins']);
    await cliOk(['group', 'add-member', '--tenant', cid, 'admins', email(cid, 0)]);
  }
  const doc = JSON.parse(await cliOk(['oidc', 'client', 'add', '--tenant', 'mtr-a',
    '--name', 'Billing RP', '--redirect-uri', CB, '--public', '--json']));
  client = doc.client_id;
  await cliOk(['oidc', 'key', 'rotate', '--tenant', 'mtr-a']);
  for (let i = 0; i < USERS; i++)
    await cliOk(['oidc', 'client', 'assign', '--tenant', 'mtr-a', client, '--user',
      email('mtr-a', i)]);
});

after(async () => { await g?.teardown(); });

// One sign-in (and for mtr-a an SSO launch): resolves to 'in' when the
// gateway said the user got in, 'out' when it refused, 'lost' when the
// connection died (a crash in the middle).
async function activity(cid, i) {
  const c = g.client();
  try {
    const r = await c.login(cid, email(cid, i), PW);
    if (r.status !== 303 || !/\/portal$/.test(r.headers.location ?? '')) return 'out';
    if (cid !== 'mtr-a') return 'in';
    const verifier = randomBytes(32).toString('base64url');
    const a = await c.get(`/oidc/mtr-a/authorize?` + new URLSearchParams({
      client_id: client, redirect_uri: CB, response_type: 'code', scope: 'openid',
      state: 's', code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256' }));
    return a.status === 303 && /[?&]code=/.test(a.headers.location ?? '') ? 'in' : 'out';
  } catch {
    return 'lost';
  }
}

// One simulated day: a burst of activities, with a crash of the gateway or
// of Redis at a random point in it; then the rest of the day's activities.
async function day(iso, told) {
  at(iso);
  await g.start();
  const todo = [];
  for (const cid of TENANTS)
    for (let i = 0; i < USERS; i++)
      if (random() < 0.45) todo.push([cid, i]);
  const cut = Math.floor(random() * todo.length);
  const crashGateway = random() < 0.5;
  const results = todo.map(([cid, i], k) =>
    (async () => {
      await sleep(k * 30);
      return [cid, i, await activity(cid, i)];
    })());
  await sleep(cut * 30 + 5);
  if (crashGateway) await g.crash();
  else await g.redis.kill();
  const first = await Promise.all(results);
  if (crashGateway) await g.start();
  else await g.redis.start();
  // After the crash: everyone whose attempt was lost tries again (a wait, not a timing:
  // an ASan build under other load needed more than 20 s once, for Redis and the workers).
  const again = await Promise.all(first.filter((x) => x[2] !== 'in').map(
    async ([cid, i]) => [cid, i, await waitFor(async () =>
      (await activity(cid, i)) === 'in', `${email(cid, i)} gets in after the crash`, 60000)
      .then(() => 'in')]));
  for (const [cid, i, res] of [...first, ...again])
    if (res === 'in') told.add(`${cid}/${email(cid, i)}`);
  const n = (what) => first.filter((x) => x[2] === what).length;
  console.log(`# ${iso}: ${todo.length} users, ${crashGateway ? 'gateway' : 'Redis'} killed` +
    ` after ${cut}: ${n('in')} in, ${n('out')} refused, ${n('lost')} lost, all retried in`);
  await g.stop();
}

// Active users per tenant of a month from the audit log alone: every
// successful sign-in (password step completed) and SSO launch in the month,
// by a person user (the service accounts' addresses end in .idgate.invalid).
async function auditCount(month) {
  const events = JSON.parse(await cliOk(['audit', 'list', '--limit', '100000', '--json']));
  const [y, m] = month.split('-').map(Number);
  const from = Date.parse(`${month}-01T00:00:00+09:00`);
  const next = Date.parse(`${m === 12 ? y + 1 : y}-${String(m % 12 + 1).padStart(2, '0')}` +
    '-01T00:00:00+09:00');
  const users = new Map(TENANTS.map((t) => [t, new Set()]));
  for (const e of events) {
    const t = Date.parse(e.at);
    if (t < from || t >= next || !users.has(e.tenant)) continue;
    const ok = (e.action === 'signin.password' && /^ok(_password_expired)?$/.test(e.result)) ||
      (e.action.startsWith('sso.') && e.result === 'ok');
    const who = e.action === 'signin.password' ? e.target : e.actor;
    if (ok && !who.endsWith('.idgate.invalid')) users.get(e.tenant).add(who);
  }
  return users;
}

async function billing(month, format = 'json') {
  return cliOk(['billing', 'export', '--month', month, '--format', format]);
}

test('a month of sign-ins with crashes of the gateway and of Redis counts every active ID exactly once', async () => {
  const told = { '2026-10': new Set(), '2026-11': new Set() };
  await day('2026-10-31T20:00:00+09:00', told['2026-10']);
  for (const d of ['2026-11-01T09:00:00+09:00', '2026-11-02T12:00:00+09:00',
    '2026-11-16T12:00:00+09:00', '2026-11-30T23:58:00+09:00'])
    await day(d, told['2026-11']);
  at('2026-12-02T10:00:00+09:00');
  for (const month of ['2026-10', '2026-11']) {
    const exp = JSON.parse(await billing(month));
    assert.equal(exp.closed, true);
    const audit = await auditCount(month);
    for (const cid of TENANTS) {
      const row = exp.tenants.find((t) => t.company_id === cid);
      assert.ok(row, `${cid} in the ${month} export`);
      assert.equal(row.active_ids, audit.get(cid).size,
        `${cid} ${month}: export ${row.active_ids} vs audit log ${audit.get(cid).size} (seed ${SEED})`);
      const toldHere = [...told[month]].filter((x) => x.startsWith(cid + '/')).length;
      assert.ok(row.active_ids >= toldHere,
        `${cid} ${month}: every user told "in" is counted (${row.active_ids} >= ${toldHere})`);
      assert.ok(row.active_ids <= USERS);
      assert.equal(row.contracted_ids, 20);
      assert.equal(row.licensed_end, USERS);
      assert.equal(row.licensed_peak, USERS);
    }
  }
  // A closed month exports to the same bytes every time.
  assert.equal(await billing('2026-11', 'csv'), await billing('2026-11', 'csv'));
});

test('the scheduler makes the first report (contract month included) and the tenant downloads it', async () => {
  at('2026-12-02T10:00:00+09:00');
  await g.start();
  await waitFor(async () => (await g.cli(['report', 'list', '--json'])).stdout.includes('mtr-c'),
    'the monthly reports of November', 20000);
  await g.stop();
  const list = JSON.parse(await cliOk(['report', 'list', '--json']));
  const a = list.find((r) => r.company_id === 'mtr-a');
  assert.deepEqual([a.month, a.from_day, a.to_day, a.due, a.final],
    ['2026-11', '2026-10-30', '2026-11-30', '2026-12-14', false]);
  assert.equal(list.filter((r) => r.company_id === 'mtr-a').length, 1,
    'no separate report for the contract month');
  assert.equal((await cliOk(['report', 'due', '--month', '2026-11'])).trim(), '2026-12-14');

  const json = JSON.parse(await cliOk(['report', 'show', '--tenant', 'mtr-a', '--month',
    '2026-11', '--format', 'json']));
  const exp = JSON.parse(await billing('2026-11'));
  assert.equal(json.first, true);
  assert.deepEqual(json.months.map((m) => m.month), ['2026-10', '2026-11']);
  assert.equal(json.months[1].active_ids,
    exp.tenants.find((t) => t.company_id === 'mtr-a').active_ids);
  assert.ok(json.totals.signins_ok >= json.months[1].active_ids);
  assert.ok(json.totals.sso_total > 0);
  assert.equal(json.apps[0].name, client);
  assert.equal(json.days[0].day, '2026-10-30');
  assert.equal(json.days.at(-1).day, '2026-11-30');

  at('2026-12-02T11:00:00+09:00');
  await g.start();
  const admin = g.client();
  const signin = await admin.login('mtr-a', email('mtr-a', 0), PW);
  assert.equal(signin.status, 303, g.explain(signin));
  const page = await admin.get('/t/mtr-a/reports');
  assert.equal(page.status, 200);
  assert.match(page.body, /\/t\/mtr-a\/reports\/2026-11\.csv/);
  const html = await admin.get('/t/mtr-a/reports/2026-11.html');
  assert.equal(html.status, 200);
  assert.match(html.headers['content-security-policy'], /sandbox/);
  assert.doesNotMatch(html.body, /<script/i);
  const csv = await admin.get('/t/mtr-a/reports/2026-11.csv?bom=1');
  assert.equal(csv.status, 200);
  assert.match(csv.headers['content-disposition'], /attachment; filename="idgate-mtr-a-2026-11.csv"/);
  assert.ok(csv.body.startsWith('\ufeff'), 'byte-order mark for Excel');
  assert.equal((await admin.get('/t/mtr-a/reports/2026-09.json')).status, 404);
  assert.equal((await admin.get('/t/mtr-a/reports/2026-11.exe')).status, 404);
  // A user who is neither an admin nor the report account is refused.
  const user = g.client();
  const other = await user.login('mtr-a', email('mtr-a', 1), PW);
  assert.equal(other.status, 303, g.explain(other));
  const denied = await user.get('/t/mtr-a/reports/2026-11.html');
  assert.equal(denied.status, 403);
  assert.match(denied.body, /reports_forbidden|administrators/);
  // Not signed in: to the sign-in page.
  assert.equal((await g.client().get('/t/mtr-a/reports')).status, 303);

  // The report account signs in and downloads a report: a service account is
  // never an active ID (nor a license), so December's figures do not move.
  const figures = async () => {
    const row = JSON.parse(await billing('2026-12')).tenants
      .find((t) => t.company_id === 'mtr-c');
    return [row.active_ids, row.licensed_end];
  };
  const was = await figures();
  assert.equal(was[1], USERS);
  const svc = g.client();
  const rs = await svc.login('mtr-c', 'report@mtr-c.idgate.invalid', reportPw['mtr-c']);
  assert.equal(rs.status, 303, g.explain(rs));
  assert.match(rs.headers.location ?? '', /\/portal$/);
  assert.equal((await svc.get('/t/mtr-c/reports')).status, 200);
  const dl = await svc.get('/t/mtr-c/reports/2026-11.csv');
  assert.equal(dl.status, 200);
  assert.match(dl.body, /^section,/);
  const signedIn = JSON.parse(await cliOk(['audit', 'list', '--tenant', 'mtr-c', '--limit',
    '20', '--json'])).filter((e) => e.action === 'signin.password' &&
    e.target === 'report@mtr-c.idgate.invalid' && e.result === 'ok');
  assert.equal(signedIn.length, 1, 'the sign-in is in the audit log');
  assert.deepEqual(await figures(), was, 'the report account is not counted');
  await g.stop();
});

test('the operator API exports billing with a bearer token, and refuses without one', async () => {
  at('2026-12-02T12:00:00+09:00');
  await g.start();
  const c = g.client();
  const none = await c.get('/operator/billing?month=2026-11');
  assert.equal(none.status, 401);
  assert.match(none.headers['www-authenticate'], /^Bearer .*error="invalid_token"/);
  assert.equal(JSON.parse(none.body).error, 'operator_unauthorized');
  const wrong = await c.get('/operator/billing?month=2026-11',
    { headers: { Authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
  assert.equal(wrong.status, 401);
  const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
  const csv = await c.get('/operator/billing?month=2026-11', auth);
  assert.equal(csv.status, 200);
  assert.equal(csv.body, await billing('2026-11', 'csv'), 'API and CLI give the same bytes');
  const json = await c.get('/operator/billing?month=2026-11&format=json&tenant=mtr-b', auth);
  assert.equal(json.status, 200);
  assert.deepEqual(JSON.parse(json.body).tenants.map((t) => t.company_id), ['mtr-b']);
  assert.equal((await c.get('/operator/billing?month=2026-13', auth)).status, 400);
  assert.equal((await c.get('/operator/billing?month=2026-11&format=xml', auth)).status, 400);
  assert.equal((await c.get('/operator/billing?month=2026-11&tenant=nobody', auth)).status,
    404);
  await g.stop();
});

test('cancellation is refused while apps remain, then makes the final report and purges', async () => {
  at('2026-12-03T10:00:00+09:00');
  const before = await billing('2026-11', 'csv');
  const refused = await g.cli(['tenant', 'cancel', 'mtr-a']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /tenant_has_apps/);
  assert.match(refused.stderr, new RegExp(`oidc ${client}`));

  await cliOk(['tenant', 'cancel', 'mtr-b']);
  const list = JSON.parse(await cliOk(['report', 'list', '--tenant', 'mtr-b', '--json']));
  const last = list.at(-1);
  assert.deepEqual([last.month, last.from_day, last.to_day, last.final],
    ['2026-12', '2026-12-01', '2026-12-03', true]);
  const users = await g.cli(['user', 'add', '--tenant', 'mtr-b', '--email', 'new@mtr-b.example']);
  assert.equal(users.code, 1);
  assert.match(users.stderr, /tenant_cancelled/, 'a cancelled tenant takes no more users');
  // The closed month's billing is unchanged by the purge, byte for byte.
  assert.equal(await billing('2026-11', 'csv'), before);
  const dec = JSON.parse(await billing('2026-12'));
  assert.equal(dec.tenants.find((t) => t.company_id === 'mtr-b').cancelled, true);
  assert.equal((await g.cli(['tenant', 'cancel', 'mtr-b'])).code, 1, 'cancelled already');

  await cliOk(['tenant', 'cancel', 'mtr-a', '--force']);
  await g.start();
  const gone = await g.client().get('/t/mtr-b/login');
  assert.equal(gone.status, 404, g.explain(gone));
  assert.equal((await g.client().get('/oidc/mtr-a/.well-known/openid-configuration')).status,
    404);
  await g.stop();
  // No report for months after the cancellation.
  at('2027-02-02T10:00:00+09:00');
  assert.match(await cliOk(['report', 'generate', '--month', '2027-01', '--tenant', 'mtr-b']),
    /not_covered/);
  const jan = JSON.parse(await billing('2027-01'));
  assert.deepEqual(jan.tenants.map((t) => t.company_id), ['mtr-c']);
});

// A session's Redis key, as gateway/session makes it; its record names the tenant.
const sessionKey = (sid) => 's:' + createHash('sha256').update(sid).digest('hex').slice(0, 32);
const redis = (...args) => redisCommand(g.redisPort, ...args);

// Signs u0 of cid in; resolves to its client, session key and tenant id.
async function signedIn(cid) {
  const c = g.client();
  const r = await c.login(cid, email(cid, 0), PW);
  assert.equal(r.status, 303, g.explain(r));
  const key = sessionKey(c.jar.get(`__Host-idgate-${cid}`));
  const rec = await redis('GET', key);
  assert.ok(rec, `session of ${cid} stored`);
  const tid = rec.split('|')[2];
  assert.notEqual(await redis('ZSCORE', `st:${tid}`, key), null, `${cid}: session indexed`);
  return { c, key, tid };
}

async function tenantWithUser(cid) {
  await cliOk(['tenant', 'create', '--company-id', cid, '--name', cid, '--contract', '20']);
  await cliOk(['tenant', 'complete-setup', cid]);
  assert.equal((await g.user(cid, email(cid, 0), PW)).code, 0);
}

test('cancellation ends the tenant\'s sessions in Redis, not another tenant\'s', async () => {
  at('2027-03-01T10:00:00+09:00');
  await tenantWithUser('mtr-d');
  await g.start();
  const a = await signedIn('mtr-d');
  const b = await signedIn('mtr-d');
  const other = await signedIn('mtr-c');
  // Sign-out takes the session out of the index too.
  const portal = await b.c.get('/t/mtr-d/portal');
  assert.equal((await b.c.post('/t/mtr-d/logout', { csrf: Client.csrf(portal.body) })).status,
    303);
  assert.equal(await redis('EXISTS', b.key), 0);
  assert.equal(await redis('ZSCORE', `st:${a.tid}`, b.key), null);

  const out = await cliOk(['tenant', 'cancel', 'mtr-d']);
  assert.match(out, /tenant mtr-d: 1 session\(s\) ended/);
  assert.equal(await redis('EXISTS', a.key), 0, 'the session is gone from Redis');
  assert.equal(await redis('EXISTS', `st:${a.tid}`), 0, 'and so is the index');
  assert.equal(await redis('EXISTS', other.key), 1, 'another tenant\'s session stays');
  assert.notEqual(await redis('ZSCORE', `st:${other.tid}`, other.key), null);
  assert.equal((await other.c.get('/t/mtr-c/portal')).status, 200);
  await g.stop();
});

test('sessions the CLI could not end (Redis hung) go with the next daily jobs', async () => {
  at('2027-03-01T11:00:00+09:00');
  await tenantWithUser('mtr-e');
  await g.start();
  const a = await signedIn('mtr-e');
  const other = await signedIn('mtr-c');
  g.redis.pause();
  let r;
  try {
    r = await g.cli(['tenant', 'cancel', 'mtr-e']);
  } finally {
    g.redis.resume();
  }
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /tenant mtr-e: cancelled;/);
  assert.match(r.stderr, /warning: sessions_not_purged: the sessions of tenant mtr-e were not/);
  assert.match(r.stderr, /expire by their idle timeout/);
  assert.equal(await redis('EXISTS', a.key), 1, 'not purged yet');
  // Unusable all the same, once the gateway has read the cancellation.
  await waitFor(async () => (await a.c.get('/t/mtr-e/portal')).status === 404,
    'mtr-e answers tenant_not_found');
  await g.stop();
  // The next day's jobs (run when the gateway starts) finish the purge.
  at('2027-03-02T10:00:00+09:00');
  await g.start();
  await waitFor(async () => (await redis('EXISTS', a.key)) === 0 &&
    (await redis('EXISTS', `st:${a.tid}`)) === 0, 'the daily jobs purge mtr-e\'s sessions',
  20000);
  assert.equal(await redis('EXISTS', other.key), 1, 'another tenant\'s session stays');
  await g.stop();
});

test('the audit log is purged after the retention period', async () => {
  at('2028-01-10T10:00:00+09:00');
  await g.start();
  await waitFor(async () => {
    const ev = JSON.parse(await cliOk(['audit', 'list', '--limit', '100000', '--json']));
    return ev.every((e) => Date.parse(e.at) >= Date.parse('2027-01-10T00:00:00+09:00'));
  }, 'audit events older than 365 days purged', 20000);
  await g.stop();
  // Billing figures outlive the log.
  const exp = JSON.parse(await billing('2026-11'));
  assert.ok(exp.tenants.find((t) => t.company_id === 'mtr-c').active_ids > 0);
});
