"""ATOL Web Server HTTP API v2 emulator (one register behind driver 10).

POST /api/v2/requests queues a task under the client's uuid (409 when the uuid
exists), GET /api/v2/requests/{uuid} answers its results (404 when unknown).
Receipts are registered on arrival (FD numbers follow arrival order) and
reported `wait`/`inProgress` (or `blocked`) for `pending_polls` polls first.
"""

import base64
import binascii
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import unquote

from ..receipt import ffd, vat_rates
from .common import EmulatorApp, Response, decimal_of

REQUEST_PATH = re.compile(r"^/api/v2/requests/(?P<uuid>[^/]+)$")
TASKS = ("openShift", "closeShift", "reportX", "getShiftStatus", "getShiftTotals")


class TaskError(Exception):
    """A request the server refuses with HTTP 400 (nothing is queued)."""


def _fiscal_types():
    return {spec["web"]: name for name, spec in ffd()["operations"].items()}


def _check_receipt(task):
    """(operation, total, payments by type, register error or None) of a fiscal task."""
    operation = _fiscal_types()[task["type"]]
    codes = ffd()
    items, payments = task.get("items"), task.get("payments")
    if not isinstance(items, list) or not 1 <= len(items) <= codes["limits"]["max_items"]:
        raise TaskError("items: 1 to 100 positions required")
    if not isinstance(payments, list) or not 1 <= len(payments) <= codes["limits"]["max_payments"]:
        raise TaskError("payments: 1 to 10 payments required")
    correction_ok = task.get("correctionType") in codes["correction_types"] and task.get(
        "correctionBaseDate")
    if codes["operations"][operation]["correction"] and not correction_ok:
        raise TaskError("correctionType and correctionBaseDate are required for a correction")
    error, items_sum = None, Decimal(0)
    for index, item in enumerate(items):
        if item.get("type") != "position":
            raise TaskError(f"items[{index}].type must be position")
        name = item.get("name")
        if not isinstance(name, str) or not 0 < len(name) <= codes["limits"]["item_name_length"]:
            raise TaskError(f"items[{index}].name must be 1 to 128 characters")
        if (item.get("tax") or {}).get("type") not in vat_rates():
            raise TaskError(f"items[{index}].tax.type is not a known rate")
        try:
            price = decimal_of(item.get("price"), f"items[{index}].price")
            quantity = decimal_of(item.get("quantity"), f"items[{index}].quantity")
            amount = decimal_of(item.get("amount"), f"items[{index}].amount")
        except ValueError as exc:
            raise TaskError(str(exc)) from None
        if item.get("imcParams"):
            try:
                base64.b64decode(item["imcParams"].get("imc", ""), validate=True)
            except (binascii.Error, AttributeError):
                raise TaskError(f"items[{index}].imcParams.imc is not base64") from None
        if (price * quantity).quantize(Decimal("0.01"), ROUND_HALF_UP) != amount:
            error = error or (501, f"items[{index}]: amount differs from price x quantity")
        items_sum += amount
    paid, by_type = Decimal(0), {}
    for index, payment in enumerate(payments):
        if payment.get("type") not in codes["payment_types"].values():
            raise TaskError(f"payments[{index}].type is not a payment type")
        try:
            amount = decimal_of(payment.get("sum"), f"payments[{index}].sum")
        except ValueError as exc:
            raise TaskError(str(exc)) from None
        paid += amount
        by_type[payment["type"]] = f"{Decimal(by_type.get(payment['type'], '0')) + amount:.2f}"
    total = decimal_of(task.get("total", items_sum), "total")
    if paid < total:
        error = error or (66, f"payments {paid} are below the total {total}")
    return operation, f"{total:.2f}", by_type, error


