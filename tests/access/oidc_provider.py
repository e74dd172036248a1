"""A small but real OpenID Connect provider on 127.0.0.1 for the login tests: discovery, authorization code flow
with PKCE, a token endpoint issuing RS256-signed ID tokens, userinfo, JWKS and end-session.

Built on Authlib (PKCE challenge) and joserfc (Authlib's JOSE library, which authlib.jose now defers to).
`mode` makes it misbehave on purpose: "expired" issues an ID token that expired an hour ago, "tampered" alters
the token's payload after signing.
"""

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "pancommons"
CLIENT_SECRET = "test-client-secret"


@dataclass
class Provider:
    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-key-1"}))
    claims: dict[str, Any] = field(default_factory=dict)  # who logs in next
    mode: str = "normal"
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    logouts: list[dict[str, str]] = field(default_factory=list)

    def id_token(self, *, nonce: str) -> str:
        now = int(time.time())
        expires = now - 3600 if self.mode == "expired" else now + 300
        payload = {
            **{k: v for k, v in self.claims.items() if k in ("sub", "email", "name")},
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now - 7200 if self.mode == "expired" else now,
            "exp": expires,
            "nonce": nonce,
        }
        token = jwt.encode({"alg": "RS256", "kid": "test-key-1"}, payload, self.key)
        if self.mode == "tampered":
            header, body, signature = token.split(".")
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            claims["sub"] = "someone-else"
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            token = f"{header}.{body}.{signature}"
        return token


class _Handler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def _json(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        provider = self.provider
        if url.path == "/.well-known/openid-configuration":
            self._json(
                200,
                {
                    "issuer": provider.issuer,
                    "authorization_endpoint": f"{provider.issuer}/authorize",
                    "token_endpoint": f"{provider.issuer}/token",
                    "userinfo_endpoint": f"{provider.issuer}/userinfo",
                    "jwks_uri": f"{provider.issuer}/jwks",
                    "end_session_endpoint": f"{provider.issuer}/logout",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                },
            )
        elif url.path == "/jwks":
            self._json(200, {"keys": [{**provider.key.as_dict(private=False), "alg": "RS256", "use": "sig"}]})
        elif url.path == "/authorize":
            if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                self._json(400, {"error": "invalid_request"})
                return
            code = secrets.token_urlsafe(16)
            provider.codes[code] = {
                "nonce": query.get("nonce", ""),
                "redirect_uri": query["redirect_uri"],
                "code_challenge": query.get("code_challenge"),
            }
            self._redirect(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")
        elif url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in provider.access_tokens:
                self._json(401, {"error": "invalid_token"})
                return
            self._json(200, provider.access_tokens[token])
        elif url.path == "/logout":
            provider.logouts.append(query)
            self._redirect(query.get("post_logout_redirect_uri", provider.issuer))
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
        provider = self.provider
        if urlparse(self.path).path != "/token":
            self._json(404, {"error": "not_found"})
            return
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            self._json(401, {"error": "invalid_client"})
            return
        grant = provider.codes.pop(form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            self._json(400, {"error": "invalid_grant"})
            return
        if (
            grant["code_challenge"]
            and create_s256_code_challenge(form.get("code_verifier", "")) != grant["code_challenge"]
        ):
            self._json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
            return
        access_token = secrets.token_urlsafe(24)
        provider.access_tokens[access_token] = dict(provider.claims)
        self._json(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": provider.id_token(nonce=grant["nonce"]),
            },
        )


def start() -> tuple[Provider, ThreadingHTTPServer]:
    provider = Provider()
    handler = type("Handler", (_Handler,), {"provider": provider})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() waits for the loop's next poll: half a second a test at the default interval
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    return provider, server
