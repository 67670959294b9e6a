#!/usr/bin/python3
# pysaml2_sp.py - a small SAML 2.0 service provider for the end-to-end tests,
# built on pysaml2 (Debian's python3-pysaml2, which runs the xmlsec1 binary).
# Every SAML decision (signatures, audience, InResponseTo, conditions,
# Destination/Recipient, status) is pysaml2's own; this file only wires HTTP
# to it and reports the outcome as JSON.
#
#   /usr/bin/python3 pysaml2_sp.py --config sp.json [--port N]
#
# Prints "READY <port>" on stdout once it listens on 127.0.0.1 (port 0: a
# free one). The JSON config (same keys as node_saml_sp.mjs):
#   entity_id             the SP's entity ID (required)
#   base_url              default http://127.0.0.1:<port>; ACS is <base>/acs,
#                         SLO <base>/slo, metadata <base>/metadata
#   port                  default 0
#   idp_metadata          a file path or an http(s) URL, read on first use
#   idp_ca_file           CA (PEM) trusted when fetching an https URL
#   idp_entity_id         which IdP of the metadata (default: the only one)
#   key_file, cert_file   the SP's RSA key and certificate (PEM)
#   sign_requests         sign AuthnRequests and LogoutRequests (default false)
#   name_id_format        the NameIDPolicy Format to ask for (default none)
#   binding               "redirect" (default) or "post" for the AuthnRequest
#   allow_unsolicited     accept IdP-initiated responses (default false)
#   want_response_signed  (default true)   want_assertions_signed (default true)
#   clock_skew_s          accepted clock difference, seconds (default 5)
#
# Endpoints:
#   GET  /login?binding=redirect|post&relay=X&force=1&passive=1
#   POST /acs                 -> 200 {"ok":true,...} | 400/403 {"ok":false,"error":...}
#   GET  /logout[?binding=post]  SP-initiated SLO for the last session
#   GET|POST /slo             LogoutResponse (JSON) or IdP-initiated LogoutRequest
#   GET  /state               sessions and logouts seen
#   GET  /metadata            the SP's metadata
import argparse
import base64
import json
import os
import ssl
import sys
import traceback
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, HTTPServer

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2 import xmldsig
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.response import StatusError
from saml2.sigver import verify_redirect_signature
from saml2.ident import code as nid_code, decode as nid_decode

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"


class Rejected(Exception):
    def __init__(self, http_status, error, **extra):
        super().__init__(error)
        self.status = http_status
        self.error = error
        self.extra = extra


def saml_status_of(xml_bytes):
    """The StatusCode values of a SAML message (for the error report only)."""
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError:
        return None, None, None
    codes = []
    node = root.find("{%s}Status/{%s}StatusCode" % (SAMLP, SAMLP))
    while node is not None:
        codes.append(node.get("Value"))
        node = node.find("{%s}StatusCode" % SAMLP)
    msg = root.find("{%s}Status/{%s}StatusMessage" % (SAMLP, SAMLP))
    return (codes[0] if codes else None, codes[1] if len(codes) > 1 else None,
            msg.text if msg is not None else None)


