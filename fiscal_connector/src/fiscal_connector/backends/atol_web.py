"""ATOL Web Server HTTP API v2 (a local register through driver 10).

The outbox key is the request uuid, the protocol's own idempotency key:
POST /api/v2/requests answers 409 when the uuid is already there (the task is
then read with GET), GET /api/v2/requests/{uuid} answers 404 when it never
arrived. See shared/fiscal-protocols.md, section 2.
"""

import base64
import datetime
import time
import uuid
from decimal import Decimal
from urllib.parse import quote, urlencode

from ..errors import (
    BackendConfigError,
    PermanentBackendError,
    ReceiptValidationError,
    TransientBackendError,
)
from ..receipt import Receipt, build_fiscal_result, ffd
from .base import (
    DONE,
    FAILED,
    NOT_FOUND,
    PENDING,
    Backend,
    HttpClient,
    Outcome,
    PingAnswer,
    RecentMemo,
    config_value,
)

PENDING_STATUSES = ("wait", "inProgress", "blocked")
FAILED_STATUSES = ("error", "interrupted", "canceled")
TASKS = ("openShift", "closeShift", "reportX", "getShiftStatus", "getShiftTotals")
# Task errors of the register's shift, not of the receipt: over 24 hours, closed.
SHIFT_ERRORS = (68, 73)
SHIFT_HOURS = 24


def _number(value):
    """Decimal -> JSON number; the value has at most 6 decimals, so the float is exact in print."""
    return float(value)


def render_task(receipt, payment_address="", location=""):
    """The Web Server fiscal task for a canonical receipt dict (deterministic)."""
    if not isinstance(receipt, Receipt):
        receipt = Receipt.from_dict(receipt)
    codes = ffd()
    returning = receipt.operation_type in (2, 4)
    items = []
    for item in receipt.items:
        row = {
            "type": "position",
            "name": item.name,
            "price": _number(item.price),
            "quantity": _number(item.quantity),
            "amount": _number(item.sum),
            "measurementUnit": codes["measures"][str(item.measure)],
            "paymentMethod": codes["payment_methods"][item.payment_method],
            "paymentObject": codes["payment_objects"][str(item.payment_object)],
            "tax": {"type": item.vat},
        }
        if item.mark_code:
            row["imcParams"] = {
                "imcType": "auto",
                "imc": base64.b64encode(item.mark_code.encode()).decode(),
                "itemEstimatedStatus": "itemPieceReturn" if returning else "itemPieceSold",
                "imcModeProcessing": 0,
            }
        items.append(row)
    task = {
        "type": codes["operations"][receipt.operation]["web"],
        "taxationType": codes["taxation"][receipt.taxation],
        "electronically": receipt.electronically,
    }
    if receipt.cashier:
        task["operator"] = {"name": receipt.cashier["name"]}
        if receipt.cashier.get("inn"):
            task["operator"]["vatin"] = receipt.cashier["inn"]
    if receipt.client:
        task["clientInfo"] = {}
        contact = receipt.client.get("email") or receipt.client.get("phone")
        if contact:
            task["clientInfo"]["emailOrPhone"] = contact
        if receipt.client.get("name"):
            task["clientInfo"]["name"] = receipt.client["name"]
        if receipt.client.get("inn"):
            task["clientInfo"]["vatin"] = receipt.client["inn"]
    # The canonical names are ATOL Online's: payment_address is the place (1187),
    # location the address (1009).
    place = receipt.company.get("payment_address") or payment_address
    address = receipt.company.get("location") or location
    if place:
        task["paymentsPlace"] = place
    if address:
        task["paymentsAddress"] = address
    if receipt.correction:
        task["correctionType"] = receipt.correction.type
        task["correctionBaseDate"] = receipt.correction.base_date.strftime("%Y.%m.%d")
        if receipt.correction.base_number:
            task["correctionBaseNumber"] = receipt.correction.base_number
    task["items"] = items
    task["payments"] = [
        {"type": codes["payment_types"][str(p.type)], "sum": _number(p.sum)}
        for p in receipt.payments
    ]
    task["total"] = _number(receipt.total)
    return task


def _error_text(body):
    error = (body or {}).get("error") or {}
    return error.get("code"), error.get("description") or "no description"


# The money of a shift by the payment type it was paid with (1031, 1081, 1215, 1216, 1217).
COUNTER_OF_PAYMENT = {"cash": "cash", "electronically": "electronic", "prepaid": "prepaid",
                      "credit": "credit", "other": "other"}


