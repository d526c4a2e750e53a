"""A drainer process for the concurrency test: drain in a loop, log what happened.

usage: fiscal_drainer.py CONFIG.json LOG STOP_FILE
Drains until STOP_FILE exists and nothing is left; appends one JSON line per
drain call and one "key state" line per result to LOG.
"""

import json
import os
import sys
import time

from fiscal_connector.config import load_config

from fiscal_connector import open_connector


def main(config_path, log_path, stop_file):
    config, devices = load_config(config_path)
    deadline = time.monotonic() + 120
    with open(log_path, "a", encoding="utf-8") as log:

        def on_result(key, state, _result, _error):
            log.write(f"{key} {state}\n")
            log.flush()

        while time.monotonic() < deadline:
            with open_connector(config, devices) as conn:
                report = conn.drain(max_seconds=1.0, on_result=on_result)
                left = sum(info["depth"] for info in conn.status().values())
            skipped = sorted({info["skipped"] for info in report["devices"].values()
                              if info["skipped"]})
            log.write(json.dumps({"redis": report["redis"], "done": report["done"],
                                  "skipped": skipped}) + "\n")
            log.flush()
            if left == 0 and os.path.exists(stop_file):
                return 0
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