class SP:
    def __init__(self, cfg, port):
        self.cfg = cfg
        self.base = cfg.get("base_url") or "http://127.0.0.1:%d" % port
        self.entity_id = cfg["entity_id"]
        self.binding = BINDING_HTTP_POST if cfg.get("binding") == "post" else BINDING_HTTP_REDIRECT
        self.sign = bool(cfg.get("sign_requests", False))
        self._client = None
        self.outstanding = {}      # AuthnRequest ID -> relay state
        self.sessions = []         # every accepted assertion
        self.logouts = []          # every SLO message handled
        self.last = None           # the last session (for GET /logout)

    # --- configuration ---
    def conf_dict(self, with_idp):
        sp = {
            "endpoints": {
                "assertion_consumer_service": [(self.base + "/acs", BINDING_HTTP_POST)],
                "single_logout_service": [(self.base + "/slo", BINDING_HTTP_REDIRECT),
                                          (self.base + "/slo", BINDING_HTTP_POST)],
            },
            "allow_unsolicited": bool(self.cfg.get("allow_unsolicited", False)),
            "authn_requests_signed": self.sign,
            "logout_requests_signed": self.sign,
            "logout_responses_signed": self.sign,
            "want_response_signed": bool(self.cfg.get("want_response_signed", True)),
            "want_assertions_signed": bool(self.cfg.get("want_assertions_signed", True)),
        }
        fmt = self.cfg.get("name_id_format")
        if fmt:
            sp["name_id_format"] = [fmt]
            sp["name_id_policy_format"] = fmt
        d = {
            "entityid": self.entity_id,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "accepted_time_diff": int(self.cfg.get("clock_skew_s", 5)),
            "allow_unknown_attributes": True,
            "signing_algorithm": xmldsig.SIG_RSA_SHA256,
            "digest_algorithm": xmldsig.DIGEST_SHA256,
            "preferred_binding": {"single_logout_service":
                                  [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST]},
            "service": {"sp": sp},
        }
        if self.cfg.get("key_file"):
            d["key_file"] = self.cfg["key_file"]
            d["cert_file"] = self.cfg["cert_file"]
            d["encryption_keypairs"] = [{"key_file": self.cfg["key_file"],
                                         "cert_file": self.cfg["cert_file"]}]
        if with_idp:
            d["metadata"] = {"inline": [self.idp_metadata_xml()]}
        return d

    def idp_metadata_xml(self):
        src = self.cfg.get("idp_metadata")
        if not src:
            raise Rejected(500, "no idp_metadata configured")
        if src.startswith("http://") or src.startswith("https://"):
            ctx = None
            if src.startswith("https://"):
                ctx = ssl.create_default_context(cafile=self.cfg.get("idp_ca_file"))
            with urllib.request.urlopen(src, context=ctx, timeout=10) as r:
                return r.read().decode("utf-8")
        with open(src, encoding="utf-8") as f:
            return f.read()

    def client(self):
        if self._client is None:
            conf = SPConfig()
            conf.load(self.conf_dict(True))
            self._client = Saml2Client(config=conf)
        return self._client

    def idp(self):
        if self.cfg.get("idp_entity_id"):
            return self.cfg["idp_entity_id"]
        idps = list(self.client().metadata.identity_providers())
        if len(idps) != 1:
            raise Rejected(500, "idp metadata holds %d IdPs: set idp_entity_id" % len(idps))
        return idps[0]

    def metadata(self):
        conf = SPConfig()
        conf.load(self.conf_dict(False))
        return create_metadata_string(None, config=conf, sign=False)

    def idp_signing_certs(self, issuer):
        return self.client().metadata.certs(issuer, "idpsso", "signing")

    # --- SSO ---
    def login(self, q):
        binding = self.binding
        if q.get("binding") == "post":
            binding = BINDING_HTTP_POST
        elif q.get("binding") == "redirect":
            binding = BINDING_HTTP_REDIRECT
        kwargs = {}
        if q.get("force") == "1":
            kwargs["force_authn"] = "true"
        if q.get("passive") == "1":
            kwargs["is_passive"] = "true"
        relay = q.get("relay", "")
        reqid, info = self.client().prepare_for_authenticate(
            entityid=self.idp(), relay_state=relay, binding=binding,
            nameid_format=self.cfg.get("name_id_format") or None,
            sign=self.sign, sigalg=xmldsig.SIG_RSA_SHA256,
            digest_alg=xmldsig.DIGEST_SHA256, **kwargs)
        self.outstanding[reqid] = relay
        return info

    def acs(self, form):
        raw = form.get("SAMLResponse")
        if not raw:
            raise Rejected(400, "no SAMLResponse")
        try:
            xml = base64.b64decode(raw)
        except Exception:
            raise Rejected(400, "SAMLResponse is not base64")
        try:
            resp = self.client().parse_authn_request_response(
                raw, BINDING_HTTP_POST, outstanding=self.outstanding)
        except StatusError as e:
            code, sub, msg = saml_status_of(xml)
            raise Rejected(400, "SAML status %s: %s" % (sub or code, e),
                           status=code, sub_status=sub, status_message=msg)
        except Exception as e:
            raise Rejected(403, "%s: %s" % (type(e).__name__, e))
        if resp is None:
            raise Rejected(403, "pysaml2 returned no response (rejected)")
        if resp.in_response_to:
            self.outstanding.pop(resp.in_response_to, None)
        assertion = resp.assertion
        attributes = {}
        for st in assertion.attribute_statement or []:
            for a in st.attribute or []:
                attributes.setdefault(a.name, []).extend(
                    (v.text or "") for v in (a.attribute_value or []))
        session_index = None
        if assertion.authn_statement:
            session_index = assertion.authn_statement[0].session_index
        name_id = resp.name_id
        out = {
            "ok": True,
            "name_id": name_id.text if name_id is not None else None,
            "name_id_format": name_id.format if name_id is not None else None,
            "attributes": attributes,
            "identity": resp.ava,
            "session_index": session_index,
            "relay_state": form.get("RelayState"),
            "in_response_to": resp.in_response_to or None,
            "issuer": resp.issuer(),
            "audience": [a.text for c in [assertion.conditions] if c
                         for r in c.audience_restriction or [] for a in r.audience or []],
        }
        sess = dict(out, active=True, name_id_code=nid_code(name_id) if name_id else None)
        self.sessions.append(sess)
        self.last = sess
        return out

    # --- SLO ---
    def logout(self, q):
        if not self.last or not self.last["active"]:
            raise Rejected(400, "no active session")
        binding = BINDING_HTTP_POST if q.get("binding") == "post" else BINDING_HTTP_REDIRECT
        cl = self.client()
        name_id = nid_decode(self.last["name_id_code"])
        entity_ids = cl.users.issuers_of_info(name_id)
        if not entity_ids:
            raise Rejected(400, "pysaml2 knows no session for the last NameID")
        res = cl.do_logout(name_id, entity_ids, "", None, sign=self.sign,
                           expected_binding=binding, sign_alg=xmldsig.SIG_RSA_SHA256,
                           digest_alg=xmldsig.DIGEST_SHA256)
        _, info = next(iter(res.values()))
        return info

    def _verify_redirect(self, params, issuer):
        """pysaml2's check of a Redirect-binding query signature, when present."""
        if "Signature" not in params:
            return False
        msg = {k: params[k] for k in ("SAMLRequest", "SAMLResponse", "RelayState",
                                      "SigAlg", "Signature") if k in params}
        crypto = self.client().sec.sec_backend
        for cert in self.idp_signing_certs(issuer):
            if verify_redirect_signature(msg, crypto, cert=cert):
                return True
        raise Rejected(403, "bad Redirect-binding signature")

    def slo(self, params, binding):
        cl = self.client()
        if "SAMLResponse" in params:
            try:
                resp = cl.parse_logout_request_response(params["SAMLResponse"], binding)
            except Exception as e:
                raise Rejected(403, "%s: %s" % (type(e).__name__, e))
            if resp is None:
                raise Rejected(403, "pysaml2 rejected the LogoutResponse")
            signed = False
            if binding == BINDING_HTTP_REDIRECT:
                signed = self._verify_redirect(params, resp.issuer())
            else:
                signed = resp.response.signature is not None
            code = resp.response.status.status_code.value
            try:
                cl.handle_logout_response(resp)
            except KeyError:
                raise Rejected(403, "LogoutResponse answers no request of ours")
            for s in self.sessions:
                if s["issuer"] == resp.issuer() and s["active"] and \
                        not cl.is_logged_in(nid_decode(s["name_id_code"])):
                    s["active"] = False
            rec = {"kind": "logout_response", "status": code, "signed": signed,
                   "in_response_to": resp.in_response_to, "issuer": resp.issuer(),
                   "relay_state": params.get("RelayState")}
            self.logouts.append(rec)
            return None, dict(rec, ok=code.endswith(":Success"))
        if "SAMLRequest" in params:
            try:
                req = cl.parse_logout_request(params["SAMLRequest"], binding)
            except Exception as e:
                raise Rejected(403, "%s: %s" % (type(e).__name__, e))
            if req is None:
                raise Rejected(403, "pysaml2 rejected the LogoutRequest")
            msg = req.message
            if binding == BINDING_HTTP_REDIRECT:
                signed = self._verify_redirect(params, msg.issuer.text)
            else:
                signed = msg.signature is not None
            name_id = msg.name_id
            known = cl.is_logged_in(name_id) if name_id is not None else False
            info = cl.handle_logout_request(
                params["SAMLRequest"], name_id, binding, sign=self.sign,
                sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256,
                relay_state=params.get("RelayState", ""))
            for s in self.sessions:
                if s["active"] and s["name_id"] == (name_id.text if name_id is not None else None) \
                        and s["issuer"] == msg.issuer.text:
                    s["active"] = False
            self.logouts.append({
                "kind": "logout_request", "id": msg.id, "issuer": msg.issuer.text,
                "name_id": name_id.text if name_id is not None else None,
                "session_index": [si.text for si in msg.session_index or []],
                "known_session": known, "signed": signed,
                "relay_state": params.get("RelayState")})
            return info, None
        raise Rejected(400, "neither SAMLRequest nor SAMLResponse")

    def state(self):
        strip = lambda s: {k: v for k, v in s.items() if k != "name_id_code"}
        return {"sessions": [strip(s) for s in self.sessions], "logouts": self.logouts,
                "outstanding": list(self.outstanding)}


