"""Security headers on every response (ASVS 14.4): a Content-Security-Policy that allows only
our own origin (scripts only from our files or with this response's nonce), no sniffing, no
framing, a strict referrer policy, HSTS when served over HTTPS; nothing but our own static
files may be stored by a browser or a proxy (Cache-Control: no-store)."""
import mimetypes
import secrets

from flask import g, request

# PDF.js (static/vendor/pdfjs) is shipped as ES modules (.mjs): a browser runs a module only
# when it is served as JavaScript, whatever the server's own /etc/mime.types says.
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("application/wasm", ".wasm")

STATIC_ENDPOINTS = {"static", "appbuilder.static"}


def csp_nonce() -> str:
    if not hasattr(g, "csp_nonce"):
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_security_headers(app):
    # FAB's templates call csp_nonce() (baselib.get_nonce) for their inline scripts, also from
    # macros imported without context: a Jinja global reaches them all.
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def add_headers(response):
        policy = "; ".join([
            "default-src 'self'",
            # 'wasm-unsafe-eval': compiling WebAssembly only (never JavaScript's eval), for
            # the PDF viewer's image decoders (JBIG2, JPEG 2000 of scanned documents:
            # static/vendor/pdfjs/wasm) in its worker, which is our own file ('self').
            f"script-src 'self' 'nonce-{csp_nonce()}' 'wasm-unsafe-eval'",
            "style-src 'self' 'unsafe-inline'",  # FAB's markup uses style attributes
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self'",  # the PDF viewer's worker, the installed app's (core/pwa.py)
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ])
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.endpoint not in STATIC_ENDPOINTS:
            # Pages, JSON and files are people's data: no browser or proxy keeps a copy
            # (ASVS 8.2.1). Only our own scripts, styles and fonts are cached.
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
            headers.pop("Expires", None)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
