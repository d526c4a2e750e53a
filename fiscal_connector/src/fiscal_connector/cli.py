"""fiscal-connector: operate the outbox, drain it, run the emulators and the demo.

Settings come from a config file (--config, or $FISCAL_CONNECTOR_CONFIG) and
options (--outbox, --redis, --device), options winning. A config file is
JSON (.json), TOML (.toml) or INI (other names):

  TOML / JSON                           INI
  outbox_path = "var/outbox.sqlite"     [connector]
  redis_url = "redis://127.0.0.1:6379"  outbox_path = var/outbox.sqlite
  max_attempts = 20                     redis_url = redis://127.0.0.1:6379
  [devices.kkt1]                        [device:kkt1]
  backend = "atol_web"                  backend = atol_web
  url = "http://127.0.0.1:16732"        url = http://127.0.0.1:16732

Connector settings: outbox_path, redis_url, redis_prefix, max_entries,
retention_days, max_attempts, backoff_base, backoff_cap, breaker_fail_max,
breaker_reset_timeout, lock_expire, poll_interval, poll_budget, drain_workers,
integrity_check. Device settings: backend (atol_web | atol_online), url,
login, password, group_code, company_inn, company_email, payment_address,
timeout. Paths in a file are relative to the file.

Exit status: 0 success, 1 an error (message on stderr), 2 bad usage.
"""

import argparse
import dataclasses
import json
import logging
import os
import sys

from .config import DeviceConfig, config_from_dict, load_config
from .connector import open_connector
from .emulators import build_parser as emulator_arguments
from .emulators import options_from_args, serve
from .errors import FiscalError


def _device_option(text):
    """CODE=BACKEND,URL (e.g. kkt1=atol_web,http://127.0.0.1:16732)."""
    code, _, rest = text.partition("=")
    backend, _, url = rest.partition(",")
    if not (code and backend and url):
        raise argparse.ArgumentTypeError("expected CODE=BACKEND,URL")
    return DeviceConfig(code, backend, url)


def _process_count(text):
    count = int(text)
    if count < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return count


def build_parser():
    parser = argparse.ArgumentParser(
        prog="fiscal-connector",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", default=os.environ.get("FISCAL_CONNECTOR_CONFIG"),
                        help="JSON, TOML or INI settings file ($FISCAL_CONNECTOR_CONFIG)")
    parser.add_argument("--outbox", help="outbox SQLite file (overrides the config)")
    parser.add_argument("--redis", help="Redis URL for locks and breakers (overrides the config)")
    parser.add_argument("--device", action="append", type=_device_option, default=[],
                        metavar="CODE=BACKEND,URL", help="add a device (repeatable)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the drain does")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("status", help="per device: depth, oldest age, states, breaker")
    drain = commands.add_parser("drain", help="send what is due, for a bounded time")
    drain.add_argument("--seconds", type=float, default=50.0, help="time bound (default 50)")
    drain.add_argument("--only", action="append", metavar="CODE", help="drain only these devices")
    drain.add_argument("--processes", type=_process_count, default=1, metavar="N",
                       help="split the devices among N drainer processes (default 1)")
    dlq = commands.add_parser("dlq", help="dead letters")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    dlq_list = dlq_commands.add_parser("list", help="list dead letters")
    dlq_list.add_argument("--only", metavar="CODE", help="one device")
    dlq_retry = dlq_commands.add_parser("retry", help="queue a dead letter again, same key")
    dlq_retry.add_argument("key")
    show = commands.add_parser("show", help="one entry, with its result and last error")
    show.add_argument("key")
    enqueue = commands.add_parser(
        "enqueue", help='queue JSON lines {"key", "device", "receipt", "after_key"} ("-": stdin)')
    enqueue.add_argument("file")
    purge = commands.add_parser("purge", help="delete done entries older than the retention")
    purge.add_argument("--days", type=float, help="retention in days (default: the config's)")

    emulator_arguments(commands.add_parser(
        "emulator", help="serve an emulated ATOL backend over HTTP (atol-web | atol-online)"))

    demo = commands.add_parser(
        "demo", help="start an emulator, queue generated receipts, drain, print what happened")
    demo.add_argument("--receipts", type=int, default=12)
    demo.add_argument("--state-dir", help="keep the demo's files here (default: a temp dir)")
    return parser


def _settings(args):
    if args.config:
        config, devices = load_config(args.config)
    elif args.outbox:
        config, devices = config_from_dict({"outbox_path": args.outbox})
    else:
        raise FiscalError("Give --config FILE (or $FISCAL_CONNECTOR_CONFIG) or --outbox PATH")
    overrides = {}
    if args.outbox:
        overrides["outbox_path"] = os.path.abspath(args.outbox)
    if args.redis:
        overrides["redis_url"] = args.redis
    config = dataclasses.replace(config, **overrides)
    known = {device.code for device in args.device}
    devices = [device for device in devices if device.code not in known] + args.device
    return config, devices


