"""fiscal-connector: operate the outbox, drain it, run the emulators and the demo.

Settings come from a config file (--config, or $FISCAL_CONNECTOR_CONFIG) and
options (--outbox, --redis, --device), options winning. A config file is
JSON (.json), TOML (.toml) or INI (other names):

  TOML / JSON                           INI
  outbox_path = "var/outbox.sqlite"     [connector]
  redis_url = "redis://127.0.0.1:6379"  outbox_path = var/outbox.sqlite
  backoff_cap = 300                     redis_url = redis://127.0.0.1:6379
  [devices.kkt1]                        [device:kkt1]
  backend = "atol_web"                  backend = atol_web
  url = "http://127.0.0.1:16732"        url = http://127.0.0.1:16732

Connector settings: outbox_path, redis_url, redis_prefix, max_entries,
retention_days, backoff_base, backoff_cap, breaker_fail_max,
breaker_reset_timeout, lock_expire, poll_interval, poll_budget, drain_workers,
integrity_check, latency_buckets. Device settings: backend (atol_web |
atol_online), url, login, password, group_code, company_inn, company_email,
payment_address, timeout, tz, correction_after_hours, send_window. Paths in a
file are relative to the file. Only `enqueue` creates the outbox; the other
commands refuse a path with none.

Exit status: 0 success, 1 an error (one line on stderr), 2 bad usage.
"""

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import sys

from .config import DeviceConfig, config_from_dict, load_config
from .connector import open_connector
from .emulators import build_parser as emulator_arguments
from .emulators import options_from_args, serve
from .errors import FiscalError, quoted

# Commands that write the outbox, so may create it; the others only read one that exists.
CREATING_COMMANDS = ("enqueue",)


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line on stderr (argparse prints the whole usage first)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _device_option(text):
    """CODE=BACKEND,URL (e.g. kkt1=atol_web,http://127.0.0.1:16732)."""
    code, _, rest = text.partition("=")
    backend, _, url = rest.partition(",")
    if not (code and backend and url):
        raise argparse.ArgumentTypeError("expected CODE=BACKEND,URL")
    return DeviceConfig(code, backend, url)


def _number(kind, minimum, maximum=float("inf")):
    """An argparse type: a number of `kind` from `minimum` to `maximum`."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{quoted(text)} is not a number") from None
        if not minimum <= value <= maximum:  # NaN too
            bound = "or more" if maximum == float("inf") else f"to {maximum}"
            raise argparse.ArgumentTypeError(f"must be {minimum} {bound}")
        return value

    return parse


_process_count = _number(int, 1)
_seconds = _number(float, 0)
_count = _number(int, 0)
_port = _number(int, 0, 65535)


def build_parser():
    parser = _Parser(
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
    drain.add_argument("--seconds", type=_seconds, default=50.0, help="time bound (default 50)")
    drain.add_argument("--only", action="append", metavar="CODE", help="drain only these devices")
    drain.add_argument("--processes", type=_process_count, default=1, metavar="N",
                       help="split the devices among N drainer processes (default 1)")
    dlq = commands.add_parser("dlq", help="dead letters")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    dlq_list = dlq_commands.add_parser("list", help="list dead letters")
    dlq_list.add_argument("--only", metavar="CODE", help="one device")
    dlq_retry = dlq_commands.add_parser("retry", help="queue a dead letter again, same key")
    dlq_retry.add_argument("key")
    dlq_reissue = dlq_commands.add_parser(
        "reissue", help="ask the backend about a dead letter's key: adopt its document, or "
                        "queue the letter again under a successor key")
    dlq_reissue.add_argument("key")
    show = commands.add_parser("show", help="one entry, with its result and last error")
    show.add_argument("key")
    enqueue = commands.add_parser(
        "enqueue", help='queue JSON lines {"key", "device", "receipt", "after_key"} ("-": stdin)')
    enqueue.add_argument("file")
    purge = commands.add_parser("purge", help="delete done entries older than the retention")
    purge.add_argument("--days", type=_seconds, help="retention in days (default: the config's)")
    purge.add_argument("--yes", action="store_true", help="confirm --days 0 (every done entry)")
    check = commands.add_parser("check", help="check the outbox file's integrity now")
    check.add_argument("--full", action="store_true", help="integrity_check, not quick_check")
    metrics = commands.add_parser(
        "metrics", help="serve Prometheus metrics of the outbox on http://HOST:PORT/metrics")
    metrics.add_argument("--port", type=_port, required=True)
    metrics.add_argument("--host", default="127.0.0.1")

    emulator_arguments(commands.add_parser(
        "emulator", help="serve an emulated ATOL backend over HTTP (atol-web | atol-online)"))

    demo = commands.add_parser(
        "demo", help="start an emulator, queue generated receipts, drain, print what happened")
    demo.add_argument("--receipts", type=_count, default=12)
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


def _moment(epoch):
    return dt.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def cmd_status(args, conn):
    status = conn.status()
    lines = [f"{'device':<16}{'depth':>7}{'oldest':>9}  {'breaker':<10}states"]
    for code, info in status.items():
        states = " ".join(f"{name}={count}" for name, count in sorted(info["states"].items()))
        lines.append(f"{code:<16}{info['depth']:>7}{_age(info['oldest_pending_age']):>9}  "
                     f"{info['breaker']:<10}{states or '-'}")
        notes = []
        if info["paused"]:
            notes.append(f"PAUSED since {_moment(info['paused_at'])}: {info['paused']}")
        if info["breaker_opened_at"]:
            notes.append(f"breaker {info['breaker']} since {_moment(info['breaker_opened_at'])}")
        if info["unreachable_since"]:
            notes.append(f"backend unreachable since {_moment(info['unreachable_since'])}")
        if info["last_error"]:
            notes.append(f"last error: {info['last_error']}")
        if info["cleared_error"]:
            notes.append(f"earlier error, cleared by a later success: {info['cleared_error']}")
        lines += [f"{'':<16}{note}" for note in notes]
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
    if args.dlq_command == "reissue":
        answer = conn.reissue(args.key)
        if answer["adopted"]:
            text = (f"{args.key}: {answer['spent_key']} holds document "
                    f"{answer['result']['fd_number']}, adopted")
        elif answer["spent_key"]:
            text = (f"{args.key}: {answer['spent_key']} holds no document; queued again as "
                    f"{answer['send_key']}")
        else:
            text = f"{args.key}: the backend never received it; queued again under it"
        _print(args, answer, text)
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
        raise FiscalError(f"No outbox entry with key {quoted(args.key)}")
    lines = []
    for name, value in row.items():
        if name != "body":
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
            lines.append(f"{name}: {shown}")
    _print(args, row, "\n".join(lines))
    return 0


def _enqueue_line(conn, raw):
    """Queue one JSON line; its result, or FiscalError saying why it was not queued."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FiscalError(f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column "
                          f"{error.start + 1})") from None
    try:
        item = json.loads(line)
    except ValueError as error:
        raise FiscalError(f"invalid JSON ({error})") from None
    if not isinstance(item, dict):
        raise FiscalError("a line must be a JSON object with key, device, receipt")
    created = conn.enqueue(item.get("key"), item.get("device"), item.get("receipt"),
                           item.get("after_key"))
    return item["key"], "queued" if created else "already queued"


