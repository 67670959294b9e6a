#!/usr/bin/python3
# pysaml2_idp.py - a tiny SAML 2.0 identity provider built on pysaml2, used
# only by selftest.mjs to prove that the two test SPs (pysaml2_sp.py and
# node_saml_sp.mjs) work before idgate's own IdP is there. No sign-in form:
# every AuthnRequest is answered at once for one fixed user.
#
#   /usr/bin/python3 pysaml2_idp.py --config idp.json
#
# Config keys: entity_id, base_url (default http://127.0.0.1:<port>), port
# (default 0), key_file, cert_file, user {email, name, persistent_id},
# sign_response (default true), sign_assertion (default true),
# clock_skew_s (default 5). Prints "READY <port>".
#
# Endpoints:
#   GET  /metadata                   the IdP's metadata
#   POST /register                   body: an SP's metadata XML (adds it)
#   GET  /sso/redirect, POST /sso/post  AuthnRequest -> 200 auto-submit form
#        to the SP's ACS (add fail=<status name> to the query for an error
#        Response, e.g. fail=AuthnFailed)
#   GET  /idp-init?sp=ENTITY&relay=X unsolicited Response form
#   GET  /slo                        SP's LogoutRequest -> LogoutResponse redirect
#   GET  /logout-init?sp=ENTITY      IdP-initiated LogoutRequest redirect to the SP
#   GET  /state                      AuthnRequests and logouts seen
import argparse
import json
import os
import sys
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, samlp, saml, xmldsig
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT
from saml2.saml import NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_UNSPECIFIED
from saml2.server import Server
from saml2.s_utils import rndstr
from saml2.sigver import verify_redirect_signature
from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT

SHA256 = dict(sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)


class IdP:
    def __init__(self, cfg, port):
        self.cfg = cfg
        base = cfg.get("base_url") or "http://127.0.0.1:%d" % port
        self.base = base
        self.user = dict({"email": "alice@example.com", "name": "Alice Example",
                          "persistent_id": "u-0001"}, **cfg.get("user", {}))
        conf = IdPConfig()
        conf.load({
            "entityid": cfg["entity_id"],
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "key_file": cfg["key_file"],
            "cert_file": cfg["cert_file"],
            "accepted_time_diff": int(cfg.get("clock_skew_s", 5)),
            "signing_algorithm": xmldsig.SIG_RSA_SHA256,
            "digest_algorithm": xmldsig.DIGEST_SHA256,
            "metadata": {"inline": []},   # SPs are added by POST /register
            "service": {"idp": {
                "endpoints": {
                    "single_sign_on_service": [(base + "/sso/redirect", BINDING_HTTP_REDIRECT),
                                               (base + "/sso/post", BINDING_HTTP_POST)],
                    "single_logout_service": [(base + "/slo", BINDING_HTTP_REDIRECT)],
                },
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT,
                                   NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_UNSPECIFIED],
                "policy": {"default": {"lifetime": {"minutes": 5},
                                       "attribute_restrictions": None,
                                       "name_form": NAME_FORMAT_URI}},
                "sign_response": bool(cfg.get("sign_response", True)),
                "sign_assertion": bool(cfg.get("sign_assertion", True)),
                "want_authn_requests_signed": False,
            }},
        })
        self.conf = conf
        self.server = Server(config=conf)
        self.requests = []
        self.logouts = []
        self.issued = []   # (sp, name_id, session_index)

    def metadata(self):
        return create_metadata_string(None, config=self.conf, sign=False)

    def register(self, xml):
        self.server.metadata.load("inline", xml)

    def acs_of(self, sp):
        srvs = self.server.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST)
        return srvs[0]["location"]

    def name_id_for(self, fmt):
        fmt = fmt or NAMEID_FORMAT_EMAILADDRESS
        if fmt == NAMEID_FORMAT_PERSISTENT:
            text = self.user["persistent_id"]
        elif fmt == NAMEID_FORMAT_TRANSIENT:
            text = "_" + rndstr(24)
        else:
            text = self.user["email"]
        return saml.NameID(format=fmt, text=text)

    def identity(self):
        return {"mail": [self.user["email"]], "displayName": [self.user["name"]],
                "urn:example:groups": ["staff", "admins"]}

    def verify_redirect(self, params, issuer):
        if "Signature" not in params:
            return False
        msg = {k: params[k] for k in ("SAMLRequest", "SAMLResponse", "RelayState",
                                      "SigAlg", "Signature") if k in params}
        for cert in self.server.metadata.certs(issuer, "spsso", "signing"):
            if verify_redirect_signature(msg, self.server.sec.sec_backend, cert=cert):
                return True
        raise ValueError("bad Redirect-binding signature")

    def response_form(self, sp, acs, in_response_to, name_id_fmt, relay, fail=None):
        if fail:
            status = getattr(samlp, "STATUS_" + "".join(
                "_" + c if c.isupper() else c for c in fail).strip("_").upper(), None)
            resp = self.server.create_error_response(
                in_response_to, acs, (status or samlp.STATUS_AUTHN_FAILED, "test failure"),
                sign=True, **SHA256)
        else:
            name_id = self.name_id_for(name_id_fmt)
            resp = self.server.create_authn_response(
                self.identity(), in_response_to, acs, sp, name_id=name_id,
                authn={"class_ref": PASSWORDPROTECTEDTRANSPORT, "authn_auth": self.base},
                sign_response=self.conf.getattr("sign_response", "idp"),
                sign_assertion=self.conf.getattr("sign_assertion", "idp"), **SHA256)
            self.issued.append({"sp": sp, "name_id": name_id.text,
                                "name_id_format": name_id.format})
        info = self.server.apply_binding(BINDING_HTTP_POST, str(resp), acs, relay,
                                         response=True)
        return info

    def sso(self, params, binding):
        req = self.server.parse_authn_request(params["SAMLRequest"], binding)
        if req is None:
            raise ValueError("pysaml2 rejected the AuthnRequest")
        msg = req.message
        sp = msg.issuer.text
        if binding == BINDING_HTTP_REDIRECT:
            signed = self.verify_redirect(params, sp)
        else:
            signed = msg.signature is not None
        args = self.server.response_args(msg)
        fmt = msg.name_id_policy.format if msg.name_id_policy is not None else None
        self.requests.append({
            "id": msg.id, "issuer": sp, "binding": binding.rsplit(":", 1)[-1],
            "signed": signed, "sig_alg": params.get("SigAlg"),
            "force_authn": msg.force_authn, "is_passive": msg.is_passive,
            "name_id_policy_format": fmt,
            "acs_url": msg.assertion_consumer_service_url, "destination": msg.destination,
            "relay_state": params.get("RelayState")})
        return self.response_form(sp, args["destination"], msg.id, fmt,
                                  params.get("RelayState", ""), params.get("fail"))

    def idp_init(self, params):
        sp = params["sp"]
        return self.response_form(sp, self.acs_of(sp), None, params.get("format"),
                                  params.get("relay", ""), params.get("fail"))

    def slo(self, params):
        req = self.server.parse_logout_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT)
        msg = req.message
        signed = self.verify_redirect(params, msg.issuer.text)
        self.logouts.append({"kind": "logout_request", "issuer": msg.issuer.text,
                             "name_id": msg.name_id.text if msg.name_id is not None else None,
                             "session_index": [s.text for s in msg.session_index or []],
                             "signed": signed})
        resp = self.server.create_logout_response(msg, [BINDING_HTTP_REDIRECT], **SHA256)
        rinfo = self.server.response_args(msg, [BINDING_HTTP_REDIRECT])
        return self.server.apply_binding(rinfo["binding"], str(resp), rinfo["destination"],
                                         params.get("RelayState", ""), response=True,
                                         sign=True, sigalg=xmldsig.SIG_RSA_SHA256)

    def logout_init(self, params):
        sp = params["sp"]
        slo = self.server.metadata.single_logout_service(sp, BINDING_HTTP_REDIRECT, "spsso")
        dest = slo[0]["location"]
        nid = saml.NameID(format=params.get("format", NAMEID_FORMAT_EMAILADDRESS),
                          text=params.get("name_id", self.user["email"]))
        sis = [params["session_index"]] if params.get("session_index") else None
        rid, req = self.server.create_logout_request(dest, sp, name_id=nid,
                                                     session_indexes=sis, **SHA256)
        self.logouts.append({"kind": "sent_logout_request", "id": rid, "sp": sp})
        return self.server.apply_binding(BINDING_HTTP_REDIRECT, str(req), dest,
                                         params.get("relay", ""), sign=True,
                                         sigalg=xmldsig.SIG_RSA_SHA256)


