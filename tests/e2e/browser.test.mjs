// browser.test.mjs - headless Chromium (Debian's, through playwright-core)
// signs in to the real `idgate serve` the way a person would: company ID page,
// tenant sign-in form, portal, sign-out. Checks the session cookie as the
// browser stored it, the generic error on a wrong password, that the portal
// is closed after sign-out, and the Japanese page for a ja-JP browser. Saves
// screenshots (portal.png, login-error.png, login-ja.png) to SCREENSHOT_DIR for review.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { Gateway } from './harness.mjs';

const PW = 'Corr3ct-horse!';
const SHOTS = process.env.SCREENSHOT_DIR || tmpdir();
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
let g;
let browser;
let base;

before(async () => {
  g = await new Gateway({ workers: 2 }).setup();
  await g.tenant('acme');
  assert.equal((await g.user('acme', 'alice@acme.example', PW, 'Alice Example')).code, 0);
  await g.start();
  base = `https://127.0.0.1:${g.port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await g?.teardown();
});

async function newPage(locale = 'en-US') {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  return { context, page };
}

const path = (page) => new URL(page.url()).pathname;

// Company ID page -> the tenant's sign-in form.
async function openTenantLogin(page) {
  const r = await page.goto(`${base}/login`);
  assert.equal(r.status(), 200);
  await page.fill('input[name="company_id"]', 'acme');
  await Promise.all([page.waitForURL('**/t/acme/login'), page.click('#company-next')]);
  assert.equal(path(page), '/t/acme/login');
  assert.match(await page.textContent('#tenant-name'), /acme Inc\./);
}

test('a person signs in, sees the portal and signs out', async () => {
  const { context, page } = await newPage();
  try {
    await openTenantLogin(page);
    await page.fill('#email', 'alice@acme.example');
    await page.fill('#password', PW);
    await Promise.all([page.waitForURL('**/t/acme/portal'), page.click('#signin')]);
    assert.equal(path(page), '/t/acme/portal');
    assert.equal((await page.textContent('#user-name')).trim(), 'Alice Example');
    assert.ok(await page.isVisible('#user-name'));
    assert.ok(await page.isVisible('text=alice@acme.example'));

    const cookies = await context.cookies(base);
    const sess = cookies.find((c) => c.name === '__Host-idgate-acme');
    assert.ok(sess, `session cookie stored: ${cookies.map((c) => c.name).join(', ')}`);
    assert.equal(sess.httpOnly, true);
    assert.equal(sess.secure, true);
    assert.equal(sess.sameSite, 'Lax');
    assert.equal(sess.path, '/');
    assert.match(sess.value, /^[A-Za-z0-9_-]{43}$/);
    // the cookie is not readable from page scripts
    assert.ok(!(await page.evaluate(() => document.cookie)).includes('__Host-idgate-acme'));

    await page.screenshot({ path: join(SHOTS, 'portal.png'), fullPage: true });

    await Promise.all([page.waitForURL('**/t/acme/login'), page.click('#logout')]);
    assert.equal(path(page), '/t/acme/login');
    assert.ok(await page.isVisible('#signin'));
    assert.ok(!(await context.cookies(base)).some((c) => c.name === '__Host-idgate-acme'),
      'session cookie removed at sign-out');

    // the portal is closed again: the browser is sent back to the sign-in form
    await page.goto(`${base}/t/acme/portal`);
    assert.equal(path(page), '/t/acme/login');
    assert.ok(await page.isVisible('#login-form'));
    assert.equal(await page.locator('#user-name').count(), 0);
  } finally {
    await context.close();
  }
});

test('a wrong password shows the generic error and no session', async () => {
  const { context, page } = await newPage();
  try {
    await openTenantLogin(page);
    await page.fill('#email', 'alice@acme.example');
    await page.fill('#password', 'not-the-password');
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'),
      page.click('#signin')]);
    await page.waitForSelector('#form-error');
    assert.equal(path(page), '/t/acme/login');
    const msg = await page.textContent('#form-error');
    assert.match(msg, /email address or password is incorrect/);
    // the email is kept, the password is not
    assert.equal(await page.inputValue('#email'), 'alice@acme.example');
    assert.equal(await page.inputValue('#password'), '');
    assert.ok(!(await context.cookies(base)).some((c) => c.name === '__Host-idgate-acme'));
    await page.screenshot({ path: join(SHOTS, 'login-error.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('a Japanese browser gets the Japanese page', async () => {
  const { context, page } = await newPage('ja-JP');
  try {
    const r = await page.goto(`${base}/login`);
    assert.match(r.request().headers()['accept-language'], /^ja/);
    assert.equal(await page.getAttribute('html', 'lang'), 'ja');
    assert.match(await page.textContent('h1'), /ログイン/);
    assert.equal(await page.getAttribute('#lang-ja', 'aria-current'), 'true');
    await page.screenshot({ path: join(SHOTS, 'login-ja.png'), fullPage: true });
    // and an English browser does not
    const en = await newPage('en-US');
    try {
      await en.page.goto(`${base}/login`);
      assert.equal(await en.page.getAttribute('html', 'lang'), 'en');
    } finally {
      await en.context.close();
    }
  } finally {
    await context.close();
  }
});

// The monthly report as a tenant admin opens it: the page kept by `report
// generate`, served under its sandbox CSP, rendered by Chromium; the key
// figures are read from the rendered page and a PNG is kept (report.png).
test('a tenant admin opens the monthly report in the browser', async () => {
  const jst = (t) => new Date(t + 9 * 3600 * 1000).toISOString();
  const month = jst(Date.now()).slice(0, 7);	// this month in Asia/Tokyo
  const [y, m] = month.split('-').map(Number);
  const mon = (yy, mm) => `${mm < 1 ? yy - 1 : mm > 12 ? yy + 1 : yy}-` +
    `${String((mm + 11) % 12 + 1).padStart(2, '0')}`;
  const offsetTo = (iso) => String(Math.floor((Date.parse(iso) - Date.now()) / 1000));
  // Contract in the middle of last month; the report of this month is the first.
  g.env = { IDGATE_TEST_CLOCK_OFFSET: offsetTo(`${mon(y, m - 1)}-15T10:00:00+09:00`) };
  assert.equal((await g.cli(['tenant', 'create', '--company-id', 'rpt', '--name',
    'レポート株式会社 <Report>', '--contract', '30'])).code, 0);
  for (let i = 0; i < 6; i++)
    assert.equal((await g.user('rpt', `r${i}@rpt.example`, PW)).code, 0);
  assert.equal((await g.cli(['group', 'add', '--tenant', 'rpt', 'admins'])).code, 0);
  assert.equal((await g.cli(['group', 'add-member', '--tenant', 'rpt', 'admins',
    'r0@rpt.example'])).code, 0);
  g.env = {};
  // Three users sign in this month (the real clock).
  await new Promise((r) => setTimeout(r, 1500));	// the gateway knows the tenant
  for (let i = 1; i <= 3; i++) {
    const c = g.client();
    assert.equal((await c.login('rpt', `r${i}@rpt.example`, PW)).status, 303);
  }
  g.env = { IDGATE_TEST_CLOCK_OFFSET: offsetTo(`${mon(y, m + 1)}-02T09:00:00+09:00`) };
  const gen = await g.cli(['report', 'generate', '--month', month, '--tenant', 'rpt']);
  g.env = {};
  assert.match(gen.stdout, /generated/, gen.stderr);

  const { context, page } = await newPage('ja-JP');
  try {
    await page.goto(`${base}/t/rpt/login`);
    await page.fill('#email', 'r0@rpt.example');
    await page.fill('#password', PW);
    await Promise.all([page.waitForURL('**/t/rpt/portal'), page.click('#signin')]);
    await page.goto(`${base}/t/rpt/reports`);
    await Promise.all([page.waitForURL(`**/reports/${month}.html`),
      page.click(`a[href="/t/rpt/reports/${month}.html"]`)]);
    const fig = async (k, mm) => (await page.textContent(
      `[data-k="${k}"]${mm ? `[data-month="${mm}"]` : ''}`)).trim();
    assert.equal(await fig('active_ids', month), '3');
    assert.equal(await fig('licensed_peak', month), '6');
    assert.equal(await fig('contracted_end', month), '30');
    assert.equal(await fig('signins_ok'), '3');
    assert.match(await page.title(), /rpt/);
    assert.match(await page.textContent('body'), /レポート株式会社 <Report>/);
    assert.equal(await page.locator('svg').count(), 3);
    await page.screenshot({ path: join(SHOTS, 'report.png'), fullPage: true });
  } finally {
    await context.close();
  }
});
