"""ATOL Online API v5 emulator (a cloud register for one or more groups).

Routes (under any base path, e.g. /possystem/v5/): POST getToken,
POST {group}/{operation}, GET {group}/report/{uuid}. The external_id is the
dedup key (kept unique across all groups here, stricter than the service):
a second POST answers HTTP 400, error 33 and the first document's uuid.
Reports answer `wait` (error 34) for `pending_polls` polls, then `done` or
`fail`. Cloud registers rotate an expired shift on their own.
"""

import datetime as dt
import json
import re
import secrets
import time
import uuid as uuid_module
from decimal import Decimal
from urllib.parse import unquote

from ..receipt import ffd, vat_rates
from .common import EmulatorApp, Response, decimal_of

TOKEN_PATH = re.compile(r"/getToken$")
REPORT_PATH = re.compile(r"/(?P<group>[^/]+)/report/(?P<uuid>[^/]+)$")
DOCUMENT_PATH = re.compile(r"/(?P<group>[^/]+)/(?P<operation>[a-z_]+)$")
TOKEN_SECONDS = 24 * 3600
PUBLIC_TEST_ACCOUNT = {"login": "v5-online-atol-ru", "password": "zUr0OxfI",
                       "group_code": "v5-online-atol-ru_5179", "inn": "5544332219"}
OFD_INN = "7704211201"


class Rejected(Exception):
    def __init__(self, status, code, text):
        super().__init__(text)
        self.status, self.code, self.text = status, code, text


def _stamp():
    return dt.datetime.now().strftime("%d.%m.%Y %H:%M:%S")


def _error(status, code, text, **extra):
    return Response(status, {
        "error": {"error_id": str(uuid_module.uuid4()), "code": code, "text": text,
                  "type": "system" if code in (10, 11, 12, 14) else "agent"},
        "status": "fail", "timestamp": _stamp(), **extra})


def _number(value, field, decimals=2):
    try:
        number = decimal_of(value, field)
    except ValueError as exc:
        raise Rejected(400, 32, str(exc)) from None
    if number != number.quantize(Decimal(1).scaleb(-decimals)) or number < 0:
        raise Rejected(400, 32, f"{field}: {value} must be >= 0 with at most {decimals} decimals")
    return number


def _check_document(operation, body, inn):
    """(total, payments by type) of a valid document; Rejected(32) names the fault."""
    codes = ffd()
    if not isinstance(body.get("external_id"), str) or not 0 < len(body["external_id"]) <= 128:
        raise Rejected(400, 32, "external_id: 1 to 128 characters required")
    try:
        dt.datetime.strptime(str(body.get("timestamp")), "%d.%m.%Y %H:%M:%S")
    except ValueError:
        raise Rejected(400, 32, "timestamp: dd.mm.yyyy HH:MM:SS required") from None
    correction = codes["operations"][operation]["correction"]
    document = body.get("correction" if correction else "receipt")
    if not isinstance(document, dict):
        raise Rejected(400, 32, f"{'correction' if correction else 'receipt'} is required")
    company, client = document.get("company") or {}, document.get("client") or {}
    if company.get("inn") != inn:
        raise Rejected(400, 32, f"company.inn {company.get('inn')} is not the group's INN")
    if not company.get("email") or not company.get("payment_address"):
        raise Rejected(400, 32, "company.email and company.payment_address are required")
    if not (client.get("email") or client.get("phone")):
        raise Rejected(400, 32, "client.email or client.phone is required")
    if correction:
        info = document.get("correction_info") or {}
        if info.get("type") not in codes["correction_types"] or not info.get("base_date"):
            raise Rejected(400, 32, "correction_info.type and base_date are required")
    items, payments = document.get("items"), document.get("payments")
    if not isinstance(items, list) or not 1 <= len(items) <= codes["limits"]["max_items"]:
        raise Rejected(400, 32, "items: 1 to 100 required")
    if not isinstance(payments, list) or not 1 <= len(payments) <= codes["limits"]["max_payments"]:
        raise Rejected(400, 32, "payments: 1 to 10 required")
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item.get("name"), str) or not 0 < len(item["name"]) <= 128:
            raise Rejected(400, 32, f"{where}.name: 1 to 128 characters required")
        _number(item.get("price"), f"{where}.price")
        _number(item.get("quantity"), f"{where}.quantity", 3)
        _number(item.get("sum"), f"{where}.sum")
        if (item.get("vat") or {}).get("type") not in vat_rates():
            raise Rejected(400, 32, f"{where}.vat.type is not a known rate")
        if item.get("payment_method") not in codes["payment_methods"]:
            raise Rejected(400, 32, f"{where}.payment_method is not known")
        if str(item.get("payment_object")) not in codes["payment_objects"]:
            raise Rejected(400, 32, f"{where}.payment_object is not known")
        if str(item.get("measure")) not in codes["measures"]:
            raise Rejected(400, 32, f"{where}.measure is not known")
    paid, by_type = Decimal(0), {}
    for index, payment in enumerate(payments):
        if str(payment.get("type")) not in codes["payment_types"]:
            raise Rejected(400, 32, f"payments[{index}].type is not known")
        amount = _number(payment.get("sum"), f"payments[{index}].sum")
        paid += amount
        kind = codes["payment_types"][str(payment["type"])]
        by_type[kind] = f"{Decimal(by_type.get(kind, '0')) + amount:.2f}"
    total = _number(document.get("total"), "total")
    if paid != total:
        raise Rejected(400, 32, f"payments {paid} differ from the total {total}")
    return f"{total:.2f}", by_type