def make_handler(idp):
    class H(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            if os.environ.get("SP_DEBUG"):
                sys.stderr.write("pysaml2-idp: " + fmt % args + "\n")

        def send(self, status, body, ctype="application/json", headers=()):
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def send_info(self, info):
            loc = [v for k, v in info.get("headers", []) if k.lower() == "location"]
            if loc:
                return self.send(302, b"", "text/plain", [("Location", loc[0])])
            return self.send(200, info["data"], "text/html; charset=utf-8")

        def handle_any(self):
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
            body = b""
            if self.command == "POST":
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                p = u.path
                if p == "/metadata":
                    return self.send(200, idp.metadata(), "application/samlmetadata+xml")
                if p == "/register" and self.command == "POST":
                    idp.register(body.decode("utf-8"))
                    return self.send(200, {"ok": True})
                if p == "/sso/redirect":
                    return self.send_info(idp.sso(q, BINDING_HTTP_REDIRECT))
                if p == "/sso/post" and self.command == "POST":
                    q.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
                    return self.send_info(idp.sso(q, BINDING_HTTP_POST))
                if p == "/idp-init":
                    return self.send_info(idp.idp_init(q))
                if p == "/slo":
                    return self.send_info(idp.slo(q))
                if p == "/logout-init":
                    return self.send_info(idp.logout_init(q))
                if p == "/state":
                    return self.send(200, {"requests": idp.requests, "logouts": idp.logouts,
                                           "issued": idp.issued})
                return self.send(404, {"ok": False, "error": "not found"})
            except Exception as e:
                traceback.print_exc(file=sys.stderr)
                return self.send(400, {"ok": False, "error": "%s: %s" % (type(e).__name__, e)})

        do_GET = handle_any
        do_POST = handle_any

    return H


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    a = ap.parse_args()
    with open(a.config) as f:
        cfg = json.load(f)
    srv = HTTPServer(("127.0.0.1", int(cfg.get("port", 0))), None)
    port = srv.server_address[1]
    srv.RequestHandlerClass = make_handler(IdP(cfg, port))
    print("READY %d" % port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