class AtolWebApp(EmulatorApp):
    """The Web Server's routes over the shared register."""

    kind = "atol_web"

    def __init__(self, state_dir, login="", password="", **options):
        super().__init__(state_dir, **options)
        self.credentials = (login, password) if login else None

    def is_document_request(self, request):
        return request.path == "/api/v2/requests" or bool(REQUEST_PATH.match(request.path))

    def _authorized(self, request):
        if not self.credentials:
            return True
        header = request.headers.get("Authorization", "")
        expected = base64.b64encode(":".join(self.credentials).encode()).decode()
        return header == f"Basic {expected}"

    def handle(self, request):
        if not self._authorized(request):
            return Response(401, {"error": {"code": 401, "description": "Unauthorized"}})
        match = REQUEST_PATH.match(request.path)
        if request.method == "POST" and request.path == "/api/v2/requests":
            return self._post(request)
        if request.method == "GET" and match:
            return self._get(unquote(match["uuid"]))
        if request.method == "DELETE" and match:
            return self._cancel(unquote(match["uuid"]))
        if request.method == "GET" and request.path == "/api/v2/getRequestsQueueStatus":
            blocked = self.register.blocked_key()
            return Response(200, {"number": self.register.pending_count(), "ready": 0,
                                  "canceled": 0, "isBlocked": bool(blocked),
                                  "blockReason": "FN connection lost" if blocked else "",
                                  "blockedUUID": blocked or ""})
        if request.method == "GET" and request.path == "/api/v2/serverInfo":
            return Response(200, {"version": "1.1.0 (emulator)", "apiVersions": {"v2": "2.0"},
                                  "currentTime": self.register.now().isoformat()})
        if request.method == "POST" and request.path == "/api/v2/operations/queryShiftStatus":
            return Response(200, self.register.shift_status())
        return Response(404, {"error": {"code": 404, "description": "Not found"}})

    def _post(self, request):
        try:
            body = request.json()
            key, tasks = body["uuid"], body["request"]
            if not isinstance(key, str) or not key or not isinstance(tasks, list) or not tasks:
                raise TaskError("uuid and a non-empty request list are required")
            fiscal = [t for t in tasks if isinstance(t, dict) and t.get("type") in _fiscal_types()]
            if len(fiscal) > 1:
                raise TaskError("only one fiscal task per request")
            if len(tasks) != 1:
                raise TaskError("this emulator runs one task per request")
            task = tasks[0]
            if not fiscal and task.get("type") not in TASKS:
                raise TaskError(f"unknown task type {task.get('type')!r}")
            checked = _check_receipt(task) if fiscal else None
            if fiscal and self.faults.take("reject"):
                raise TaskError("the register refused the document (emulated)")
        except (ValueError, KeyError, TypeError, AttributeError, TaskError) as exc:
            return Response(400, {"error": {"code": 400, "description": f"bad request: {exc}"}})
        register = self.register
        with register.transaction():
            if register.find(key):
                register.seen_again(key, body)
                return Response(409, {"error": {
                    "code": 409, "description": "a task with this UUID already exists"}})
            if checked:
                operation, total, payments, error = checked
                register.fiscalize(key, key, operation, body, total=total, payments=payments,
                                   faults=self.faults, error=error)
            else:
                result, error = self._run(task["type"])
                register.store_task(key, task["type"], body, result, error)
        return Response(201, None)

    def _run(self, task_type):
        register = self.register
        if task_type == "openShift":
            return register.open_shift()
        if task_type == "closeShift":
            return register.close_shift()
        if task_type == "getShiftStatus":
            return register.shift_status(), None
        return {"shiftTotals": register.shift_totals()}, None  # reportX, getShiftTotals

    def _cancel(self, key):
        """Cancel is only possible while a task waits; this register takes tasks at once."""
        if self.register.find(key) is None:
            return Response(404, {"error": {"code": 404, "description": f"no request {key}"}})
        return Response(409, {"error": {"code": 409, "description":
                                        "the task is already processed and cannot be canceled"}})

    def _get(self, key):
        doc, status = self.register.poll(key=key)
        if doc is None:
            return Response(404, {"error": {"code": 404, "description": f"no request {key}"}})
        result = {"status": status, "error": {"code": 0, "description": ""}, "result": None}
        if status == "error":
            result["error"] = {"code": doc["error_code"], "description": doc["error_text"]}
        elif status == "ready":
            result["result"] = self._result(doc)
        return Response(200, {"results": [result]})

    @staticmethod
    def _result(doc):
        stored = json.loads(doc["result"] or "null")
        if doc["fd_number"] is None:  # a non-fiscal task: its own result
            return stored
        return {"fiscalParams": {
            "fiscalDocumentNumber": stored["fd"],
            "fiscalDocumentDateTime": stored["datetime"],
            "fiscalDocumentSign": stored["sign"],
            "fiscalReceiptNumber": stored["receipt"],
            "fnNumber": stored["fn"],
            "registrationNumber": stored["rnm"],
            "shiftNumber": stored["shift"],
            "total": float(Decimal(stored["total"])),
            "fnsUrl": "www.nalog.gov.ru",
        }, "warnings": None}
