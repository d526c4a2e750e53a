"""Connector and device settings, in code or from a small JSON, TOML or INI file.

File layout (TOML shown; JSON has the same keys, INI uses a [connector]
section and one [device:CODE] section per device):

    outbox_path = "/var/lib/fiscal/outbox.sqlite"
    redis_url = "redis://127.0.0.1:6379/0"     # optional
    backoff_cap = 300

    [devices.kkt1]
    backend = "atol_web"
    url = "http://127.0.0.1:16732"
"""

import configparser
import dataclasses
import hashlib
import json
import math
import os
import types
import zoneinfo

from .errors import FiscalError, quoted

BACKENDS = ("atol_web", "atol_online")


@dataclasses.dataclass(frozen=True)
class ConnectorConfig:
    outbox_path: str
    redis_url: str | None = None
    max_entries: int = 100000
    retention_days: int = 30
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    breaker_fail_max: int = 5
    breaker_reset_timeout: float = 30.0
    # Optional, beyond the shared contract:
    redis_prefix: str = ""  # namespace of the Redis keys (locks, breakers)
    lock_expire: int = 60  # seconds; the lock is renewed while held
    poll_interval: float = 1.0  # wait before asking again about an accepted, unfinished document
    poll_budget: float = 5.0  # seconds one attempt may keep polling before it yields
    drain_workers: int = 0  # threads for devices in parallel; 0: one per device, at most 64
    integrity_check: str = "quick"  # "quick" (PRAGMA quick_check) or "full" (integrity_check)
    # upper bounds (seconds) of the backend latency histogram the metrics export
    latency_buckets: tuple = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclasses.dataclass(frozen=True)
class DeviceConfig:
    code: str
    backend: str = "atol_web"
    url: str = ""
    login: str = ""
    password: str = dataclasses.field(default="", repr=False)
    group_code: str = ""
    company_inn: str = ""
    company_email: str = ""
    payment_address: str = ""
    timeout: float = 5.0
    # The register's clock zone (IANA name; empty: each receipt's own UTC offset), and when
    # a sale sent late goes out as a correction receipt (receipt.late_basis): 0 once its
    # calendar day in that zone has ended, N after N hours, None never (the caller sends
    # corrections itself).
    tz: str = ""
    correction_after_hours: float | None = None
    # How many of the device's oldest unfinished receipts the drain may choose from: 1
    # sends strictly in order, so one waiting for a retry (a lost answer, a document
    # still processing) holds up the rest; more lets later ones go meanwhile. A refund
    # always waits for its sale.
    send_window: int = 1

    def __post_init__(self):
        if not self.code:
            raise FiscalError("A device needs a code")
        if self.backend not in BACKENDS:
            raise FiscalError(
                f"Device {self.code}: unknown backend {quoted(self.backend)}, expected one of "
                f"{', '.join(BACKENDS)}"
            )
        if not self.url:
            raise FiscalError(f"Device {self.code}: url is required (where its backend answers)")
        if isinstance(self.send_window, bool) or not isinstance(self.send_window, int) \
                or self.send_window < 1:
            raise FiscalError(f"Device {self.code}: send_window must be a whole number from 1")
        if self.tz:
            try:
                zoneinfo.ZoneInfo(self.tz)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise FiscalError(
                    f"Device {self.code}: unknown time zone {quoted(self.tz)}") from None

    @property
    def zone(self):
        """The register's zone as a tzinfo, or None."""
        return zoneinfo.ZoneInfo(self.tz) if self.tz else None


def config_fingerprint(device):
    """A hash of the settings a backend can refuse (where, who, which group): a device paused
    for a configuration error resumes once they change. Never the settings themselves."""
    text = json.dumps([device.backend, device.url, device.login, device.password,
                       device.group_code])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_CONNECTOR_FIELDS = {f.name: f.type for f in dataclasses.fields(ConnectorConfig)}
_DEVICE_FIELDS = {f.name: f.type for f in dataclasses.fields(DeviceConfig)}


def _typed(where, name, kind, value):
    """A setting's value as its declared type; INI values arrive as text."""
    if isinstance(kind, types.UnionType):  # an optional number
        if value is None:
            return None
        kind = next(member for member in kind.__args__ if member is not type(None))
    if kind in (int, float):
        if isinstance(value, str):
            try:
                value = kind(value.strip())
            except ValueError:
                raise FiscalError(f"{where}: {name} = {quoted(value)} is not a number") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
                value):
            raise FiscalError(f"{where}: {name} = {quoted(value)} must be a number")
        if kind is int and value != int(value):
            raise FiscalError(f"{where}: {name} = {quoted(value)} must be a whole number")
        if value < 0:
            raise FiscalError(f"{where}: {name} = {quoted(value)} must not be negative")
        return kind(value)
    if kind is tuple:
        if not isinstance(value, (list, tuple)) or not value or not all(
                isinstance(item, (int, float)) and not isinstance(item, bool) and item > 0
                for item in value):
            raise FiscalError(f"{where}: {name} = {quoted(value)} must be a list of positive "
                              "numbers")
        return tuple(sorted(value))
    if value is not None and not isinstance(value, str):
        raise FiscalError(f"{where}: {name} = {quoted(value)} must be a text")
    return value


def _settings(where, data, fields):
    if not isinstance(data, dict):
        raise FiscalError(f"{where} must be a table of settings, not {quoted(data)}")
    unknown = sorted(map(str, set(data) - set(fields)))
    if unknown:
        raise FiscalError(f"{where}: unknown settings {', '.join(unknown)}")
    return {name: _typed(where, name, fields[name], value) for name, value in data.items()}


def config_from_dict(data, base_dir=""):
    """Build (ConnectorConfig, [DeviceConfig]) from a parsed config file; FiscalError names
    what to fix."""
    if not isinstance(data, dict):
        raise FiscalError(f"The configuration must be a table of settings, not {quoted(data)}")
    data = dict(data)
    devices = data.pop("devices", None) or {}
    values = _settings("The connector", data, _CONNECTOR_FIELDS)
    if not values.get("outbox_path"):
        raise FiscalError("The configuration needs outbox_path")
    values["outbox_path"] = os.path.join(base_dir, os.path.expanduser(values["outbox_path"]))
    if not isinstance(devices, dict):
        raise FiscalError(f"devices must be a table of devices, not {quoted(devices)}")
    device_list = []
    for code, settings in devices.items():
        device_values = _settings(f"Device {code}", settings, _DEVICE_FIELDS)
        device_values.pop("code", None)
        device_list.append(DeviceConfig(code=code, **device_values))
    return ConnectorConfig(**values), device_list


def load_config(path):
    """Read a JSON (.json), TOML (.toml) or INI (anything else) configuration file."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise FiscalError(f"Cannot read the configuration {path}: {error.strerror}") from error
    base_dir = os.path.dirname(os.path.abspath(path))
    try:
        if path.endswith(".json"):
            data = json.loads(raw)
        elif path.endswith(".toml"):
            import tomllib  # noqa: PLC0415 - Python 3.11+, only needed for TOML files

            data = tomllib.loads(raw.decode("utf-8"))
        else:
            data = _ini_to_dict(raw.decode("utf-8"))
    except (ValueError, configparser.Error) as error:
        raise FiscalError(f"Cannot parse the configuration {path}: {error}") from error
    return config_from_dict(data, base_dir)


def _ini_to_dict(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    data = dict(parser["connector"]) if parser.has_section("connector") else {}
    data["devices"] = {
        section.split(":", 1)[1]: dict(parser[section])
        for section in parser.sections()
        if section.startswith("device:")
    }
    return data