def _print(args, data, text):
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str) if args.json else text)


def _age(seconds):
    return "-" if seconds is None else f"{seconds:.0f}s"


def cmd_status(args, conn):
    status = conn.status()
    lines = [f"{'device':<16}{'depth':>7}{'oldest':>9}  {'breaker':<10}states"]
    for code, info in status.items():
        states = " ".join(f"{name}={count}" for name, count in sorted(info["states"].items()))
        lines.append(f"{code:<16}{info['depth']:>7}{_age(info['oldest_pending_age']):>9}  "
                     f"{info['breaker']:<10}{states or '-'}")
        if info["last_error"]:
            lines.append(f"{'':<16}last error: {info['last_error']}")
    _print(args, status, "\n".join(lines))
    return 0


def cmd_drain(args, conn):
    report = conn.drain(max_seconds=args.seconds, devices=args.only,
                        processes=args.processes)
    lines = [f"drained in {report['seconds']}s: done={report['done']} dead={report['dead']} "
             f"unknown={report['unknown']} waiting={report['retry_wait']}"
             f"{'' if report['redis'] else ' (no Redis: local file locks)'}"]
    for code, info in report["devices"].items():
        note = f"  skipped: {info['skipped']}" if info["skipped"] else ""
        lines.append(f"  {code}: done={info['done']} dead={info['dead']} "
                     f"unknown={info['unknown']} breaker={info['breaker']}{note}")
    _print(args, report, "\n".join(lines))
    return 0


def cmd_dlq(args, conn):
    if args.dlq_command == "retry":
        conn.retry_dead(args.key)
        _print(args, {"key": args.key, "state": "pending"}, f"{args.key}: queued again")
        return 0
    rows = conn.dead_letters(args.only)
    data = [{name: row[name] for name in ("key", "device", "operation", "attempts", "last_error",
                                          "hlc_text")} for row in rows]
    text = "\n".join(f"{row['key']}  {row['device']}  {row['operation']}  "
                     f"attempts={row['attempts']}  {row['last_error']}" for row in data)
    _print(args, data, text or "no dead letters")
    return 0


def cmd_show(args, conn):
    row = conn.entry(args.key)
    if row is None:
        raise FiscalError(f"No outbox entry with key {args.key}")
    lines = []
    for name, value in row.items():
        if name != "body":
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
            lines.append(f"{name}: {shown}")
    text = "\n".join(lines)
    _print(args, row, text)
    return 0


def cmd_enqueue(args, conn):
    handle = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    results, failed = [], 0
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                try:
                    item = json.loads(line)
                except ValueError as error:
                    raise FiscalError(f"invalid JSON ({error})") from None
                if not isinstance(item, dict):
                    raise FiscalError("a line must be a JSON object")
                created = conn.enqueue(item.get("key"), item.get("device"), item.get("receipt"),
                                       item.get("after_key"))
                results.append({"line": number, "key": item.get("key"),
                                "result": "queued" if created else "already queued"})
            except (ValueError, FiscalError) as error:
                failed += 1
                results.append({"line": number, "error": str(error)})
    text = "\n".join(f"line {row['line']}: {row.get('key', '')} "
                     f"{row.get('result') or 'ERROR ' + row['error']}" for row in results)
    _print(args, {"results": results, "failed": failed}, text or "nothing to queue")
    return 1 if failed else 0


def cmd_purge(args, conn):
    count = conn.purge(args.days)
    _print(args, {"purged": count}, f"purged {count} done entries")
    return 0


def cmd_emulator(args):
    return serve(args.kind, args.port, args.state_dir, host=args.host, **options_from_args(args))


def cmd_demo(args):
    from .demo import run_demo  # noqa: PLC0415

    summary = run_demo(receipts=args.receipts, state_dir=args.state_dir,
                       echo=None if args.json else print)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0 if summary["lost"] == 0 and summary["duplicates"] == 0 else 1


COMMANDS = {"status": cmd_status, "drain": cmd_drain, "dlq": cmd_dlq, "show": cmd_show,
            "enqueue": cmd_enqueue, "purge": cmd_purge}


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "emulator":
            return cmd_emulator(args)
        if args.command == "demo":
            return cmd_demo(args)
        config, devices = _settings(args)
        conn = open_connector(config, devices)
        try:
            return COMMANDS[args.command](args, conn)
        finally:
            conn.close()
    except FiscalError as error:
        print(f"fiscal-connector: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
