"""ATOL Online API v5 (cloud register, FFD 1.2).

The outbox key is the document's `external_id`, unique within the group: a
second POST with the same external_id answers error 33 together with the
first document's uuid. See shared/fiscal-protocols.md, section 1.
"""

import base64
import datetime as dt
import threading
from decimal import Decimal
from urllib.parse import quote

from ..errors import (
    BackendConfigError,
    PermanentBackendError,
    ReceiptValidationError,
    TransientBackendError,
)
from ..receipt import Receipt, build_fiscal_result, ffd, format_quantity
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

TOKEN_ERRORS = (10, 11)
CONFIG_ERRORS = {
    12: "wrong login or password",
    14: "the user is blocked",
    20: "unknown group code",
    21: "the group is not allowed for this user",
}
VALIDATION_ERRORS = (13, 31, 32, 40, 41)
DUPLICATE = 33
NOT_READY = 34
UNKNOWN_UUID = 30  # emulator's answer for a uuid it never issued (real code unverified)
ONLINE_QUANTITY_DECIMALS = 3


def _number(value):
    return float(value)


def _online_datetime(text):
    """dd.mm.yyyy HH:MM:SS (the report's receipt_datetime) -> ISO 8601."""
    try:
        return dt.datetime.strptime(text, "%d.%m.%Y %H:%M:%S").isoformat()
    except ValueError:
        return dt.datetime.fromisoformat(text).isoformat()


def check_receipt(receipt, company_inn="", company_email="", payment_address=""):
    """What ATOL Online refuses in a valid FFD receipt, for a group with these settings:
    ReceiptValidationError names the field. The same check runs at enqueue and at send."""
    if not (receipt.client and (receipt.client.get("email") or receipt.client.get("phone"))):
        raise ReceiptValidationError(
            "client: ATOL Online sends the receipt to the buyer electronically: it needs the "
            "buyer's email or phone")
    for name, fallback in (("email", company_email), ("payment_address", payment_address)):
        if not (receipt.company.get(name) or fallback):
            raise ReceiptValidationError(
                f"company.{name}: is required by ATOL Online; set it on the receipt or the device")
    if company_inn and receipt.company["inn"] != company_inn:
        raise ReceiptValidationError(
            f"company.inn: {receipt.company['inn']} is not the group's INN {company_inn}")
    for index, item in enumerate(receipt.items):
        if len(format_quantity(item.quantity).split(".")[1]) > ONLINE_QUANTITY_DECIMALS:
            raise ReceiptValidationError(
                f"items[{index}].quantity: {format_quantity(item.quantity)} has more than "
                f"{ONLINE_QUANTITY_DECIMALS} decimals, which ATOL Online refuses")


def render_document(key, receipt, company_email="", payment_address=""):
    """The ATOL Online v5 POST body for a receipt that passed check_receipt (deterministic)."""
    if not isinstance(receipt, Receipt):
        receipt = Receipt.from_dict(receipt)
    company = {
        "email": receipt.company.get("email") or company_email,
        "sno": receipt.taxation,
        "inn": receipt.company["inn"],
        "payment_address": receipt.company.get("payment_address") or payment_address,
    }
    if receipt.company.get("location"):
        company["location"] = receipt.company["location"]
    items = []
    for item in receipt.items:
        vat = {"type": item.vat}
        if item.vat_amount is not None:
            vat["sum"] = _number(item.vat_amount)
        row = {
            "name": item.name,
            "price": _number(item.price),
            "quantity": _number(item.quantity),
            "sum": _number(item.sum),
            "measure": item.measure,
            "payment_method": item.payment_method,
            "payment_object": item.payment_object,
            "vat": vat,
        }
        if item.mark_code:
            row["mark_code"] = {"gs1m": base64.b64encode(item.mark_code.encode()).decode()}
        items.append(row)
    document = {"client": dict(receipt.client), "company": company, "items": items}
    if receipt.correction:
        info = {"type": receipt.correction.type,
                "base_date": receipt.correction.base_date.strftime("%d.%m.%Y")}
        if receipt.correction.base_number:
            info["base_number"] = receipt.correction.base_number
        document["correction_info"] = info
    document["payments"] = [{"type": p.type, "sum": _number(p.sum)} for p in receipt.payments]
    document["vats"] = [
        {"type": rate} if amount is None else {"type": rate, "sum": _number(amount)}
        for rate, amount in receipt.vat_amounts().items()
    ]
    document["total"] = _number(receipt.total)
    if receipt.cashier:
        document["cashier"] = receipt.cashier["name"]
        if receipt.cashier.get("inn"):
            document["cashier_inn"] = receipt.cashier["inn"]
    return {
        "external_id": key,
        "timestamp": receipt.timestamp.strftime("%d.%m.%Y %H:%M:%S"),
        "correction" if receipt.is_correction else "receipt": document,
    }