def make_handler(sp):
    class H(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            if os.environ.get("SP_DEBUG"):
                sys.stderr.write("pysaml2-sp: " + fmt % args + "\n")

        def send(self, status, body, ctype="application/json", headers=()):
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def send_info(self, info):
            """A pysaml2 http_info: a redirect or an auto-submit form."""
            loc = [v for k, v in info.get("headers", []) if k.lower() == "location"]
            if loc:
                self.send(302, b"", "text/plain", [("Location", loc[0])])
            else:
                self.send(200, info["data"], "text/html; charset=utf-8")

        def params(self):
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
            if self.command == "POST":
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode("utf-8")
                q.update(urllib.parse.parse_qsl(body, keep_blank_values=True))
            return u.path, q

        def handle_any(self):
            path, q = self.params()
            try:
                if path == "/login" and self.command == "GET":
                    return self.send_info(sp.login(q))
                if path == "/acs" and self.command == "POST":
                    return self.send(200, sp.acs(q))
                if path == "/logout" and self.command == "GET":
                    return self.send_info(sp.logout(q))
                if path == "/slo":
                    binding = BINDING_HTTP_POST if self.command == "POST" else BINDING_HTTP_REDIRECT
                    info, result = sp.slo(q, binding)
                    return self.send_info(info) if info is not None else \
                        self.send(200 if result["ok"] else 400, result)
                if path == "/state" and self.command == "GET":
                    return self.send(200, sp.state())
                if path == "/metadata" and self.command == "GET":
                    return self.send(200, sp.metadata(), "application/samlmetadata+xml")
                return self.send(404, {"ok": False, "error": "not found"})
            except Rejected as e:
                return self.send(e.status, dict({"ok": False, "error": e.error}, **e.extra))
            except Exception as e:
                traceback.print_exc(file=sys.stderr)
                return self.send(500, {"ok": False, "error": "%s: %s" % (type(e).__name__, e)})

        do_GET = handle_any
        do_POST = handle_any

    return H


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--port", type=int)
    a = ap.parse_args()
    with open(a.config) as f:
        cfg = json.load(f)
    port = a.port if a.port is not None else int(cfg.get("port", 0))
    srv = HTTPServer(("127.0.0.1", port), None)
    port = srv.server_address[1]
    srv.RequestHandlerClass = make_handler(SP(cfg, port))
    print("READY %d" % port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
