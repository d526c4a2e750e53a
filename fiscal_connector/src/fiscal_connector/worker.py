"""One drainer process of `Connector.drain(processes=N)`: a normal drain of some devices.

The parent writes {"config": ..., "devices": [...], "max_seconds": ...} as JSON to
stdin (passwords never appear in the process list) and reads the drain report,
one JSON object, from stdout. Results are not handed to a callback here: the
parent hands them on from the outbox (entries stay unnotified until then).
"""

import json
import os
import sys

from .config import ConnectorConfig, DeviceConfig
from .connector import open_connector


def main():
    job = json.load(sys.stdin)
    config = ConnectorConfig(**job["config"])
    devices = [DeviceConfig(**device) for device in job["devices"]]
    with open_connector(config, devices) as conn:
        report = conn.drain(max_seconds=job["max_seconds"])
    json.dump({**report, "pid": os.getpid()}, sys.stdout)


if __name__ == "__main__":
    main()
