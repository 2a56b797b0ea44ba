"""The tables of scripts/bench-topologies.sh, from its JSON records (one per line).

Every figure is the median over the runs; a ratio is the median of each run's own ratio to
the single Redis of that run, with the runs' spread, so a machine that was slower in one
run than in another moves both sides of the ratio alike."""
import argparse
import json
import statistics

LABELS = {
    "standalone": "one redis-server",
    "cluster": "cluster, 3 primaries + 3 replicas, {queues} queues spread evenly",
    "cluster-unbalanced": "cluster, 3 primaries + 3 replicas, {queues} queues as their names fall",
    "cluster-1q": "cluster, 3 primaries + 3 replicas, 1 queue",
    "sentinel": "Sentinel: primary + 2 replicas, 3 sentinels",
    "replicated": "primary + 1 replica",
    "replicated-wait1": "primary + 1 replica, `--min-replicas 1`",
}


def median(values):
    return statistics.median(values) if values else float("nan")


def dig(record, path):
    value = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("raw")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--queues", type=int)
    parser.add_argument("--submitters", type=int)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--worker-args", default="")
    parser.add_argument("--duration", default="")
    args = parser.parse_args()
    records = [json.loads(line) for line in open(args.raw) if line.strip()]
    throughput = [r for r in records if r["kind"] == "throughput"]
    routing = [r for r in records if r["kind"] == "routing"]
    wrk = [r for r in records if r["kind"] == "wrk"]
    topologies = list(dict.fromkeys(r["topology"] for r in throughput))
    baseline = "standalone" if "standalone" in topologies else (topologies[0] if topologies else None)
    by = {(r["topology"], r["run"]): r["report"] for r in throughput}
    runs = sorted({r["run"] for r in throughput})

    def values(topology, path):
        return [v for v in (dig(by[(topology, run)], path) for run in runs if (topology, run) in by) if v is not None]

    def ratio(topology, path, against=None):
        per_run = []
        for run in runs:
            mine, base = by.get((topology, run)), by.get((against or baseline, run))
            a, b = (dig(mine, path) if mine else None), (dig(base, path) if base else None)
            if a is not None and b:
                per_run.append(a / b)
        if not per_run:
            return ""
        spread = f" ({min(per_run):.2f}–{max(per_run):.2f})" if len(per_run) > 1 else ""
        return f"{median(per_run):.2f}{spread}"

    def label(topology):
        return LABELS.get(topology, topology).format(queues=args.queues)

    if throughput:
        print()
        print(f"Submit and drain, {args.jobs:,} no-op jobs a phase ({args.submitters} callers submitting one job at a time; "
              f"then in batches of {args.batch:,}); drained by `offload-worker {args.worker_args}`; medians of "
              f"{len(runs)} runs, × = the median of each run's ratio to {label(baseline)} (its spread in brackets):")
        print()
        print("| deployment | lone submit p50 / p99, µs | × p50 | submits/s | × | batch submits/s | × | drained jobs/s | × |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for topology in topologies:
            p50, p99 = median(values(topology, "lone.p50Us")), median(values(topology, "lone.p99Us"))
            print(f"| {label(topology)} | {p50:.0f} / {p99:.0f} | {ratio(topology, 'lone.p50Us')} "
                  f"| {median(values(topology, 'submit.rate')):,.0f} | {ratio(topology, 'submit.rate')} "
                  f"| {median(values(topology, 'batchSubmit.rate')):,.0f} | {ratio(topology, 'batchSubmit.rate')} "
                  f"| {median(values(topology, 'drain.rate')):,.0f} | {ratio(topology, 'drain.rate')} |")
        print()
        print("CPU per job, µs (medians): Redis's main thread summed over the primaries (the busiest primary's share "
              "in brackets), over the replicas; and the submitting process (Broker + Redis client) or the worker processes:")
        print()
        print("| deployment | submit: primaries (busiest) | replicas | submitter | batch: primaries (busiest) | replicas "
              "| drain: primaries (busiest) | replicas | workers |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for topology in topologies:
            cells = []
            for phase in ("submit", "batchSubmit", "drain"):
                cells.append(f"{median(values(topology, phase + '.redisCPU.primariesUs')):.1f} "
                             f"({median(values(topology, phase + '.redisCPU.busiestPrimaryUs')):.1f})")
                cells.append(f"{median(values(topology, phase + '.redisCPU.replicasUs')):.1f}")
                if phase == "submit":
                    cells.append(f"{median(values(topology, 'submit.clientCPUUs')):.1f}")
                if phase == "drain":
                    cells.append(f"{median(values(topology, 'drain.workersCPUUs')):.1f}")
            print(f"| {label(topology)} | " + " | ".join(cells) + " |")

    if "replicated" in topologies and "replicated-wait1" in topologies:
        print()
        print(f"{label('replicated-wait1')} against the same primary + replica without the flag (× per run, medians): "
              + ", ".join(f"{name} {ratio('replicated-wait1', path, against='replicated')}" for name, path in (
                  ("lone submit p50", "lone.p50Us"), ("lone submit p99", "lone.p99Us"), ("submits/s", "submit.rate"),
                  ("submit p50 under load", "submit.latency.p50Us"), ("batch submits/s", "batchSubmit.rate"),
                  ("drained jobs/s", "drain.rate"))))

    for topology in topologies:
        nodes = {}
        for run in runs:
            for queue, node in (dig(by.get((topology, run)) or {}, "queueNodes") or {}).items():
                nodes.setdefault(node, set()).add(queue)
        if len(nodes) > 1 or (topology.startswith("cluster") and nodes):
            spread = "; ".join(f"{node}: {', '.join(sorted(queues))}" for node, queues in sorted(nodes.items()))
            print()
            print(f"{label(topology)}: queues by primary (the slot of each `{{queue}}` tag): {spread}")

    if wrk:
        print()
        print(f"offload-api under wrk (`wrk -t1 -d{args.duration}`, POST /v1/jobs), medians of {len(runs)} runs; "
              f"× = the median of each run's ratio to {label('standalone')}:")
        print()
        print("| deployment | 32 connections: submits/s | × | p50 / p99 ms | 1 connection: submits/s | × | p50 / p99 ms | non-2xx |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        cells = {(r["topology"], r["run"], r["connections"]): r["figures"] for r in wrk}
        for topology in dict.fromkeys(r["topology"] for r in wrk):
            row = [label(topology)]
            non2xx = 0
            for connections in (32, 1):
                mine = [cells[(topology, run, connections)] for run in runs if (topology, run, connections) in cells]
                per_run = [cells[(topology, run, connections)]["rps"] / cells[("standalone", run, connections)]["rps"]
                           for run in runs if (topology, run, connections) in cells and ("standalone", run, connections) in cells]
                spread = f" ({min(per_run):.2f}–{max(per_run):.2f})" if len(per_run) > 1 else ""
                row += [f"{median([f['rps'] for f in mine]):,.0f}", f"{median(per_run):.2f}{spread}",
                        f"{median([f['p50_ms'] for f in mine]):.2f} / {median([f['p99_ms'] for f in mine]):.2f}"]
                non2xx += sum(f["non2xx"] + f["errors"] for f in mine)
            print("| " + " | ".join(row + [str(non2xx)]) + " |")

    for record in routing:
        report = record["report"]
        print()
        print(f"Client cost per command, {label(record['topology']).split(',')[0]} URL against redis://{report['server']} "
              f"(the server of the key), {report['requests']:,} commands a measurement, {report['rounds'] * 2} measurements "
              f"each, in turn; medians:")
        print()
        print("| command | shape | plain ops/s | routed ops/s | routed / plain | extra µs per command |")
        print("|---|---|---:|---:|---:|---:|")
        for result in report["results"]:
            print(f"| {result['command'].upper()} | {result['shape']} | {median(result['plainOpsPerSecond']):,.0f} "
                  f"| {median(result['routedOpsPerSecond']):,.0f} | {result['ratio']:.3f} | {result['overheadUsPerCommand']:+.2f} |")


if __name__ == "__main__":
    main()