class AtolOnlineBackend(Backend):
    """ATOL Online v5 backend for one group (cloud register).

    Key -> uuid: the backend is stateless across processes. `submit` POSTs
    the body under external_id = key; a duplicate answers 33 with the first
    document's uuid, which is adopted, so resending the identical body is how
    this protocol is asked about a key. `query(key, operation, receipt)`
    therefore re-POSTs the identical body when it is given the receipt (any
    process, after any crash) and otherwise reads the report of the uuid
    learned earlier in this process; knowing neither it answers NOT_FOUND,
    which tells the drain to submit again (safe: same external_id). Every
    Outcome carries the uuid in `ref` for logs.

    The token is cached and shared by the threads using this backend; a new
    one is requested only after error 10 or 11.
    """

    name = "atol_online"
    retry_floor = 1.0  # the protocol: resend or ask again no sooner than 1 s after a failure
    memory_days = 32  # reports are kept 32 days

    def __init__(self, url, login, password, group_code, *, company_inn="", company_email="",
                 payment_address="", timeout=5.0, source="fiscal_connector"):
        self.url = url if url.endswith("/") else url + "/"
        self.login = login
        self._password = password
        self.group_code = group_code
        self.company_inn = company_inn
        self.company_email = company_email
        self.payment_address = payment_address
        self.timeout = float(timeout)
        self.source = source
        self.http = HttpClient(self.url, self.timeout)
        self._token = None
        self._token_lock = threading.Lock()
        self._uuids = RecentMemo()  # key -> uuid learned in this process
        self._operations = RecentMemo()

    def __repr__(self):
        return f"AtolOnlineBackend({self.url!r}, group={self.group_code!r})"

    @classmethod
    def from_config(cls, config):
        """Build from a DeviceConfig (or a dict with the same names)."""
        return cls(
            config_value(config, "url"),
            config_value(config, "login"),
            config_value(config, "password"),
            config_value(config, "group_code"),
            company_inn=config_value(config, "company_inn"),
            company_email=config_value(config, "company_email"),
            payment_address=config_value(config, "payment_address"),
            timeout=config_value(config, "timeout", 5.0),
        )

    # ------------------------------------------------------------ token

    def _new_token(self):
        body = {"login": self.login, "pass": self._password, "source": self.source}
        status, answer = self.http.call("POST", self.url + "getToken", "getToken",
                                        json_body=body)
        error = (answer or {}).get("error")
        if error:
            self._raise_for(error, "getToken", status)
        token = (answer or {}).get("token")
        if not token:
            raise TransientBackendError("getToken: malformed answer (no token)")
        return token

    def _token_value(self, stale=None):
        with self._token_lock:
            if self._token is None or self._token == stale:
                self._token = self._new_token()
            return self._token

    def _call(self, method, path, what, **kwargs):
        """A call with the cached token; on error 10/11 one new token and one resend."""

        def send(token):
            return self.http.call(
                method, self.url + path, what,
                headers={"Token": token, "Content-Type": "application/json; charset=utf-8"},
                **kwargs)

        token = self._token_value()
        status, answer = send(token)
        if ((answer or {}).get("error") or {}).get("code") in TOKEN_ERRORS:
            status, answer = send(self._token_value(stale=token))
        return status, answer

    @staticmethod
    def _raise_for(error, what, status):
        code = error.get("code")
        text = error.get("text") or "no text"
        if code in CONFIG_ERRORS:
            raise BackendConfigError(
                f"{what}: ATOL Online configuration error {code} ({CONFIG_ERRORS[code]}): {text}; "
                "fix the device settings", code=code)
        if code in VALIDATION_ERRORS:
            raise PermanentBackendError(f"{what}: rejected by ATOL Online, error {code}: {text}",
                                        code=code)
        raise TransientBackendError(f"{what}: ATOL Online error {code} (HTTP {status}): {text}")

    # ------------------------------------------------------------ documents

    def check(self, receipt):
        check_receipt(receipt, self.company_inn, self.company_email, self.payment_address)

    def render(self, key, operation, receipt):
        """The exact POST body for a key and a canonical receipt dict."""
        parsed = self.parse(key, receipt)
        if parsed.operation != operation:
            raise PermanentBackendError(
                f"Receipt {key}: operation {operation} differs from the receipt's "
                f"{parsed.operation}")
        return render_document(key, parsed, self.company_email, self.payment_address)

    def submit(self, key, operation, receipt):
        body = self.render(key, operation, receipt)
        self._operations[key] = operation
        what = f"POST {operation} {key}"
        status, answer = self._call("POST", f"{quote(self.group_code)}/{operation}", what,
                                    json_body=body)
        error = (answer or {}).get("error")
        uuid = (answer or {}).get("uuid")
        if error and error.get("code") != DUPLICATE:
            self._raise_for(error, what, status)
        if not uuid:
            raise TransientBackendError(f"{what}: malformed answer (no uuid)")
        self._uuids[key] = uuid  # a 33 hands back the first document's uuid: adopt it
        return self._report(key, uuid, operation)

    def query(self, key, operation=None, receipt=None):
        operation = operation or (receipt or {}).get("operation") or self._operations.get(key)
        if receipt is not None:
            return self.submit(key, operation, receipt)
        uuid = self._uuids.get(key)
        if uuid is None:
            return Outcome(NOT_FOUND, error="uuid unknown here: resend the identical body")
        return self._report(key, uuid, operation)

    def recall(self, key, ref):
        self._uuids[key] = ref

    def _report(self, key, uuid, operation):
        what = f"GET report {key}"
        status, answer = self._call("GET", f"{quote(self.group_code)}/report/{quote(uuid)}", what)
        error = (answer or {}).get("error") or {}
        state = (answer or {}).get("status")
        if error.get("code") == NOT_READY or state == "wait":
            return Outcome(PENDING, ref=uuid)
        if error.get("code") == UNKNOWN_UUID or status == 404:
            self._uuids.pop(key, None)
            return Outcome(NOT_FOUND, ref=uuid)
        if state == "fail":
            return Outcome(FAILED, error=f"fail: code {error.get('code')}: {error.get('text')}",
                           ref=uuid, code=error.get("code"))
        if state == "done":
            return Outcome(DONE, result=self._fiscal_result(answer, key, operation), ref=uuid)
        if error:
            self._raise_for(error, what, status)
        raise TransientBackendError(f"{what}: unknown report status {state!r}")

    @staticmethod
    def _fiscal_result(answer, key, operation):
        try:
            payload = answer["payload"]
            return build_fiscal_result(
                fn_number=str(payload["fn_number"]),
                fd_number=int(payload["fiscal_document_number"]),
                fiscal_sign=str(payload["fiscal_document_attribute"]),
                datetime=_online_datetime(payload["receipt_datetime"]),
                shift_number=int(payload["shift_number"]),
                receipt_number=int(payload["fiscal_receipt_number"]),
                registration_number=str(payload["ecr_registration_number"]),
                total=Decimal(str(payload["total"])),
                operation_type=ffd()["operations"][operation]["operation_type"] if operation else 0,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TransientBackendError(
                f"GET report {key}: malformed payload ({type(exc).__name__}: {exc})") from None

    def ping(self):
        with self._token_lock:
            self._token = self._new_token()
        return PingAnswer("ATOL Online: credentials accepted")

    def close(self):
        self.http.close()
