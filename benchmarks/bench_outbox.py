"""Benchmark of the fiscal outbox and drain (prints figures; asserts nothing).

    python benchmarks/bench_outbox.py            # full sizes (several minutes)
    python benchmarks/bench_outbox.py --quick    # small sizes, about a minute

1. Durable enqueue, synchronous=FULL: latency p50/p99 and throughput of
   Outbox.enqueue (store only) and Connector.enqueue (with receipt validation),
   beside persist-queue's SQLiteAckQueue (multithreading, auto_commit, WAL,
   synchronous=FULL set explicitly) storing the same JSON body, and the raw
   latency of a 4 KiB write + os.fsync on the same disk (the floor of any
   durable commit).
2. Drain throughput against ATOL Web Server emulators (separate processes)
   with 0 ms and 20 ms latency per HTTP call (a receipt is a POST and a GET).
3. Time to drain a backlog of 10,000 receipts over 40 devices at 20 ms, with
   one drain process and with the devices split among 2 drainer processes
   (drain(processes=2)).
4. Peak RSS of a drain process working through a 10,000 and a 100,000
   backlog for the same time: flat, since only each device's head is read.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import persistqueue
import persistqueue.serializers.json
import psutil
import requests
from fiscal_connector.demo import sample_receipt
from fiscal_connector.outbox import Outbox

from fiscal_connector import ConnectorConfig, DeviceConfig, open_connector

WAL_PROBE_WRITES = 150  # fewer than an autocheckpoint (1000 pages) lets pile up


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def latency_line(label, latencies, elapsed):
    figures = {"p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
               "per_second": len(latencies) / elapsed}
    print(f"  {label:<48} p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms  "
          f"{figures['per_second']:6.0f} /s")
    return figures


def bench_enqueue(count, workdir, rounds=50):
    """The writers (and a raw write + fsync probe) take turns in short rounds, in
    alternating order, so the disk's and the machine's load is the same for each; the
    per-round medians of outbox and peer are also compared pairwise."""
    print(f"1. Durable enqueue, synchronous=FULL, {count} entries each, {rounds} rounds in turn")
    bodies = [sample_receipt(number) for number in range(count + WAL_PROBE_WRITES)]
    outbox = Outbox(os.path.join(workdir, "enqueue-store.sqlite"), max_entries=10**7)
    config = ConnectorConfig(os.path.join(workdir, "enqueue-facade.sqlite"), max_entries=10**7)
    devices = [DeviceConfig(f"d{n}", "atol_web", "http://127.0.0.1:9") for n in range(40)]
    conn = open_connector(config, devices)
    queue = persistqueue.SQLiteAckQueue(os.path.join(workdir, "peer"), multithreading=True,
                                        auto_commit=True, serializer=persistqueue.serializers.json)
    for connection in (queue._putter, queue._getter):  # noqa: SLF001 - same durability as ours
        connection.execute("PRAGMA synchronous=FULL")
    assert queue._putter.execute("PRAGMA synchronous").fetchone()[0] == 2  # noqa: SLF001
    probe = os.open(os.path.join(workdir, "fsync-probe"), os.O_RDWR | os.O_CREAT, 0o600)
    os.pwrite(probe, bytes(2**22), 0)  # a 4 MiB file rewritten in place, as a WAL is
    os.fsync(probe)

    def write_and_fsync(number):
        """The disk's floor: no durable commit can be faster than one write + fsync."""
        os.pwrite(probe, b"x" * 4096, number % 1024 * 4096)
        os.fsync(probe)

    writers = {
        "disk floor: 4 KiB pwrite + os.fsync (raw)": write_and_fsync,
        "fiscal outbox, Outbox.enqueue": lambda n: outbox.enqueue(
            f"k{n}", f"d{n % 40}", "sell", bodies[n]),
        "fiscal outbox, Connector.enqueue (+validation)": lambda n: conn.enqueue(
            f"k{n}", f"d{n % 40}", bodies[n]),
        "persist-queue SQLiteAckQueue.put": lambda n: queue.put(
            {"key": f"k{n}", "body": bodies[n]}),
    }
    latencies = {label: [] for label in writers}
    round_medians = {label: [] for label in writers}
    elapsed = dict.fromkeys(writers, 0.0)
    per_round = count // rounds
    for round_number in range(rounds):
        order = list(writers.items())
        for label, write in order if round_number % 2 else reversed(order):
            started = time.perf_counter()
            this_round = []
            for number in range(round_number * per_round, (round_number + 1) * per_round):
                begin = time.perf_counter()
                write(number)
                this_round.append((time.perf_counter() - begin) * 1000)
            elapsed[label] += time.perf_counter() - started
            latencies[label] += this_round
            round_medians[label].append(percentile(this_round, 0.5))
    figures = {label: latency_line(label, latencies[label], elapsed[label]) for label in writers}
    ours_label, peer_label = "fiscal outbox, Outbox.enqueue", "persist-queue SQLiteAckQueue.put"
    ours, peer = figures[ours_label], figures[peer_label]
    paired = [mine - theirs for mine, theirs in zip(round_medians[ours_label],
                                                   round_medians[peer_label])]
    print(f"  -> outbox p99 {ours['p99_ms']:.2f} ms vs peer {peer['p99_ms']:.2f} ms; "
          f"throughput {ours['per_second']:.0f}/s vs {peer['per_second']:.0f}/s; p50 of the "
          f"same round, outbox minus peer: median {percentile(paired, 0.5) * 1000:+.0f} us, "
          f"outbox slower in {sum(gap > 0 for gap in paired)} of {rounds} rounds")
    ours_pages = wal_pages_per_write(
        outbox._conn(), outbox.path, writers[ours_label], count)  # noqa: SLF001
    peer_pages = wal_pages_per_write(
        queue._putter, os.path.join(workdir, "peer", "data.db"),  # noqa: SLF001
        writers[peer_label], count)
    print(f"  -> WAL pages written per durable commit (what each fsync carries): outbox "
          f"{ours_pages:.2f}, peer {peer_pages:.2f}")
    outbox.close()
    conn.close()
    os.close(probe)


