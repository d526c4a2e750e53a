"""Fiscal backends: one class per protocol, each with `from_config(device_config)`."""

from .atol_online import AtolOnlineBackend
from .atol_web import AtolWebBackend

BACKENDS = {
    AtolWebBackend.name: AtolWebBackend,
    AtolOnlineBackend.name: AtolOnlineBackend,
}
