"""The one small interface every fiscal backend implements.

A backend speaks one documented protocol (see shared/fiscal-protocols.md) and
never invents a key: the outbox entry's idempotency key is sent as the
protocol's own dedup key (ATOL Web Server request uuid, ATOL Online
external_id), so a resend after an unknown outcome can never make a second
fiscal document.
"""

import abc
import collections
import dataclasses
import http.client
import json
import os
import threading
from urllib.parse import urlsplit

import certifi
import requests
import urllib3

from ..errors import (
    BackendConfigError,
    PermanentBackendError,
    ReceiptValidationError,
    TransientBackendError,
)
from ..receipt import Receipt


@dataclasses.dataclass(frozen=True)
class FiscalResult:
    """What the register returned for a fiscalized document (FFD tags)."""

    fn_number: str  # 1041
    fd_number: int  # 1040
    fiscal_sign: str  # 1077
    datetime: str  # 1012, ISO 8601
    shift_number: int  # 1038
    receipt_number: int  # 1042
    registration_number: str  # 1037
    total: str  # 1020, rubles.kopecks as a decimal string
    operation_type: int  # 1054
    qr: str = ""  # t=...&s=...&fn=...&i=...&fp=...&n=...
    operation: str = ""  # what was registered: sell, or sell_correction when sent late

    def to_dict(self):
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data):
        return cls(**data)


class PingAnswer(str):
    """A connection test's answer: a short English line for the command line, with its
    facts as attributes for a front end that words it in its user's language."""

    def __new__(cls, text, **facts):
        answer = super().__new__(cls, text)
        answer.facts = facts
        return answer


# Outcome states: the backend's knowledge about one key.
DONE = "done"  # fiscalized: result is set
# accepted, not fiscalized yet (wait, inProgress, blocked, 34): poll, never resend
PENDING = "pending"
NOT_FOUND = "not_found"  # the backend has never seen this key: safe to submit it
FAILED = "failed"  # final failure for this key (report fail / task error): error is set


@dataclasses.dataclass(frozen=True)
class Outcome:
    state: str
    result: FiscalResult | None = None
    error: str | None = None
    # the backend's own document id when it differs from the key (ATOL Online uuid)
    ref: str | None = None
    code: int | None = None  # the backend's error code of a FAILED outcome


