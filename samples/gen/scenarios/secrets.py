"""secrets.pcap: every credential form portolan meets, each secret a unique marker, so a
test can prove that none of them reaches any output (docs/secrets.md)."""
import base64

from .. import sessions
from ..protocols import http
from .common import Sample, cluster_hosts, new_capture

README = """
### secrets.pcap (no secret ever leaves)

Client 192.168.10.20 and the nodes; no inventory.  Every secret in it is a unique marker
(`PTLmk..`, one with non-ASCII letters) that `tests/e2e_secrets.py` looks for in every
output, plain, base64, hex and JSON-escaped.

| flow | credential forms |
|---|---|
| tcp/8080 | `Authorization:` with no scheme (`ghp_...`), an unknown scheme word, Basic, Bearer, Digest, `Proxy-Authorization: Basic`; `;jsessionid=` and `;JSESSIONID=` path parameters, `?code=`, `?jwt=`, `?%70assword=`, `#access_token=`; Cookie, Set-Cookie, X-Api-Key, Referer, Location; an `application/x-www-form-urlencoded` body with `password=` |
| tcp/5672 | AMQP 0-9-1 logins with SASL PLAIN (user `amqpuser`) and AMQPLAIN (user `amqplainuser`) |
| tcp/2181 | ZooKeeper `addAuthInfo("digest", "zkuser:...")` |
| tcp/445 | SMB2 session setup with NTLMSSP (user `CORP\\\\ntlmuser`), marker NTLMv2 proof and session key |
| tcp/21050 | HiveServer2 (Thrift) OpenSession with a password, a statement and a result row holding markers |
"""

# name -> the secret; none of these may appear in any output, in any encoding
MARKERS = {
    "no-scheme token": "ghp_PTLmk01TokenWithoutAnySchemeWord",
    "unknown scheme word": "PTLmk02Zyxscheme",
    "unknown scheme credential": "PTLmk03UnknownSchemeCredential",
    "basic password": "PTLmk04-b\u00e4sic-p\u00e4ssw\u00f6rd",
    "bearer token": "eyJPTLmk05.BearerTokenBody.signature",
    "digest response": "PTLmk06d1e5f0a9b8c7d6e5f4a3b2c1d0e9f8",
    "proxy password": "PTLmk07ProxyPassword",
    "jsessionid": "PTLmk08JsessionLower",
    "JSESSIONID": "PTLmk09JsessionUpper",
    "oauth code": "PTLmk10OauthCode",
    "jwt parameter": "PTLmk11JwtQueryValue",
    "percent-encoded password": "PTLmk12PercentEncodedPassword",
    "fragment access token": "PTLmk13FragmentAccessToken",
    "cookie": "PTLmk14CookieValue",
    "set-cookie": "PTLmk15SetCookieValue",
    "x-api-key": "PTLmk16XApiKeyValue",
    "form password": "PTLmk17FormBodyPassword",
    "amqp plain password": "PTLmk18AmqpPlainPassword",
    "amqplain password": "PTLmk19AmqplainPassword",
    "zookeeper digest password": "PTLmk20ZookeeperDigestPassword",
    "ntlm proof": "PTLmk21NtProof!!",
    "ntlm session key": "PTLmk22SessKey!!",
    "referer token": "PTLmk23RefererToken",
    "location code": "PTLmk24LocationCode",
    "hiveserver2 password": "PTLmk25HiveServer2Password",
    "thrift statement literal": "PTLmk26StatementLiteral",
    "thrift result row": "PTLmk27ResultRow",
}

# what the outputs must still show: scheme names, users, parameter and cookie names
ALLOWED = ["Basic", "Bearer", "Digest", "Proxy-Basic", "other", "alice", "digestuser",
           "proxyuser", "jsessionid", "JSESSIONID", "code", "jwt", "password", "state",
           "SESSIONID", "auth_token", "amqpuser", "amqplainuser", "PLAIN", "AMQPLAIN",
           "zkuser", "digest", "CORP\\ntlmuser", "OpenSession", "ExecuteStatement"]


