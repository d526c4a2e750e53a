"""Connector and device settings, in code or from a small JSON, TOML or INI file.

File layout (TOML shown; JSON has the same keys, INI uses a [connector]
section and one [device:CODE] section per device):

    outbox_path = "/var/lib/fiscal/outbox.sqlite"
    redis_url = "redis://127.0.0.1:6379/0"     # optional
    max_attempts = 20

    [devices.kkt1]
    backend = "atol_web"
    url = "http://127.0.0.1:16732"
"""

import configparser
import dataclasses
import json
import os

from .errors import FiscalError

BACKENDS = ("atol_web", "atol_online")


@dataclasses.dataclass(frozen=True)
class ConnectorConfig:
    outbox_path: str
    redis_url: str | None = None
    max_entries: int = 100000
    retention_days: int = 30
    max_attempts: int = 20
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

    def __post_init__(self):
        if not self.code:
            raise FiscalError("A device needs a code")
        if self.backend not in BACKENDS:
            raise FiscalError(
                f"Device {self.code}: unknown backend {self.backend!r}, expected one of {BACKENDS}"
            )


_CONNECTOR_FIELDS = {f.name: f.type for f in dataclasses.fields(ConnectorConfig)}
_DEVICE_FIELDS = {f.name for f in dataclasses.fields(DeviceConfig)}


def _typed(name, value):
    """INI values arrive as text: convert to the field's declared type."""
    kind = _CONNECTOR_FIELDS[name]
    if isinstance(value, str) and kind in (int, float):
        return kind(value)
    return value


def config_from_dict(data, base_dir=""):
    """Build (ConnectorConfig, [DeviceConfig]) from a parsed config file."""
    data = dict(data)
    devices = data.pop("devices", {}) or {}
    unknown = set(data) - set(_CONNECTOR_FIELDS)
    if unknown:
        raise FiscalError(f"Unknown connector settings: {', '.join(sorted(unknown))}")
    if "outbox_path" not in data:
        raise FiscalError("The configuration needs outbox_path")
    values = {name: _typed(name, value) for name, value in data.items()}
    values["outbox_path"] = os.path.join(base_dir, os.path.expanduser(values["outbox_path"]))
    device_list = []
    for code, settings in devices.items():
        unknown = set(settings) - _DEVICE_FIELDS
        if unknown:
            raise FiscalError(f"Device {code}: unknown settings {', '.join(sorted(unknown))}")
        device_values = dict(settings)
        if "timeout" in device_values:
            device_values["timeout"] = float(device_values["timeout"])
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
