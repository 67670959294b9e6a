// node_saml_sp.mjs - a small SAML 2.0 service provider for the end-to-end
// tests, built on @node-saml/node-saml (the library under passport-saml).
// Every SAML decision (signatures, audience, InResponseTo, conditions,
// status) is node-saml's own: validatePostResponseAsync, validateRedirectAsync,
// validatePostRequestAsync; requests come from getAuthorizeUrlAsync,
// getAuthorizeFormAsync, getLogoutUrlAsync, getLogoutResponseUrlAsync.
//
//   node node_saml_sp.mjs --config sp.json [--port N]
//
// Same JSON config, endpoints and answers as pysaml2_sp.py (see there):
// entity_id, base_url, port, idp_metadata (file or http(s) URL), idp_ca_file,
// idp_entity_id, key_file, cert_file, sign_requests, name_id_format, binding,
// allow_unsolicited, want_response_signed, want_assertions_signed,
// clock_skew_s, and decrypt (node-saml only: accept encrypted assertions,
// decrypted with key_file; the certificate goes into the metadata; pysaml2
// always can). Prints "READY <port>" once it listens on 127.0.0.1.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SAML, SamlStatusError } from '@node-saml/node-saml';

// node-saml's own XML parser (a dependency of it), for reading the IdP metadata.
const req = createRequire(createRequire(import.meta.url).resolve('@node-saml/node-saml'));
const { DOMParser } = req('@xmldom/xmldom');

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const B_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const B_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