def cmd_enqueue(args, conn):
    """Every line is tried and answered on its own, in order: a bad one stops nothing."""
    try:
        handle = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as error:
        raise FiscalError(f"Cannot read {args.file}: {error.strerror}") from None
    failed = total = 0
    with handle:
        try:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                total += 1
                try:
                    key, result = _enqueue_line(conn, raw)
                    row = {"line": number, "key": key, "result": result}
                    text = f"line {number}: {key} {result}"
                except FiscalError as error:
                    failed += 1
                    row = {"line": number, "error": str(error)}
                    text = f"line {number}: ERROR {error}"
                print(json.dumps(row, ensure_ascii=False) if args.json else text, flush=True)
        except OSError as error:  # the file (or stdin) fails while it is read
            raise FiscalError(f"Cannot read {args.file}: {error.strerror}") from None
    if not total and not args.json:
        print("nothing to queue")
    return 1 if failed else 0


def cmd_purge(args, conn):
    if args.days == 0 and not args.yes:
        raise FiscalError("--days 0 deletes every done entry: add --yes to confirm")
    count = conn.purge(args.days)
    _print(args, {"purged": count}, f"purged {count} done entries")
    return 0


def cmd_check(args, conn):
    conn.check_integrity(full=args.full)
    _print(args, {"outbox": conn.outbox.path, "ok": True}, f"{conn.outbox.path}: ok")
    return 0


def cmd_metrics(args, conn):
    from .metrics import serve_metrics  # noqa: PLC0415 - its import cost only for this command

    return serve_metrics(conn, args.host, args.port)


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
            "enqueue": cmd_enqueue, "purge": cmd_purge, "check": cmd_check,
            "metrics": cmd_metrics}


def _run(args):
    if args.command == "emulator":
        return cmd_emulator(args)
    if args.command == "demo":
        return cmd_demo(args)
    config, devices = _settings(args)
    try:
        conn = open_connector(config, devices, create=args.command in CREATING_COMMANDS)
    except OSError as error:  # e.g. a state folder that cannot be made
        raise FiscalError(f"Cannot use {error.filename or config.outbox_path}: "
                          f"{error.strerror}") from None
    try:
        return COMMANDS[args.command](args, conn)
    finally:
        conn.close()


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return _run(args)
    except FiscalError as error:
        print(f"fiscal-connector: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - an operator sees one line; -v logs the rest
        logging.getLogger(__name__).info("Unexpected error", exc_info=True)
        print(f"fiscal-connector: error: unexpected {type(error).__name__}: {error} "
              "(run with -v for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