class AtolOnlineApp(EmulatorApp):
    """ATOL Online's routes over the shared register."""

    kind = "atol_online"
    auto_rotate_shift = True

    def __init__(self, state_dir, login=PUBLIC_TEST_ACCOUNT["login"],
                 password=PUBLIC_TEST_ACCOUNT["password"], group_codes=None,
                 inn=PUBLIC_TEST_ACCOUNT["inn"], **options):
        super().__init__(state_dir, inn=inn, **options)
        self.login, self.password = login, password
        self.group_codes = set(group_codes) if group_codes else None  # None: any group
        self.inn = inn

    def is_document_request(self, request):
        return not TOKEN_PATH.search(request.path)

    def handle(self, request):
        try:
            if request.method == "POST" and TOKEN_PATH.search(request.path):
                return self._token(request)
            self._check_token(request)
            match = REPORT_PATH.search(request.path)
            if request.method == "GET" and match:
                self._check_group(unquote(match["group"]))
                return self._report(unquote(match["group"]), unquote(match["uuid"]))
            match = DOCUMENT_PATH.search(request.path)
            if request.method == "POST" and match:
                self._check_group(unquote(match["group"]))
                return self._post(request, unquote(match["group"]), match["operation"])
        except Rejected as exc:
            return _error(exc.status, exc.code, exc.text)
        return _error(404, 32, f"no route {request.method} {request.path}")

    # ------------------------------------------------------------ tokens

    def _token(self, request):
        try:
            body = request.json()
        except ValueError:
            raise Rejected(400, 32, "getToken: the body is not JSON") from None
        if body.get("login") != self.login or body.get("pass") != self.password:
            raise Rejected(401, 12, "wrong login or password")
        token = secrets.token_hex(16)
        with self.register.transaction():
            self.register.db.execute("INSERT INTO tokens VALUES (?, ?)",
                                     (token, time.time() + TOKEN_SECONDS))
        return Response(200, {"error": None, "token": token, "timestamp": _stamp()})

    def _check_token(self, request):
        token = request.headers.get("Token")
        if not token:
            raise Rejected(401, 10, "the Token header is missing")
        with self.register.lock:
            row = self.register.db.execute(
                "SELECT expires_at FROM tokens WHERE token = ?", (token,)).fetchone()
        if row is None or row[0] < time.time():
            raise Rejected(401, 11, "the token has expired or is unknown")

    def expire_tokens(self):
        """Test hook: every token issued so far is expired (the client must get a new one)."""
        with self.register.transaction():
            self.register.db.execute("UPDATE tokens SET expires_at = 0")

    def _check_group(self, group):
        if self.group_codes is not None and group not in self.group_codes:
            raise Rejected(400, 20, f"unknown group code {group}")

    # ------------------------------------------------------------ documents

    def _post(self, request, group, operation):
        if operation not in ffd()["operations"]:
            raise Rejected(400, 32, f"unknown operation {operation}")
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            raise Rejected(400, 41, "Content-Type must be application/json; charset=utf-8")
        try:
            body = request.json()
        except ValueError:
            raise Rejected(400, 32, "the body is not JSON") from None
        if not isinstance(body, dict):
            raise Rejected(400, 32, "the body must be a JSON object")
        total, payments = _check_document(operation, body, self.inn)
        if self.faults.take("reject"):
            raise Rejected(400, 32, "the register refused the document (emulated)")
        key = body["external_id"]
        register = self.register
        with register.transaction():
            existing = register.find(key)
            if existing:
                register.seen_again(key, {"group": group, **body})
                return _error(400, 33, f"a receipt with external_id {key} exists already",
                              uuid=existing["ref"])
            doc = register.fiscalize(key, str(uuid_module.uuid4()), operation,
                                     {"group": group, **body}, total=total, payments=payments,
                                     faults=self.faults)
        return Response(200, {"uuid": doc["ref"], "timestamp": _stamp(), "error": None,
                              "status": "wait"})

    def _report(self, group, uuid):
        doc, status = self.register.poll(ref=uuid)
        if doc is None:
            raise Rejected(400, 30, f"no document with uuid {uuid}")
        envelope = {"uuid": uuid, "timestamp": _stamp(), "group_code": group,
                    "daemon_code": "emulator-1", "device_code": "KKT-EMULATOR",
                    "external_id": doc["key"], "callback_url": ""}
        if status in ("wait", "inProgress", "blocked"):
            return Response(200, {**envelope, "status": "wait", "payload": None, "error": {
                "error_id": str(uuid_module.uuid4()), "code": 34,
                "text": "the document is not processed yet", "type": "system"}})
        if status == "error":
            return Response(200, {**envelope, "status": "fail", "payload": None, "error": {
                "error_id": str(uuid_module.uuid4()), "code": doc["error_code"],
                "text": doc["error_text"], "type": "driver"}})
        stored = json.loads(doc["result"])
        moment = dt.datetime.fromisoformat(stored["datetime"])
        return Response(200, {**envelope, "status": "done", "error": None, "payload": {
            "total": float(Decimal(stored["total"])),
            "fns_site": "www.nalog.gov.ru",
            "fn_number": stored["fn"],
            "shift_number": stored["shift"],
            "receipt_datetime": moment.strftime("%d.%m.%Y %H:%M:%S"),
            "fiscal_receipt_number": stored["receipt"],
            "fiscal_document_number": stored["fd"],
            "ecr_registration_number": stored["rnm"],
            "fiscal_document_attribute": int(stored["sign"]),
            "ofd_inn": OFD_INN,
            "ofd_receipt_url": "",
        }})