def _basic(user, password):
    return base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def _http_exchanges(m):
    host = "10.20.0.11:8080"
    ok = http.response(200, b'{"ok":true}\n')
    denied = http.response(401, b"", extra=[("WWW-Authenticate", 'Basic realm="portolan"')])

    def get(target, *extra):
        return http.request("GET", target, host, extra=extra)

    digest = ('Digest username="digestuser", realm="portolan", nonce="dcd98b7102dd2f0e", '
              'uri="/digest", qop=auth, nc=00000001, cnonce="0a4f113b", response="%s"'
              % m["digest response"])
    form = ("username=alice&password=%s" % m["form password"]).encode()
    return [
        (get("/api/repos", ("Authorization", m["no-scheme token"])), denied),
        (get("/api/items", ("Authorization", "%s %s" % (m["unknown scheme word"],
                                                       m["unknown scheme credential"]))), ok),
        (get("/login", ("Authorization", "Basic " + _basic("alice", m["basic password"]))), ok),
        (get("/api/me", ("Authorization", "Bearer " + m["bearer token"])), ok),
        (get("/digest", ("Authorization", digest)), ok),
        (get("http://upstream.example/status", ("Proxy-Authorization",
                                                "Basic " + _basic("proxyuser",
                                                                  m["proxy password"]))), ok),
        (get("/app;jsessionid=%s/page;JSESSIONID=%s?view=1" % (m["jsessionid"],
                                                               m["JSESSIONID"])), ok),
        (get("/oauth/callback?code=%s&state=af0ifjsldkj" % m["oauth code"],
             ("Referer", "https://idp.example/authorize?token=" + m["referer token"])),
         http.response(200, b"", extra=[("Location", "/next?code=" + m["location code"])])),
        (get("/sso?jwt=" + m["jwt parameter"]), ok),
        (get("/reset?%%70assword=%s&user=bob" % m["percent-encoded password"]), ok),
        (get("/spa#access_token=" + m["fragment access token"]), ok),
        (get("/home", ("Cookie", "SESSIONID=%s; theme=dark" % m["cookie"])),
         http.response(200, b"", extra=[("Set-Cookie", "auth_token=%s; Path=/; HttpOnly"
                                          % m["set-cookie"])])),
        (get("/metrics", ("X-Api-Key", m["x-api-key"])), ok),
        (http.request("POST", "/login", host, form, "application/x-www-form-urlencoded"), ok),
    ]


def build():
    h = cluster_hosts()
    m = MARKERS
    sample = Sample("secrets", README)
    cap = new_capture("secrets")
    sessions.http_keepalive(cap, h["client"], h["node1"], 8080, _http_exchanges(m))
    sessions.amqp_publish(cap, h["node2"], h["node1"], user="amqpuser",
                          password=m["amqp plain password"])
    sessions.amqp_publish(cap, h["node3"], h["node1"], user="amqplainuser",
                          password=m["amqplain password"], mechanism="AMQPLAIN")
    sessions.zookeeper_digest_auth(cap, h["node2"], h["node3"], "zkuser",
                                   m["zookeeper digest password"])
    sessions.smb_read_file(cap, h["node1"], h["node2"], "\\\\10.20.0.12\\share", "report.txt",
                           b"quarterly numbers\n", user="ntlmuser", domain="CORP",
                           nt_proof=m["ntlm proof"].encode(),
                           session_key=m["ntlm session key"].encode())
    sessions.hs2_session(cap, h["client"], h["node2"], 21050, user="hs2user",
                         password=m["hiveserver2 password"],
                         statement="SELECT * FROM keys WHERE token = '%s'"
                         % m["thrift statement literal"], rows=(m["thrift result row"],))
    sample.add_capture(cap)
    return sample


assert all(len(m.encode()) == 16 for k, m in MARKERS.items() if k.startswith("ntlm"))
assert len(set(MARKERS.values())) == len(MARKERS)