def shift_counters(totals):
    """The register's own counters of a shift (a getShiftTotals answer's `shiftTotals`),
    net of returns, by payment type: {"shift", "receipts", "cash", "electronic",
    "prepaid" (advances set off, 1215), "credit" (1216), "other"}, sums as Decimal."""
    signs = {}
    for name, operation in ffd()["operations"].items():  # money in: sale, expense return
        signs[name] = signs[operation["web"]] = 1 if operation["operation_type"] in (1, 4) else -1
    counters = dict.fromkeys(COUNTER_OF_PAYMENT.values(), Decimal("0.00"))
    for name, amount in (totals.get("payments") or {}).items():
        operation, _, kind = name.partition(":")
        counters[COUNTER_OF_PAYMENT[kind]] += signs[operation] * Decimal(str(amount))
    return {"shift": totals.get("shiftNumber"), "receipts": totals.get("receiptsCount", 0),
            **counters}


def shift_opened_at(status):
    """When the register opened its shift (epoch seconds), from a getShiftStatus answer
    (`expiredTime` is 24 hours after the opening); None when it tells nothing."""
    expires = status.get("expiredTime")
    if status.get("state") not in ("opened", "expired") or not expires:
        return None
    try:
        return datetime.datetime.fromisoformat(expires).timestamp() - SHIFT_HOURS * 3600
    except ValueError:
        return None


