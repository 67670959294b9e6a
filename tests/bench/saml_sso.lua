-- saml_sso.lua - wrk script for tests/bench/saml.sh: SP-initiated SAML SSO
-- with an existing session over the HTTP-POST binding. Every request carries
-- a new AuthnRequest (fresh ID, current IssueInstant), plain base64 in a form
-- body (the POST binding has no DEFLATE), so the gateway's replay cache never
-- refuses one. It is not a SAML client: it checks the answer's shape only
-- (status 200, a SAMLResponse form, a body as long as a success Response),
-- and the script that runs it checks one Response in full beforehand.
--
--   wrk -t1 -c16 -d10s -s saml_sso.lua URL/saml/T/sso -- COOKIE ISSUER ACS DEST MIN_BYTES RUN \
--       [MAX PIDS]
--
-- COOKIE: the whole Cookie header; MIN_BYTES: the shortest body counted as
-- a success (an error Response to the SP is also a 200 form, but has no
-- assertion and is much shorter); RUN: a tag that keeps IDs unique across
-- wrk runs. Prints the counts from done() as one line: "saml: N ok,
-- N not-200, N no-form, N short" (no-form: a 200 without a SAMLResponse;
-- short: a SAMLResponse too short to hold an assertion).
--
-- The RSS run (one wrk thread) gives MAX and PIDS (the workers, comma-separated):
-- every 10,000 answers the script prints "rss: ANSWERS BAD SECONDS KIB" with
-- the summed VmRSS of PIDS, and "rss: end" after MAX answers, then stops its
-- thread; wrk itself waits out its -d, so the caller ends it on "rss: end".

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local enc = {}
for i = 0, 63 do enc[i] = b64chars:sub(i + 1, i + 1) end

-- base64 of s, then form-encoded ('+', '/' and '=' are not safe in a form body)
local function b64form(s)
	local out, n, len = {}, 0, #s
	for i = 1, len - 2, 3 do
		local a, b, c = s:byte(i, i + 2)
		local v = a * 65536 + b * 256 + c
		n = n + 1
		out[n] = enc[math.floor(v / 262144)] .. enc[math.floor(v / 4096) % 64] ..
		    enc[math.floor(v / 64) % 64] .. enc[v % 64]
	end
	local rest = len % 3
	if rest == 1 then
		local v = s:byte(len) * 65536
		n = n + 1
		out[n] = enc[math.floor(v / 262144)] .. enc[math.floor(v / 4096) % 64] .. "=="
	elseif rest == 2 then
		local a, b = s:byte(len - 1, len)
		local v = a * 65536 + b * 256
		n = n + 1
		out[n] = enc[math.floor(v / 262144)] .. enc[math.floor(v / 4096) % 64] ..
		    enc[math.floor(v / 64) % 64] .. "="
	end
	return (table.concat(out):gsub("[+/=]", { ["+"] = "%2B", ["/"] = "%2F", ["="] = "%3D" }))
end

-- ---- per-thread state (each wrk thread has its own Lua state) ----

local threads = {}
local counter = 0

function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end

local cookie, issuer, acs, dest, min_bytes, run, max_req, pids, t0
ok, bad_status, no_form, short_body, first_bad = 0, 0, 0, 0, ""

function init(args)
	cookie, issuer, acs, dest = args[1], args[2], args[3], args[4]
	min_bytes = tonumber(args[5])
	run = args[6] or "r"
	max_req = tonumber(args[7] or "0")
	pids = args[8] or ""
	t0 = os.time()
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
	wrk.headers["Cookie"] = cookie
end

function request()
	counter = counter + 1
	local id = string.format("_b%s-%d-%08d", run, tid, counter)
	local xml = '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ' ..
	    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="' .. id .. '" Version="2.0" ' ..
	    'IssueInstant="' .. os.date("!%Y-%m-%dT%H:%M:%SZ") .. '" Destination="' .. dest .. '" ' ..
	    'AssertionConsumerServiceURL="' .. acs .. '" ' ..
	    'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">' ..
	    '<saml:Issuer>' .. issuer .. '</saml:Issuer></samlp:AuthnRequest>'
	return wrk.format(nil, nil, nil, "SAMLRequest=" .. b64form(xml) .. "&RelayState=bench")
end

local function check(status, headers, body)
	if status ~= 200 then
		bad_status = bad_status + 1
	elseif not body:find('name="SAMLResponse"', 1, true) then
		no_form = no_form + 1
	elseif #body < min_bytes then
		short_body = short_body + 1
	else
		ok = ok + 1
		return
	end
	if first_bad == "" then
		first_bad = status .. " " .. (headers["Location"] or "") .. " " ..
		    body:sub(1, 160):gsub("%s+", " ")
	end
end

local function rss_kib()
	local t = 0
	for p in pids:gmatch("%d+") do
		local f = io.open("/proc/" .. p .. "/status")
		if f then
			t = t + tonumber(f:read("*a"):match("VmRSS:%s*(%d+)") or "0")
			f:close()
		end
	end
	return t
end

local function progress()
	local n = ok + bad_status + no_form + short_body
	if max_req == 0 or n % 10000 ~= 0 or n > max_req then return end
	io.write(string.format("rss: %d %d %d %d\n", n, n - ok, os.time() - t0, rss_kib()))
	if n == max_req then
		io.write("rss: end\n")
		wrk.thread:stop()
	end
	io.stdout:flush()
end

function response(status, headers, body)
	check(status, headers, body)
	progress()
end

function done(summary, latency, requests)
	local o, s, f, b, first = 0, 0, 0, 0, ""
	for _, t in ipairs(threads) do
		o = o + t:get("ok")
		s = s + t:get("bad_status")
		f = f + t:get("no_form")
		b = b + t:get("short_body")
		if first == "" then first = t:get("first_bad") end
	end
	io.write(string.format("saml: %d ok, %d not-200, %d no-form, %d short\n", o, s, f, b))
	if first ~= "" then io.write("saml: first bad answer: " .. first .. "\n") end
end