class Backend(abc.ABC):
    """A fiscal backend for one device.

    Methods raise TransientBackendError when the outcome is unknown
    (transport error, timeout, 5xx, malformed answer),
    PermanentBackendError when the request itself is wrong, and its
    BackendConfigError when the device's settings are.
    """

    retry_floor = 0.0  # seconds the backend wants between a failed call and the next one
    memory_days = 30  # how long the backend remembers a key: past that, "not found" proves nothing

    def check(self, receipt):  # noqa: B027 - most backends refuse nothing beyond the FFD rules
        """Refuse, with ReceiptValidationError naming the field, what this backend would
        refuse in a valid receipt (a Receipt): checked at enqueue and again at send."""

    def parse(self, key, receipt):
        """The Receipt of a stored canonical dict, checked as at enqueue."""
        try:
            parsed = Receipt.from_dict(receipt)
            self.check(parsed)
        except ReceiptValidationError as exc:
            raise PermanentBackendError(f"Invalid receipt {key}: {exc}", kind="invalid") from None
        return parsed

    @abc.abstractmethod
    def submit(self, key, operation, receipt):
        """Send a document under its idempotency key; return an Outcome.

        `operation` is one of fiscal_connector.receipt.OPERATIONS and
        `receipt` the receipt's canonical dict. A duplicate key (409 / 33)
        is not an error: the existing document is adopted.
        """

    @abc.abstractmethod
    def query(self, key, operation=None, receipt=None):
        """Ask about a key already submitted (or maybe submitted); return an Outcome.

        Pass the entry's `operation` and canonical `receipt` when known: a
        backend whose protocol can only be asked by resending the identical
        body (ATOL Online) needs them after a restart, and the fiscal result's
        operation type (tag 1054) comes from `operation`. Resending under the
        same key never creates a second document.
        """

    def recall(self, key, ref):  # noqa: B027 - only a backend that names documents by ref needs it
        """Learn the document `ref` (an Outcome's ref kept in the outbox) of `key`, so that
        query(key) reads that document instead of sending anything."""

    def refused_for_shift(self, outcome):
        """True when a FAILED outcome is the register's shift refusing every receipt (over
        24 hours, or closed), not the receipt: renew_shift() then lets it through."""
        return False

    def renew_shift(self):
        """Close an expired shift and open a new one; the epoch seconds the open shift was
        opened at, by the register's clock."""
        raise PermanentBackendError("This backend keeps the register's shift itself")

    def run_task(self, task, params=None):
        """Run a non-fiscal register task (openShift, closeShift, reportX, ...)."""
        raise PermanentBackendError(f"Task {task} is not supported by this backend")

    def ping(self):
        """Check that the backend answers and the credentials work; a PingAnswer."""
        raise NotImplementedError

    def close(self):  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections."""


class HttpClient:
    """Keep-alive HTTP(S) connections to one backend, JSON in and out, a timeout on every call.

    Built on urllib3 (what requests uses underneath) without requests' per-call
    session work (merging settings, re-reading the environment, preparing and
    wrapping the request): that work was two thirds of the drain's CPU per
    receipt. Proxies (honouring no_proxy) and the CA bundle come from the
    environment once, as requests would read them. No retries, no redirects:
    a failed call is reported, and the drain decides.
    """

    def __init__(self, base_url, timeout, *, auth=None):
        self.timeout = float(timeout)
        self._timeout = urllib3.Timeout(connect=self.timeout, read=self.timeout)
        self.headers = {"Accept": "application/json", "User-Agent": "fiscal-connector"}
        if auth:
            self.headers.update(urllib3.make_headers(basic_auth="%s:%s" % auth))
        proxy = requests.utils.get_environ_proxies(base_url).get(urlsplit(base_url).scheme)
        bundle = (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                  or certifi.where())
        options = {"maxsize": 2, "cert_reqs": "CERT_REQUIRED", "ca_certs": bundle}
        self._pool = (urllib3.ProxyManager(proxy, **options) if proxy
                      else urllib3.PoolManager(**options))
        # Without a proxy, calls to the backend's own origin go straight to its
        # connection pool with the path: urllib3 need not parse the URL again.
        parts = urlsplit(base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._origin_pool = None
        if not proxy and parts.scheme in ("http", "https") and parts.hostname:
            self._origin_pool = self._pool.connection_from_url(base_url)

    def call(self, method, url, what, json_body=None, headers=None):
        """One HTTP call; return (status, JSON object or None if empty).

        Transport errors, timeouts, 5xx and bodies that are not a JSON object raise
        TransientBackendError: the outcome is unknown. Messages name the call
        (`what`) and never carry URLs with secrets, headers or bodies.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BackendConfigError(
                f"{what}: the device URL is not a valid http(s) URL; fix the device settings")
        all_headers = {**self.headers, **(headers or {})}
        data = None
        if json_body is not None:
            data = json.dumps(json_body, allow_nan=False).encode("utf-8")
            all_headers.setdefault("Content-Type", "application/json")
        pool, target = self._pool, url
        if self._origin_pool is not None and url.startswith(self._origin + "/"):
            pool, target = self._origin_pool, url[len(self._origin):]
        try:
            response = pool.urlopen(method, target, body=data, headers=all_headers,
                                    timeout=self._timeout, retries=False, redirect=False)
        except urllib3.exceptions.NewConnectionError as exc:  # a TimeoutError in urllib3 1.x
            raise TransientBackendError(
                f"{what}: connection failed ({type(exc).__name__})") from None
        except urllib3.exceptions.TimeoutError:
            raise TransientBackendError(f"{what}: no answer within {self.timeout} s") from None
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            raise TransientBackendError(
                f"{what}: connection failed ({type(exc).__name__})") from None
        if response.status >= 500:
            raise TransientBackendError(f"{what}: HTTP {response.status} from the backend")
        if not response.data.strip():
            return response.status, None
        try:
            body = json.loads(response.data)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise TransientBackendError(
                f"{what}: malformed answer (HTTP {response.status}, not a JSON object)"
            )
        return response.status, body

    def close(self):
        self._pool.clear()


class RecentMemo:
    """key -> value for the `size` most recent keys: what a backend learned in this
    process (an operation, a uuid), bounded so memory stays flat on long runs."""

    def __init__(self, size=10000):
        self.size = size
        self._data = collections.OrderedDict()
        self._lock = threading.Lock()

    def __setitem__(self, key, value):
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def get(self, key, default=None):
        with self._lock:
            return self._data.get(key, default)

    def pop(self, key, default=None):
        with self._lock:
            return self._data.pop(key, default)

    def __len__(self):
        return len(self._data)


def config_value(config, name, default=""):
    """A DeviceConfig attribute (or dict key), `default` when absent or empty."""
    value = config.get(name) if isinstance(config, dict) else getattr(config, name, None)
    return default if value in (None, "") else value
