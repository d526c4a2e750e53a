"""54-FZ fiscal connector core: receipts, durable outbox, ATOL backends, drain.

Plain Python (never imports Odoo). Entry point: `open_connector`.
"""

from .config import ConnectorConfig, DeviceConfig
from .connector import Connector, open_connector
from .receipt import Receipt

__all__ = ["Connector", "ConnectorConfig", "DeviceConfig", "Receipt", "open_connector"]