function arg(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const cfg = JSON.parse(readFileSync(arg('--config'), 'utf8'));
const portArg = arg('--port') ?? cfg.port ?? 0;

class Rejected extends Error {
  constructor(status, error, extra = {}) { super(error); this.status = status; this.extra = extra; }
}

const pem = (b64) => `-----BEGIN CERTIFICATE-----\n${b64.replace(/\s+/g, '')
  .match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;

function fetchText(url) {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const opts = cfg.idp_ca_file ? { ca: readFileSync(cfg.idp_ca_file) } : {};
    const r = mod.get(url, opts, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8'))
        : reject(new Error(`metadata ${url}: HTTP ${res.statusCode}`))));
    });
    r.on('error', reject);
    r.setTimeout(10000, () => r.destroy(new Error('metadata fetch timed out')));
  });
}

// xmldom's node lists are not iterable.
const byTag = (node, ns, name) => {
  const nl = node.getElementsByTagNameNS(ns, name);
  return Array.from({ length: nl.length }, (_, i) => nl.item(i));
};

// The IdP's entity ID, signing certificates and endpoints from its metadata.
function parseIdpMetadata(xml) {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const entities = byTag(doc, MD, 'EntityDescriptor')
    .filter((e) => byTag(e, MD, 'IDPSSODescriptor').length);
  const ent = cfg.idp_entity_id ? entities.find((e) => e.getAttribute('entityID') ===
    cfg.idp_entity_id) : entities.length === 1 ? entities[0] : null;
  if (!ent) throw new Error(`idp metadata: ${entities.length} IdPs, none chosen`);
  const idpsso = byTag(ent, MD, 'IDPSSODescriptor')[0];
  const certs = [];
  for (const kd of byTag(idpsso, MD, 'KeyDescriptor')) {
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const c of byTag(kd, DS, 'X509Certificate')) certs.push(pem(c.textContent));
  }
  const services = (name) => Object.fromEntries(byTag(idpsso, MD, name)
    .reverse().map((s) => [s.getAttribute('Binding'), s.getAttribute('Location')]));
  return { entityId: ent.getAttribute('entityID'), certs,
    sso: services('SingleSignOnService'), slo: services('SingleLogoutService') };
}

let idpPromise;
function idp() {
  if (!idpPromise) {
    const src = cfg.idp_metadata;
    if (!src) return Promise.reject(new Rejected(500, 'no idp_metadata configured'));
    idpPromise = (/^https?:/.test(src) ? fetchText(src) : Promise.resolve(readFileSync(src, 'utf8')))
      .then(parseIdpMetadata);
    idpPromise.catch(() => { idpPromise = undefined; });
  }
  return idpPromise;
}

let base;
const key = cfg.key_file ? readFileSync(cfg.key_file, 'utf8') : undefined;
const cert = cfg.cert_file ? readFileSync(cfg.cert_file, 'utf8') : undefined;
const sign = !!cfg.sign_requests;
// Shared by every SAML instance: the IDs of the requests sent (InResponseTo).
// node-saml's CacheProvider interface over a Map (ID -> issue instant).
const ids = new Map();
const cache = {
  async saveAsync(k, v) { if (ids.has(k)) return null; ids.set(k, v); return { value: v, createdAt: Date.now() }; },
  async getAsync(k) { return ids.get(k) ?? null; },
  async removeAsync(k) { const v = ids.get(k) ?? null; ids.delete(k); return v; },
};

// One SAML instance per request: ForceAuthn, IsPassive and the binding are
// constructor options in node-saml.
// login: the instance makes an AuthnRequest with `binding`; node-saml would
// deflate it for the POST binding too (the POST binding is plain base64).
async function saml({ binding = cfg.binding === 'post' ? 'post' : 'redirect', force = false,
  passive = false, login = false } = {}) {
  const md = await idp();
  const entryPoint = binding === 'post' ? md.sso[B_POST] : md.sso[B_REDIRECT];
  return new SAML({
    issuer: cfg.entity_id,
    audience: cfg.entity_id,
    callbackUrl: `${base}/acs`,
    logoutCallbackUrl: `${base}/slo`,
    idpCert: md.certs,
    idpIssuer: md.entityId,
    entryPoint: entryPoint ?? md.sso[B_REDIRECT] ?? md.sso[B_POST],
    logoutUrl: md.slo[B_REDIRECT] ?? md.slo[B_POST],
    authnRequestBinding: binding === 'post' ? 'HTTP-POST' : 'HTTP-Redirect',
    identifierFormat: cfg.name_id_format ?? null,
    wantAssertionsSigned: cfg.want_assertions_signed ?? true,
    wantAuthnResponseSigned: cfg.want_response_signed ?? true,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    ...(sign ? { privateKey: key, publicCert: cert } : {}),
    ...(cfg.decrypt ? { decryptionPvk: key } : {}),
    acceptedClockSkewMs: (cfg.clock_skew_s ?? 5) * 1000,
    validateInResponseTo: cfg.allow_unsolicited ? 'ifPresent' : 'always',
    cacheProvider: cache,
    forceAuthn: force,
    passive,
    skipRequestCompression: login && binding === 'post',
  });
}

const sessions = [];
const logouts = [];
let last = null;

const asArray = (v) => (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x :
  x?._ ?? JSON.stringify(x)));

function statusOf(xml) {
  const codes = [...xml.matchAll(/<(?:\w+:)?StatusCode\b[^>]*\bValue="([^"]*)"/g)].map((m) => m[1]);
  const msg = xml.match(/<(?:\w+:)?StatusMessage\b[^>]*>([^<]*)</);
  return { status: codes[0] ?? null, sub_status: codes[1] ?? null,
    status_message: msg ? msg[1] : null };
}

async function acs(form) {
  if (!form.SAMLResponse) throw new Rejected(400, 'no SAMLResponse');
  const xml = Buffer.from(form.SAMLResponse, 'base64').toString('utf8');
  let r;
  try {
    r = await (await saml()).validatePostResponseAsync({ SAMLResponse: form.SAMLResponse });
  } catch (e) {
    if (e instanceof SamlStatusError) {
      const s = statusOf(xml);
      throw new Rejected(400, `SAML status ${s.sub_status ?? s.status}: ${e.message}`, s);
    }
    throw new Rejected(403, e.message);
  }
  if (!r.profile) {
    // node-saml answers a (signed) NoPassive status with no profile.
    throw new Rejected(400, 'SAML status NoPassive', statusOf(xml));
  }
  const p = r.profile;
  const attributes = {};
  for (const [k, v] of Object.entries(p.attributes ?? {})) attributes[k] = asArray(v);
  const a = p.getAssertion().Assertion;
  const audience = (a.Conditions?.[0]?.AudienceRestriction ?? [])
    .flatMap((ar) => (ar.Audience ?? []).map((x) => x._));
  const out = { ok: true, name_id: p.nameID, name_id_format: p.nameIDFormat ?? null, attributes,
    session_index: p.sessionIndex ?? null, relay_state: form.RelayState ?? null,
    in_response_to: p.inResponseTo ?? null, issuer: p.issuer ?? null, audience };
  const sess = { ...out, active: true, profile: { nameID: p.nameID, nameIDFormat: p.nameIDFormat,
    nameQualifier: p.nameQualifier, spNameQualifier: p.spNameQualifier,
    sessionIndex: p.sessionIndex } };
  sessions.push(sess);
  last = sess;
  return out;
}

async function slo(params, method, rawQuery) {
  const s = await saml();
  if (params.SAMLResponse) {
    let r;
    try {
      r = method === 'GET' ? await s.validateRedirectAsync(params, rawQuery)
        : await s.validatePostResponseAsync(params);
    } catch (e) { throw new Rejected(403, e.message); }
    if (!r.loggedOut) throw new Rejected(403, 'not a LogoutResponse');
    const xml = method === 'GET' ? '' : Buffer.from(params.SAMLResponse, 'base64').toString('utf8');
    for (const x of sessions) if (x === last) x.active = false;
    const rec = { kind: 'logout_response', status: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      signed: method === 'GET' ? !!params.Signature : /<(\w+:)?Signature\b/.test(xml),
      relay_state: params.RelayState ?? null };
    logouts.push(rec);
    return { json: { ok: true, ...rec } };
  }
  if (params.SAMLRequest) {
    let r;
    try {
      r = method === 'GET' ? await s.validateRedirectAsync(params, rawQuery)
        : await s.validatePostRequestAsync(params);
    } catch (e) { throw new Rejected(403, e.message); }
    const p = r.profile;
    const match = sessions.filter((x) => x.active && x.name_id === p.nameID &&
      x.issuer === p.issuer);
    for (const x of match) x.active = false;
    logouts.push({ kind: 'logout_request', id: p.ID, issuer: p.issuer, name_id: p.nameID,
      session_index: p.sessionIndex ? [p.sessionIndex] : [], known_session: match.length > 0,
      signed: method === 'GET' ? !!params.Signature : true, relay_state: params.RelayState ?? null });
    const url = await s.getLogoutResponseUrlAsync(p, params.RelayState, {}, match.length > 0);
    return { location: url };
  }
  throw new Rejected(400, 'neither SAMLRequest nor SAMLResponse');
}

async function metadata() {
  const s = new SAML({ issuer: cfg.entity_id, callbackUrl: `${base}/acs`,
    logoutCallbackUrl: `${base}/slo`, idpCert: 'unused', identifierFormat: cfg.name_id_format ?? null,
    wantAssertionsSigned: cfg.want_assertions_signed ?? true, signatureAlgorithm: 'sha256',
    ...(sign ? { privateKey: key, publicCert: cert } : {}),
    ...(cfg.decrypt ? { decryptionPvk: key } : {}) });
  let xml = s.generateServiceProviderMetadata(cfg.decrypt ? cert : null, sign ? cert : null);
  // node-saml lists its SLO endpoint with the POST binding only; /slo takes
  // the Redirect binding too, so say so.
  xml = xml.replace(/(<SingleLogoutService [^>]*\/>)/,
    `<SingleLogoutService Binding="${B_REDIRECT}" Location="${base}/slo"/>$1`);
  return xml;
}

function send(res, status, body, type = 'application/json', headers = {}) {
  const b = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(b),
    'Cache-Control': 'no-store', ...headers });
  res.end(b);
}

const server = http.createServer(async (req, res) => {
  try {
    const u = new URL(req.url, base);
    const rawQuery = u.search.slice(1);
    const params = Object.fromEntries(u.searchParams);
    if (req.method === 'POST') {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      Object.assign(params, Object.fromEntries(new URLSearchParams(Buffer.concat(chunks)
        .toString('utf8'))));
    }
    const p = u.pathname;
    if (p === '/login' && req.method === 'GET') {
      const binding = params.binding ?? (cfg.binding === 'post' ? 'post' : 'redirect');
      const s = await saml({ binding, force: params.force === '1', passive: params.passive === '1',
        login: true });
      if (binding === 'post') {
        return send(res, 200, await s.getAuthorizeFormAsync(params.relay ?? '', null, {}),
          'text/html; charset=utf-8');
      }
      const url = await s.getAuthorizeUrlAsync(params.relay ?? '', null, {});
      return send(res, 302, '', 'text/plain', { Location: url });
    }
    if (p === '/acs' && req.method === 'POST') return send(res, 200, await acs(params));
    if (p === '/logout' && req.method === 'GET') {
      if (!last || !last.active) throw new Rejected(400, 'no active session');
      const url = await (await saml()).getLogoutUrlAsync(last.profile, params.relay ?? '', {});
      return send(res, 302, '', 'text/plain', { Location: url });
    }
    if (p === '/slo') {
      const r = await slo(params, req.method, rawQuery);
      if (r.location) return send(res, 302, '', 'text/plain', { Location: r.location });
      return send(res, r.json.ok ? 200 : 400, r.json);
    }
    if (p === '/state' && req.method === 'GET') {
      return send(res, 200, { sessions: sessions.map(({ profile, ...x }) => x), logouts,
        outstanding: [...ids.keys()] });
    }
    if (p === '/metadata' && req.method === 'GET') {
      return send(res, 200, await metadata(), 'application/samlmetadata+xml');
    }
    return send(res, 404, { ok: false, error: 'not found' });
  } catch (e) {
    if (e instanceof Rejected) return send(res, e.status, { ok: false, error: e.message, ...e.extra });
    if (process.env.SP_DEBUG) console.error(e);
    return send(res, 500, { ok: false, error: String(e?.message ?? e) });
  }
});

server.listen(Number(portArg), '127.0.0.1', () => {
  const { port } = server.address();
  base = cfg.base_url ?? `http://127.0.0.1:${port}`;
  process.stdout.write(`READY ${port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); process.exit(0); });