class AtolWebBackend(Backend):
    """ATOL Web Server v2 backend for one register.

    `submit` POSTs the task under the key and then reads it once (a 409 means
    it is already there and is only read); `query` GETs the key: 404 ->
    NOT_FOUND (safe to POST again), wait/inProgress/blocked -> PENDING,
    ready -> DONE, error/interrupted/canceled -> FAILED.
    """

    name = "atol_web"

    def __init__(self, url, *, login="", password="", timeout=5.0, device_id="",
                 company_inn="", payment_address="", location="", task_poll_interval=0.2):
        self.url = url.rstrip("/")
        self.timeout = float(timeout)
        self.company_inn = company_inn
        self.payment_address = payment_address
        self.location = location
        self.task_poll_interval = task_poll_interval
        self.query_string = f"?{urlencode({'deviceID': device_id})}" if device_id else ""
        self.http = HttpClient(self.url, self.timeout, auth=(login, password) if login else None)
        self._operations = RecentMemo()  # key -> operation, for results read later

    @classmethod
    def from_config(cls, config):
        """Build from a DeviceConfig (or a dict with the same names)."""
        return cls(
            config_value(config, "url"),
            login=config_value(config, "login"),
            password=config_value(config, "password"),
            timeout=config_value(config, "timeout", 5.0),
            device_id=config_value(config, "device_id"),
            company_inn=config_value(config, "company_inn"),
            payment_address=config_value(config, "payment_address"),
        )

    def _call(self, method, path, what, **kwargs):
        status, body = self.http.call(method, self.url + path + self.query_string, what, **kwargs)
        if status in (401, 403):
            raise BackendConfigError(
                f"{what}: ATOL Web Server refused the credentials (HTTP {status}); "
                "check the device login and password", code=status)
        return status, body

    def check(self, receipt):
        if self.company_inn and receipt.company["inn"] != self.company_inn:
            raise ReceiptValidationError(
                f"company.inn: {receipt.company['inn']} is not the register's INN "
                f"{self.company_inn}")

    def render(self, key, receipt):
        """The exact POST body for a key and a canonical receipt dict."""
        parsed = self.parse(key, receipt)
        return {"uuid": key, "request": [render_task(parsed, self.payment_address, self.location)]}

    def submit(self, key, operation, receipt):
        body = self.render(key, receipt)
        if receipt["operation"] != operation:
            raise PermanentBackendError(
                f"Receipt {key}: operation {operation} differs from the receipt's "
                f"{receipt['operation']}")
        self._operations[key] = operation
        status, answer = self._call("POST", "/api/v2/requests", f"POST request {key}",
                                    json_body=body)
        if status in (200, 201):
            return self.query(key, operation)
        if status == 409:  # already there: read it, never send another
            outcome = self.query(key, operation)
            if outcome.state == NOT_FOUND:
                raise TransientBackendError(f"Request {key}: 409 on POST but 404 on GET")
            return outcome
        code, text = _error_text(answer)
        if status in (400, 501):
            raise PermanentBackendError(f"Request {key} rejected (HTTP {status}, code {code}): "
                                        f"{text}", code=code)
        raise TransientBackendError(f"Request {key}: unexpected HTTP {status}")

    def query(self, key, operation=None, receipt=None):
        operation = operation or (receipt or {}).get("operation") or self._operations.get(key)
        status, body = self._call("GET", f"/api/v2/requests/{quote(key, safe='')}",
                                  f"GET request {key}")
        if status == 404:
            return Outcome(NOT_FOUND, ref=key)
        if status != 200:
            code, text = _error_text(body)
            raise TransientBackendError(f"GET request {key}: HTTP {status} (code {code}: {text})")
        task = self._first_result(body, key)
        state = task.get("status")
        if state in PENDING_STATUSES:
            return Outcome(PENDING, ref=key)
        if state in FAILED_STATUSES:
            code, text = _error_text(task)
            return Outcome(FAILED, error=f"{state}: code {code}: {text}", ref=key, code=code)
        if state == "ready":
            return Outcome(DONE, result=self._fiscal_result(task, key, operation), ref=key)
        raise TransientBackendError(f"GET request {key}: unknown status {state!r}")

    @staticmethod
    def _first_result(body, key):
        results = (body or {}).get("results")
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            raise TransientBackendError(f"GET request {key}: malformed answer (no results)")
        return results[0]

    @staticmethod
    def _fiscal_result(task, key, operation):
        try:
            params = task["result"]["fiscalParams"]
            return build_fiscal_result(
                fn_number=str(params["fnNumber"]),
                fd_number=int(params["fiscalDocumentNumber"]),
                fiscal_sign=str(params["fiscalDocumentSign"]),
                datetime=params["fiscalDocumentDateTime"],
                shift_number=int(params["shiftNumber"]),
                receipt_number=int(params["fiscalReceiptNumber"]),
                registration_number=str(params["registrationNumber"]),
                total=Decimal(str(params["total"])),
                operation_type=ffd()["operations"][operation]["operation_type"] if operation else 0,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TransientBackendError(
                f"GET request {key}: malformed fiscal parameters ({type(exc).__name__}: {exc})"
            ) from None

    def run_task(self, task, params=None):
        """Queue a non-fiscal task under a fresh uuid and wait for its result dict."""
        if task not in TASKS:
            raise PermanentBackendError(f"Task {task} is not supported; use one of {TASKS}")
        key = str(uuid.uuid4())
        body = {"uuid": key, "request": [{"type": task, **(params or {})}]}
        status, answer = self._call("POST", "/api/v2/requests", f"POST task {task}", json_body=body)
        if status not in (200, 201):
            code, text = _error_text(answer)
            raise PermanentBackendError(f"Task {task} rejected (HTTP {status}, code {code}): "
                                        f"{text}", code=code)
        deadline = time.monotonic() + max(self.timeout * 6, 10.0)
        while True:
            _status, answer = self._call("GET", f"/api/v2/requests/{key}", f"GET task {task}")
            result = self._first_result(answer, key)
            if result.get("status") == "ready":
                return result.get("result") or {}
            if result.get("status") in FAILED_STATUSES:
                code, text = _error_text(result)
                raise PermanentBackendError(f"Task {task} failed (code {code}): {text}", code=code)
            if time.monotonic() > deadline:
                raise TransientBackendError(f"Task {task} still {result.get('status')} after "
                                            "waiting; look at the register")
            time.sleep(self.task_poll_interval)

    def refused_for_shift(self, outcome):
        return outcome.state == FAILED and outcome.code in SHIFT_ERRORS

    def renew_shift(self):
        status = self.shift_status()
        if status.get("state") == "expired":
            self.run_task("closeShift")
        if status.get("state") != "opened":
            self.run_task("openShift")
            status = self.shift_status()
        if status.get("state") != "opened":
            raise TransientBackendError(f"The register's shift is {status.get('state')} after "
                                        "closing and opening it")
        return shift_opened_at(status)

    def shift_status(self):
        return self.run_task("getShiftStatus").get("shiftStatus") or {}

    def ping(self):
        _status, info = self._call("GET", "/api/v2/serverInfo", "GET serverInfo")
        _status, queue = self._call("GET", "/api/v2/getRequestsQueueStatus", "GET queue status")
        version = (info or {}).get("version", "?")
        queued = (queue or {}).get("number", 0)
        blocked = queue.get("blockReason") if (queue or {}).get("isBlocked") else None
        return PingAnswer(
            f"ATOL Web Server {version}: {queued} task(s) queued"
            + (f", BLOCKED: {blocked}" if blocked else ""),
            version=version, queued=queued, blocked=blocked)

    def close(self):
        self.http.close()