def wal_pages_per_write(connection, path, write, first_number, writes=WAL_PROBE_WRITES):
    """Empty the WAL, make `writes` more writes (fewer than an autocheckpoint holds) and
    count the frames they appended."""
    busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert not busy, "the WAL could not be emptied"
    for number in range(first_number, first_number + writes):
        write(number)
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    return (os.path.getsize(path + "-wal") - 32) / (page_size + 24) / writes


def start_emulators(count, latency_ms, workdir):
    servers = []
    for number in range(count):
        state = os.path.join(workdir, f"emulator-{latency_ms}-{number}-{time.time_ns()}")
        process = subprocess.Popen(
            [sys.executable, "-m", "fiscal_connector.cli", "emulator", "atol-web", "--port", "0",
             "--state-dir", state,
             "--latency-ms", str(latency_ms)], stdout=subprocess.PIPE, text=True)
        url = json.loads(process.stdout.readline())["url"]
        servers.append((process, url))
    return servers


def cpu_seconds(processes):
    return sum(sum(process.cpu_times()[:2]) for process in processes)


def drain_cpu():
    """CPU of this process and of the drainer processes it waited for (children)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def stop_emulators(servers):
    for process, _url in servers:
        process.terminate()
        process.wait(10)


def fiscalized(servers):
    return sum(sum(requests.get(f"{url}/_emulator/documents", timeout=60).json()["counts"]
                   .values()) for _, url in servers)


def fill(conn_or_outbox, count, devices, via_outbox=False, threads=1):
    """Queue `count` receipts; several threads share commits (group commit)."""

    def part(first):
        for number in range(first, count, threads):
            device = f"d{number % devices}"
            if via_outbox:
                conn_or_outbox.enqueue(f"k{number}", device, "sell", sample_receipt(number))
            else:
                conn_or_outbox.enqueue(f"k{number}", device, sample_receipt(number))

    workers = [threading.Thread(target=part, args=(first,)) for first in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def bench_drain(count, devices, latency_ms, emulators, workdir, *, label, processes=1):
    servers = start_emulators(emulators, latency_ms, workdir)
    try:
        path = os.path.join(workdir, f"drain-{label}-{time.time_ns()}.sqlite")
        config = ConnectorConfig(path, max_entries=10**7, poll_interval=0.05)
        device_configs = [DeviceConfig(f"d{n}", "atol_web", servers[n % emulators][1],
                                       timeout=5.0) for n in range(devices)]
        with open_connector(config, device_configs) as conn:
            fill(conn, count, devices, threads=8)
            emulator_cpu = cpu_seconds([psutil.Process(process.pid) for process, _ in servers])
            own_cpu = drain_cpu()
            started = time.perf_counter()
            done = 0
            while done < count:
                done += conn.drain(max_seconds=120, processes=processes)["done"]
            elapsed = time.perf_counter() - started
            own_cpu = drain_cpu() - own_cpu
            emulator_cpu = cpu_seconds([psutil.Process(p.pid) for p, _ in servers]) - emulator_cpu
        held = fiscalized(servers)
        print(f"  {label:<30} {count:>6} receipts, {devices} devices, {latency_ms:>2} ms: "
              f"{elapsed:6.1f} s, {count / elapsed:5.0f}/s, fiscalized {held}, duplicates "
              f"{held - count}; CPU per receipt: drain {own_cpu / count * 1000:.1f} ms, "
              f"emulators {emulator_cpu / count * 1000:.1f} ms; load {os.getloadavg()[0]:.1f}")
        return elapsed
    finally:
        stop_emulators(servers)


def memory_child(count, seconds, devices, workdir):
    """Fill an outbox with `count`, drain it for `seconds`; print peak RSS as JSON."""
    servers = start_emulators(4, 0, workdir)
    try:
        path = os.path.join(workdir, f"memory-{count}.sqlite")
        outbox = Outbox(path, max_entries=10**7)
        fill(outbox, count, devices, via_outbox=True, threads=16)
        outbox.close()
        config = ConnectorConfig(path, max_entries=10**7)
        device_configs = [DeviceConfig(f"d{n}", "atol_web", servers[n % 4][1])
                          for n in range(devices)]
        process = psutil.Process()
        peak = [process.memory_info().rss]
        stop = threading.Event()

        def sample():
            while not stop.wait(0.05):
                peak[0] = max(peak[0], process.memory_info().rss)

        with open_connector(config, device_configs) as conn:
            before = process.memory_info().rss
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            report = conn.drain(max_seconds=seconds)
            stop.set()
            sampler.join()
        print(json.dumps({"backlog": count, "drained": report["done"],
                          "rss_before_mb": before / 2**20, "rss_peak_mb": peak[0] / 2**20}))
    finally:
        stop_emulators(servers)


def bench_memory(sizes, seconds, workdir):
    print(f"4. Peak RSS of the drain process, {seconds:.0f} s of draining at 0 ms latency")
    for count in sizes:
        output = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(count), "--seconds", str(seconds),
             "--workdir", workdir], capture_output=True, text=True, check=True).stdout
        data = json.loads(output.strip().splitlines()[-1])
        print(f"  backlog {data['backlog']:>7}: drained {data['drained']:>6} in {seconds:.0f} s, "
              f"RSS before {data['rss_before_mb']:6.1f} MB, peak {data['rss_peak_mb']:6.1f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument("--enqueue", type=int, help="entries for the enqueue test")
    parser.add_argument("--backlog", type=int, help="backlog of the 40-device test")
    parser.add_argument("--memory-sizes", help="comma-separated backlogs for the RSS test")
    parser.add_argument("--seconds", type=float, default=20.0, help="drain time of the RSS test")
    parser.add_argument("--workdir", help="where the SQLite files go (default: a temp dir)")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-outbox-")
    if args.memory_child:
        memory_child(args.memory_child, args.seconds, 40, workdir)
        return
    enqueue = args.enqueue or (1000 if args.quick else 5000)
    backlog = args.backlog or (2000 if args.quick else 10000)
    sizes = [int(size) for size in (args.memory_sizes or
                                    ("2000,20000" if args.quick else "10000,100000")).split(",")]
    print(f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"SQLite files in {workdir}")
    bench_enqueue(enqueue, workdir)
    print("2. Drain throughput (4 emulator processes, 40 devices)")
    small = backlog // 5
    bench_drain(small, 40, 0, 4, workdir, label="drain, 0 ms backend latency")
    bench_drain(small, 40, 20, 4, workdir, label="drain, 20 ms backend latency")
    print("3. Backlog over 40 devices at 20 ms latency (target < 30 s for 10,000)")
    bench_drain(backlog, 40, 20, 4, workdir, label="backlog, 1 drain process")
    bench_drain(backlog, 40, 20, 4, workdir, label="backlog, processes=2", processes=2)
    bench_memory(sizes, args.seconds, workdir)


if __name__ == "__main__":
    main()
