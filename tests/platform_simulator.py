"""A local stand-in for the national document exchange platform (VDXP) and the provincial
axes, speaking the protocol app.exchange.platform models (POST /{operation}, parameters as
signed XroadVnpt-* headers, JSON answers): a real HTTP server on 127.0.0.1 (a free port) in a
thread, per-agency mailboxes, authentication by system id and secret (the HMAC of the signed
headers), and failure injection: the next N calls time out, answer 500 (or 429, 503), or the
next package sent is delivered twice. It never talks to anything outside this machine.

    sim = PlatformSimulator(agencies=[...]).start()
    sim.add_system("our-system", "secret", "000.00.04.H30")
    sim.put("000.00.04.H30", edxml_bytes, sender="000.00.07.H30")   # a package for us
    sim.fail_next(2, "500")
    sim.mailbox("000.00.07.H30")                                     # what reached them
    sim.stop()
"""
import base64
import hashlib
import json
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.exchange.platform import check_signature


@dataclass
class Message:
    doc_id: str
    sender: str
    to: str
    message_type: str
    data: bytes
    created: datetime
    status: str = "initial"  # then "processing", "done" or "fail"
    description: str = ""
    history: list = field(default_factory=list)


class PlatformSimulator:
    def __init__(self, agencies=(), *, timeout_delay=1.0):
        self.agencies = [dict(a) for a in agencies]
        self.systems = {}  # system id → (secret, organ id)
        self.messages = {}  # doc id → Message
        self.registered = []  # registerAgency bodies
        self.calls = []  # (operation, system id, HTTP status)
        self.timeout_delay = timeout_delay
        self._failures = []  # (mode, operation or None) of the next calls
        self.down = None  # every call fails this way ("timeout", "500"…) until set to None
        self._twice = 0  # the next packages sent are delivered twice
        self._lock = threading.Lock()
        self._server = self._thread = None

    # ------------------------------------------------------------ control

    def start(self):
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_port}/vdxp"

    def add_system(self, system_id, secret, organ_id):
        self.systems[system_id] = (secret, organ_id)

    def fail_next(self, count, mode="500", operation=None):
        """The next `count` calls (of `operation`, or any) time out or answer `mode`."""
        with self._lock:
            self._failures.extend([(mode, operation)] * count)

    def deliver_twice_next(self, count=1):
        self._twice += count

    def put(self, to, data, *, sender, message_type="edoc", created=None):
        """A package in `to`'s mailbox, as if `sender` had sent it; its doc id."""
        doc_id = uuid.uuid4().hex
        with self._lock:
            self.messages[doc_id] = Message(doc_id, sender, to, message_type, data, created
                                            or datetime.now(UTC).replace(tzinfo=None))
        return doc_id

    def mailbox(self, organ_id, message_type=None):
        """Every message delivered to the agency (acknowledged or not), oldest first."""
        return sorted((m for m in self.messages.values() if m.to == organ_id and (
            message_type is None or m.message_type == message_type)),
            key=lambda m: m.created)

    def count(self, operation):
        return sum(1 for c in self.calls if c[0] == operation)

    # ------------------------------------------------------------ the protocol

    def _app(self, environ, start_response):
        request = Request(environ)
        operation = request.path.rstrip("/").rsplit("/", 1)[-1]
        response = self._answer(request, operation)
        return response(environ, start_response)

    def _json(self, status, body, code=200):
        return Response(json.dumps(body), status=code, mimetype="application/json")

    def _fail(self, desc, code=400, error_code="1"):
        return self._json("FAIL", {"status": "FAIL", "ErrorCode": error_code, "ErrorDesc": desc},
                          code)

    def _answer(self, request, operation):
        headers = request.headers
        system_id = headers.get("XroadVnpt-systemid", "")
        with self._lock:
            mode = self.down
            match = next((f for f in self._failures if f[1] in (None, operation)), None)
            if mode is None and match is not None:
                self._failures.remove(match)
                mode = match[0]
        if mode == "timeout":  # overloaded: nothing is done, the answer comes too late
            time.sleep(self.timeout_delay)
            self.calls.append((operation, system_id, 504))
            return self._fail("Gateway timeout", 504)
        if mode in ("500", "429", "503"):
            self.calls.append((operation, system_id, int(mode)))
            return self._fail("Lỗi hệ thống (giả lập)", int(mode))
        system = self.systems.get(system_id)
        if system is None or not check_signature(headers, system[0]):
            self.calls.append((operation, system_id, 401))
            return self._fail("Sai systemid hoặc chữ ký", 401, "401")
        organ = system[1]
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            self.calls.append((operation, system_id, 404))
            return self._fail(f"Không có thao tác {operation}", 404)
        response = handler(request, organ, lambda name: headers.get(f"XroadVnpt-{name}", ""))
        self.calls.append((operation, system_id, response.status_code))
        return response

    def _ok(self, **more):
        return self._json("OK", {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Thành công",
                                 **more})

    def _op_getAgenciesList(self, request, organ, param):
        return self._ok(data=self.agencies)

    def _op_registerAgency(self, request, organ, param):
        body = request.get_json(silent=True) or {}
        if not body.get("code") or not body.get("name"):
            return self._fail("Thiếu mã hoặc tên cơ quan")
        self.registered.append(body)
        known = next((a for a in self.agencies if a.get("code") == body["code"]), None)
        if known is None:
            self.agencies.append({"id": uuid.uuid4().hex[:8], "code": body["code"],
                                  "name": body["name"], "mail": body.get("mail", ""),
                                  "pid": body.get("pcode", "")})
        else:
            known["name"] = body["name"]
        return self._ok()

    def _op_sendEdoc(self, request, organ, param):
        upload = request.files.get("file_doc")
        if upload is None:
            return self._fail("Thiếu tệp gói tin (file_doc)")
        data = upload.read()
        if param("hash-file") and param("hash-file") != hashlib.sha256(data).hexdigest():
            return self._fail("Mã băm gói tin không khớp (hash-file)")
        try:
            to = json.loads(param("to") or "[]")
        except ValueError:
            return self._fail("Danh sách nơi nhận (to) không đọc được")
        known = {a.get("code") for a in self.agencies}
        unknown = [code for code in to if code not in known]
        if not to or unknown:
            return self._fail(f"Nơi nhận không có trên trục: {', '.join(unknown) or '(trống)'}")
        sender_id = uuid.uuid4().hex
        copies = 2 if self._twice > 0 else 1
        self._twice = max(self._twice - 1, 0)
        for code in to:
            for _ in range(copies):
                self.put(code, data, sender=organ, message_type=param("messagetype") or "edoc")
        return self._ok(DocId=sender_id)

    def _op_getReceivedEdocList(self, request, organ, param):
        since = param("fromDate")
        since = datetime.fromisoformat(since) if since else None
        kind = param("messagetype") or "edoc"
        items = [m for m in self.mailbox(organ, kind) if m.status not in ("done", "fail")
                 and (since is None or m.created >= since)]
        return self._ok(data=[{"docId": m.doc_id, "serviceType": "eDoc",
                               "messageType": m.message_type, "from": m.sender, "to": m.to,
                               "created_time": m.created.isoformat(), "status": m.status}
                              for m in items])

    def _mine(self, organ, doc_id):
        message = self.messages.get(doc_id)
        return message if message is not None and message.to == organ else None

    def _op_getEdoc(self, request, organ, param):
        message = self._mine(organ, param("docId"))
        if message is None:
            return self._fail("Không có gói tin", 404, "404")
        return self._ok(data=base64.b64encode(message.data).decode())

    def _op_updateStatus(self, request, organ, param):
        message = self._mine(organ, param("docId"))
        if message is None:
            return self._fail("Không có gói tin", 404, "404")
        status = param("status")
        if status not in ("processing", "done", "fail"):
            return self._fail(f"Trạng thái không hợp lệ: {status}")
        message.status = status
        message.description = urllib.parse.unquote(param("description"))
        message.history.append(status)
        return self._ok()
