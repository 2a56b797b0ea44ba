"""Turns the records of `make bench` (scripts/bench/clients.py --record) into the results
section of docs/benchmarks.md: machine and versions, goals met or missed, one table and one
PNG (docs/images/bench-*.png) per step, each figure as min / median / max over the runs.

  report.py RAW.jsonl [--doc docs/benchmarks.md]

With --doc, replaces what stands between `<!-- bench:begin -->` and `<!-- bench:end -->`
in that file and writes the PNGs next to it, under images/; the section is printed either
way, and last the headline line (for the README)."""
import argparse
import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
LABEL = {"offload": "Offload", "celery": "FastAPI + Celery", "sidekiq": "Sidekiq",
         "fastapi-inline": "FastAPI, prime count in an `async def` handler"}
SHORT = {"offload": "Offload", "celery": "FastAPI + Celery", "sidekiq": "Sidekiq", "fastapi-inline": "FastAPI inline"}
COLOUR = {"offload": "#d9822b", "celery": "#4c9a5f", "sidekiq": "#b5403a", "fastapi-inline": "#7f7f7f"}
MiB = 2**20


class Records:
    def __init__(self, path):
        self.rows = [json.loads(line) for line in open(path) if line.strip()]
        self.facts = next((r for r in self.rows if r["step"] == "facts"), {})
        self.end = next((r for r in self.rows if r["step"] == "end"), {})

    def values(self, field, **match):
        """`field` (a.b for nested) of every record matching, one a run."""
        out = []
        for row in self.rows:
            if all(str(row.get(k)) == str(v) for k, v in match.items()):
                value = row
                for part in field.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if value is not None:
                    out.append(float(value))
        return out

    def median(self, field, **match):
        values = self.values(field, **match)
        return statistics.median(values) if values else None


def spread(values, fmt="{:,.0f}"):
    """min / median / max, or the one value of a single run."""
    if not values:
        return "–"
    if len(values) == 1:
        return fmt.format(values[0])
    v = sorted(values)
    return f"{fmt.format(v[0])} / {fmt.format(statistics.median(v))} / {fmt.format(v[-1])}"


def short(v):
    """3 significant digits, thousands as k: 27.9k, 1.47k, 0.35."""
    if abs(v) >= 1000:
        return f"{v / 1000:.3g}k"
    return f"{v:.3g}"


def ratio(a, b):
    if a is None or not b:
        return None
    return a / b


def times(x):
    return "–" if x is None else (f"{x:.1f}×" if x >= 1 else f"{x:.2f}×")


class Report:
    def __init__(self, records, images, image_prefix):
        self.r, self.images, self.prefix = records, images, image_prefix
        self.lines, self.goals = [], []
        self.steps = records.facts.get("steps", "a b c d e f g").split()

    def out(self, *lines):
        self.lines.extend(lines)

    def goal(self, step, text, figure, met, shown):
        self.goals.append((step, text, shown, None if figure is None else met))

    def chart(self, name, *panels, width=6.0):
        """One PNG of grouped bars (median high, min–max whiskers), one panel a dict: groups,
        series [(label, colour, [values per group])], title, ylabel; optionally log, unit,
        xlabel, hline, ylim, small_ticks."""
        if self.images is None:
            return
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
        fig, axes = plt.subplots(1, len(panels), figsize=(width, 3.2), squeeze=False)
        for ax, panel in zip(axes[0], panels):
            self.bars(plt, ax, panel["groups"], panel["series"], panel.get("log", False), panel.get("unit", ""))
            ax.set_title(panel["title"])
            ax.set_ylabel(panel["ylabel"])
            if "xlabel" in panel:
                ax.set_xlabel(panel["xlabel"])
            if "hline" in panel:
                ax.axhline(panel["hline"], color="black", lw=0.8, ls="--")
            if "ylim" in panel:
                ax.set_ylim(*panel["ylim"])
            if panel.get("small_ticks"):
                ax.tick_params(axis="x", labelsize=7)
        self.images.mkdir(parents=True, exist_ok=True)
        fig.savefig(self.images / f"bench-{name}.png", dpi=110, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        self.out("", f"![{name}]({self.prefix}bench-{name}.png)")

    def bars(self, plt, ax, groups, series, log, unit):
        width = 0.8 / max(1, len(series))
        for i, (label, colour, per_group) in enumerate(series):
            for j, values in enumerate(per_group):
                if not values:
                    continue
                med = statistics.median(values)
                x = j - 0.4 + width * (i + 0.5)
                ax.bar(x, med, width * 0.9, color=colour, label=label if j == next(
                    k for k, v in enumerate(per_group) if v) else None)
                ax.errorbar(x, med, yerr=[[med - min(values)], [max(values) - med]], color="black", capsize=2, lw=0.8)
                ax.annotate(f"{short(med)}{unit}", (x, med), textcoords="offset points", xytext=(0, 3), ha="center",
                            fontsize=7)
        ax.set_xticks(range(len(groups)), groups)
        if log:
            ax.set_yscale("log")
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: short(v)))
        ax.yaxis.set_minor_formatter(plt.NullFormatter())
        ax.legend(frameon=False, fontsize=8)

    # --- the steps -------------------------------------------------------------------------

    def step_a(self):
        r, f = self.r, self.r.facts
        self.out("", "### (a) HTTP submit", "",
                 f"`wrk -t1 -c32 -d{f.get('duration')} --latency`; requests/s min / median / max, latencies the median of the runs.",
                 "", "| system | endpoint | requests/s | p50 ms | p99 ms | non-2xx |", "|---|---|---|---:|---:|---:|")
        paths = {("offload", "submit"): "POST /v1/jobs", ("celery", "submit"): "POST /jobs → `noop.delay()`"}
        for system in ("offload", "celery"):
            for endpoint in ("healthz", "submit"):
                m = dict(step="a", system=system, endpoint=endpoint)
                if not r.values("rps", **m):
                    continue
                self.out(f"| {LABEL[system]} | {paths.get((system, endpoint), 'GET /healthz')} | {spread(r.values('rps', **m))} "
                         f"| {r.median('p50_ms', **m):.2f} | {r.median('p99_ms', **m):.2f} | {r.median('non2xx', **m):.0f} |")
        so, sc = r.median("rps", step="a", system="offload", endpoint="submit"), r.median("rps", step="a", system="celery", endpoint="submit")
        ho, hc = r.median("rps", step="a", system="offload", endpoint="healthz"), r.median("rps", step="a", system="celery", endpoint="healthz")
        p99 = r.median("p99_ms", step="a", system="offload", endpoint="submit")
        share, share_c = ratio(so, ho), ratio(sc, hc)
        self.out("", f"Submit, Offload / FastAPI + Celery: **{times(ratio(so, sc))}**. Submit as a share of the same server's "
                 f"`/healthz`: Offload {share or 0:.0%}, FastAPI + Celery {share_c or 0:.0%}. `/healthz`, Offload / FastAPI: {times(ratio(ho, hc))}.")
        self.goal("a", "submit ≥ 30× FastAPI + Celery", ratio(so, sc), (ratio(so, sc) or 0) >= 30, times(ratio(so, sc)))
        self.goal("a", "submit ≥ 50 % of own `/healthz`", share, (share or 0) >= 0.5, f"{share or 0:.0%}")
        self.goal("a", "submit p99 ≤ 5 ms", p99, (p99 or 99) <= 5, f"{p99 or 0:.2f} ms")
        self.headline_a = (so, ratio(so, sc), p99)

        self.chart("a-submit", dict(
            groups=["Offload", "FastAPI + Celery"], log=True, ylabel="requests/s (log)",
            title="(a) HTTP submit against the server's own /healthz", series=[
                (label, colour, [r.values("rps", step="a", system=s, endpoint=endpoint) for s in ("offload", "celery")])
                for label, colour, endpoint in (("GET /healthz", "#9bb7d4", "healthz"), ("submit", "#d9822b", "submit"))]))

    def step_b(self):
        r, f = self.r, self.r.facts
        n = int(f.get("n", 0))
        self.out("", "### (b) End to end, no-op jobs", "",
                 f"{n:,} jobs submitted in bulk, then 2 worker processes drain them; min / median / max. CPU per job: "
                 "the CPU time (user + system) Redis and the worker processes with their children spent while the "
                 "jobs drained (from when the watcher first saw jobs processed and the workers started), per job; "
                 "Redis is one thread, so its figure is what bounds the drain.", "",
                 "| system | submit jobs/s | processed jobs/s | Redis CPU µs per job | workers' CPU µs per job |",
                 "|---|---|---|---|---|")
        submit = lambda s: [n / x for x in r.values("seconds", step="b", system=s, what="submit")]
        drain = lambda s: r.values("rate", step="b", system=s, what="drain")
        cpu = lambda s, side: spread(r.values(f"{side}_cpu_us", step="b", system=s, what="drain"), "{:,.1f}")
        for system in ("offload", "celery", "sidekiq"):
            if drain(system):
                self.out(f"| {SHORT[system]} | {spread(submit(system))} | {spread(drain(system))} | "
                         f"{cpu(system, 'redis')} | {cpu(system, 'workers')} |")
        med = lambda v: statistics.median(v) if v else None
        po, pc, ps = med(drain("offload")), med(drain("celery")), med(drain("sidekiq"))
        self.out("", f"Processed, Offload / Celery: **{times(ratio(po, pc))}**; Offload / Sidekiq: **{times(ratio(po, ps))}**. "
                 f"Submit, Offload / Celery: {times(ratio(med(submit('offload')), med(submit('celery'))))}; "
                 f"Offload / Sidekiq: {times(ratio(med(submit('offload')), med(submit('sidekiq'))))}.")
        self.goal("b", "≥ 50,000 no-op jobs/s processed", po, (po or 0) >= 50_000, f"{po or 0:,.0f} jobs/s")
        self.goal("b", "processed ≥ 4× Sidekiq", ratio(po, ps), (ratio(po, ps) or 0) >= 4, times(ratio(po, ps)))
        self.headline_b = (po, ratio(po, pc), ratio(po, ps))

        self.chart("b-drain", dict(
            groups=["submit", "processed"], log=True, ylabel="jobs/s (log)",
            title=f"(b) {n:,} no-op jobs: bulk submit, then 2 worker processes drain",
            series=[(SHORT[s] if s != "celery" else "Celery", COLOUR[s], [submit(s), drain(s)]) for s in ("offload", "celery", "sidekiq")]))

    def step_c(self):
        r, f = self.r, self.r.facts
        jobs = int(f.get("cpu_jobs", 0))
        self.out("", "### (c) CPU efficiency", "",
                 f"{jobs} prime-count jobs on 2 worker processes (one job at a time each), each system's job size calibrated "
                 f"to about {f.get('target_ms')} ms in its own language; ideal = {jobs} × single-job time / 2.", "",
                 "| system | efficiency (ideal / wall) | primes below | single job ms | job ms, 2 at a time | wall ms | slots busy |",
                 "|---|---|---:|---:|---:|---:|---:|")
        for system in ("offload", "celery", "sidekiq"):
            m = dict(step="c", system=system)
            if not r.values("efficiency", **m):
                continue
            self.out(f"| {SHORT[system]} | {spread([100 * x for x in r.values('efficiency', **m)], '{:.1f} %')} "
                     f"| {r.median('below', **m):,.0f} | {r.median('single_ms', **m):.1f} | {r.median('parallel_job_ms', **m):.1f} "
                     f"| {r.median('wall_ms', **m):,.0f} | {100 * r.median('busy_share', **m):.1f} % |")
        eff = r.median("efficiency", step="c", system="offload")
        self.goal("c", "≥ 98 % of ideal on 2 processes", eff, (eff or 0) >= 0.98, f"{100 * (eff or 0):.1f} %")
        self.headline_c = eff

        systems = [s for s in ("offload", "celery", "sidekiq") if r.values("efficiency", step="c", system=s)]
        self.chart("c-cpu", dict(
            groups=[SHORT[s] for s in systems], unit=" %", hline=98, ylim=(0, 105), ylabel="% of ideal",
            title=f"(c) {jobs} CPU-bound jobs on 2 worker processes",
            series=[("efficiency", "#d9822b", [[100 * x for x in r.values("efficiency", step="c", system=s)] for s in systems])]))

    def step_d(self):
        r, f = self.r, self.r.facts
        self.out("", "### (d) Responsiveness under full CPU load", "",
                 f"`GET /healthz` at {f.get('pace_rate')} requests/s, {f.get('pace_idle_seconds')} s idle, then "
                 f"{f.get('pace_seconds')} s while the CPU is kept busy; latency in ms, min / median / max of each "
                 "percentile over the runs.", "",
                 "| setup | CPU load | idle p50 | idle p99 | loaded p50 | loaded p99 | loaded max | failures |",
                 "|---|---|---|---|---|---|---|---:|")
        load = {"offload": "2 worker processes at nice 10, job threads at idle priority, prime counts", "celery": "2 Celery worker processes at nice 10, prime counts",
                "fastapi-inline": "2 clients calling the inline prime count back to back"}
        setups = [s for s in ("offload", "celery", "fastapi-inline") if r.values("load.p99", step="d", system=s)]
        for system in setups:
            m = dict(step="d", system=system)
            v = lambda k: spread(r.values(k, **m), "{:.2f}")
            failures = sum(r.values("load.failures", **m)) + sum(r.values("idle.failures", **m))
            self.out(f"| {LABEL[system]} | {load[system]} | {v('idle.p50')} | {v('idle.p99')} | {v('load.p50')} "
                     f"| {v('load.p99')} | {v('load.max')} | {failures:.0f} |")
        left = r.values("left_at_end", step="d")
        if left and min(left) <= 0:
            self.out("", "**Warning:** in some run the queue ran dry before the paced phase ended.")
        p99 = r.median("load.p99", step="d", system="offload")
        self.goal("d", "`/healthz` p99 ≤ 2 ms under full CPU load", p99, (p99 or 99) <= 2, f"{p99 or 0:.2f} ms")
        self.headline_d = p99

        self.chart("d-healthz", dict(
            groups=[SHORT[s] for s in setups], log=True, ylabel="ms (log)",
            title=f"(d) GET /healthz at {f.get('pace_rate')}/s while the CPU is busy", series=[
                (name, colour, [r.values(key, step="d", system=s) for s in setups])
                for name, colour, key in (("idle p99", "#9bb7d4", "idle.p99"), ("loaded p50", "#f0c08a", "load.p50"),
                                          ("loaded p99", "#d9822b", "load.p99"), ("loaded max", "#8c4a12", "load.max"))]),
            width=6.5)

    def step_e(self):
        r, f = self.r, self.r.facts
        self.out("", "### (e) Pickup latency", "",
                 f"Submit → handler start on an idle system, {int(f.get('pickup_jobs', 0)):,} jobs one at a time; ms, "
                 "min / median / max of each percentile over the runs.", "",
                 "| system | submitted through | p50 | p90 | p99 | max |", "|---|---|---|---|---|---|")
        through = {"offload": "`POST /v1/jobs`", "celery": "FastAPI `POST /jobs` → `delay()`", "sidekiq": "`Sidekiq::Client` (no HTTP)"}
        ms = lambda key, s: [x / 1000 for x in r.values(key, step="e", system=s)]
        systems = [s for s in ("offload", "celery", "sidekiq") if r.values("p50", step="e", system=s)]
        for system in systems:
            self.out(f"| {SHORT[system]} | {through[system]} | " + " | ".join(spread(ms(k, system), "{:.2f}") for k in ("p50", "p90", "p99", "max")) + " |")
        p50, p99 = r.median("p50", step="e", system="offload"), r.median("p99", step="e", system="offload")
        self.goal("e", "pickup p50 ≤ 1 ms", p50, (p50 or 1e9) <= 1000, f"{(p50 or 0) / 1000:.2f} ms")
        self.goal("e", "pickup p99 ≤ 5 ms", p99, (p99 or 1e9) <= 5000, f"{(p99 or 0) / 1000:.2f} ms")
        self.headline_e = (p50, p99)

        self.chart("e-pickup", dict(
            groups=[SHORT[s] for s in systems], log=True, ylabel="ms (log)", title="(e) submit → handler start, idle system",
            series=[(k, c, [ms(k, s) for s in systems]) for k, c in (("p50", "#f0c08a"), ("p99", "#d9822b"))]))

    def step_f(self):
        r, f = self.r, self.r.facts
        mib = lambda what, s: [x / MiB for x in r.values("bytes", step="f", system=s, what=what)]
        self.out("", "### (f) Memory", "",
                 "Resident memory (RSS, MiB; workers summed over the processes and their children): API idle and at its peak "
                 "under (a)'s submit load; workers idle (after (e)) and at their peak while draining (b). Min / median / max.", "",
                 "| system | API idle | API under submit load | workers idle | workers draining |", "|---|---|---|---|---|")
        for system in ("offload", "celery", "sidekiq"):
            cells = [spread(mib(w, system), "{:.1f}") for w in ("api-idle", "api-load", "workers-idle", "workers-load")]
            if any(c != "–" for c in cells):
                if system == "sidekiq":
                    cells[:2] = ["no API", "no API"]
                self.out(f"| {SHORT[system]} | " + " | ".join(cells) + " |")
        payload = int(f.get("payload_bytes", 100))
        self.out("", f"Redis `used_memory` per pending job, {int(f.get('memory_jobs', 0)):,} jobs each with a {payload}-byte JSON "
                 "argument, no worker running; overhead = bytes per job − the payload. Redis runs with "
                 "`hash-max-listpack-value 256` as Offload starts it; Offload is also shown on Redis's defaults.", "",
                 "| system | bytes per job | overhead per job |", "|---|---:|---:|")
        rows = [("offload", "redis", "Offload"), ("offload", "redis-defaults", "Offload, Redis defaults"),
                ("celery", "redis", "Celery"), ("sidekiq", "redis", "Sidekiq")]
        for system, what, label in rows:
            m = dict(step="f", system=system, what=what)
            if r.values("bytes_per_job", **m):
                self.out(f"| {label} | {spread(r.values('bytes_per_job', **m))} | {spread(r.values('overhead_per_job', **m))} |")
        api = r.median("bytes", step="f", system="offload", what="api-load")
        overhead = r.median("overhead_per_job", step="f", system="offload", what="redis")
        self.goal("f", "API RSS ≤ 40 MiB under load", api, (api or 1e18) <= 40 * MiB, f"{(api or 0) / MiB:.1f} MiB")
        self.goal("f", "Redis overhead ≤ 300 B per pending job", overhead, (overhead or 1e9) <= 300, f"{overhead or 0:.0f} B")

        shown = [(label, r.values("bytes_per_job", step="f", system=s, what=w)) for s, w, label in rows]
        shown = [x for x in shown if x[1]]
        self.chart("f-memory", dict(
            groups=["API\nidle", "API\nloaded", "workers\nidle", "workers\nloaded"], ylabel="RSS, MiB", title="(f) resident memory",
            series=[(SHORT[s], COLOUR[s], [mib(w, s) for w in ("api-idle", "api-load", "workers-idle", "workers-load")])
                    for s in ("offload", "celery", "sidekiq")]), dict(
            groups=[x[0].replace(", ", "\n") for x in shown], ylabel="bytes", small_ticks=True,
            title=f"Redis bytes per pending job ({payload}-byte payload)",
            series=[("bytes per job", "#d9822b", [x[1] for x in shown])]), width=10)

    def step_g(self):
        r, f = self.r, self.r.facts
        levels = [int(x) for x in f.get("scale_pending", "").split()]
        self.out("", "### (g) Scale: Offload with jobs pending", "",
                 f"The wall time of `offload stats` (median of 5), then `wrk` on `POST /v1/jobs` for {f.get('scale_duration')}, "
                 "with the default queue filled up to each level (no worker running; the jobs an earlier wrk added count); "
                 "min / median / max.", "",
                 "| level | pending when measured | submit requests/s | submit p99 ms | `offload stats` ms |",
                 "|---:|---|---|---|---|")
        for level in levels:
            m = dict(step="g", level=level)
            self.out(f"| {level:,} | {spread(r.values('pending', what='stats', **m))} | {spread(r.values('rps', what='submit', **m))} | {spread(r.values('p99_ms', what='submit', **m), '{:.2f}')} "
                     f"| {spread(r.values('ms', what='stats', **m), '{:.1f}')} |")
        if len(levels) >= 2:
            first, last = levels[0], levels[-1]
            rate = ratio(r.median("rps", step="g", what="submit", level=last), r.median("rps", step="g", what="submit", level=first))
            stats = ratio(r.median("ms", step="g", what="stats", level=last), r.median("ms", step="g", what="stats", level=first))
            flat = rate is not None and stats is not None and abs(rate - 1) <= 0.2 and abs(stats - 1) <= 0.2
            self.goal("g", f"flat within 20 % from {first:,} to {last:,} pending", rate, flat,
                      f"submit {rate or 0:.0%}, `offload stats` time {stats or 0:.0%} of the {first:,} figure")

            labels = [f"{x:,}" for x in levels]
            self.chart("g-scale", dict(
                groups=labels, xlabel="pending jobs", ylabel="requests/s", title="(g) submit rate",
                series=[("submit", "#d9822b", [r.values("rps", step="g", what="submit", level=x) for x in levels])]), dict(
                groups=labels, xlabel="pending jobs", ylabel="ms", unit=" ms", title="offload stats wall time",
                series=[("offload stats", "#9bb7d4", [r.values("ms", step="g", what="stats", level=x) for x in levels])]), width=9)

    # --- the whole section ---------------------------------------------------------------------

    def render(self):
        f, e = self.r.facts, self.r.end
        body_start = len(self.lines)
        for step in "abcdefg":
            if step in self.steps:
                getattr(self, f"step_{step}")()
        body = self.lines[body_start:]
        self.lines = self.lines[:body_start]
        quick = f.get("quick") == "1"
        packages = f.get("python_packages", {})
        self.out("<!-- Written by `make bench` (scripts/bench/report.py): edit the text outside the markers. -->", "")
        if quick:
            self.out("> **QUICK run** (`QUICK=1`): sizes cut down to check that the benchmark works end to end. "
                     "These figures are not comparable with a full run.", "")
        self.out(f"Run of {f.get('date')}, commit {f.get('commit')}: steps {' '.join(self.steps)}, {f.get('runs')} run(s), "
                 f"{int(float(e.get('seconds', 0))) // 60} min {int(float(e.get('seconds', 0))) % 60} s.", "",
                 f"- Machine: {f.get('nproc')} cores ({f.get('cpu')}), {f.get('memory_gib')} GiB, Linux {f.get('kernel')}; "
                 f"load average (1 min) {f.get('loadavg', 0):.2f} at the start, {e.get('loadavg', 0):.2f} at the end. "
                 "Everything shares these cores: servers, workers, Redis and the measuring clients.",
                 f"- Offload: {f.get('swift')}, release build. Redis {f.get('redis')}; wrk {f.get('wrk')}.",
                 f"- Python {f.get('python')}: " + ", ".join(f"{k} {v}" for k, v in packages.items()) + ".",
                 f"- Ruby {f.get('ruby')}: sidekiq {f.get('sidekiq')}, redis-rb {f.get('redis_rb')}.")
        self.out("", "**Headline:** " + self.headline(), "", "### Goals", "",
                 "Offload's figures (medians over the runs) against its goals.", "",
                 "| step | goal | figure | |", "|---|---|---|---|")
        for step, text, shown, met in self.goals:
            verdict = "not measured" if met is None else ("met" if met else "**missed**")
            self.out(f"| ({step}) | {text} | {shown if met is not None else '–'} | {verdict} |")
        self.lines += body
        return "\n".join(self.lines) + "\n"

    def headline(self):
        parts, f = [], self.r.facts
        if hasattr(self, "headline_a"):
            so, x, p99 = self.headline_a
            parts.append(f"{so or 0:,.0f} submits/s over HTTP ({times(x)} FastAPI + Celery, p99 {p99 or 0:.1f} ms)")
        if hasattr(self, "headline_b"):
            po, xc, xs = self.headline_b
            parts.append(f"{po or 0:,.0f} no-op jobs/s drained by 2 processes ({times(xc)} Celery, {times(xs)} Sidekiq)")
        if getattr(self, "headline_c", None) is not None:
            parts.append(f"{100 * self.headline_c:.0f} % of ideal CPU use")
        if getattr(self, "headline_d", None) is not None:
            parts.append(f"`/healthz` p99 {self.headline_d:.2f} ms under full CPU load")
        if hasattr(self, "headline_e"):
            p50, p99 = self.headline_e
            parts.append(f"pickup p50 {(p50 or 0) / 1000:.2f} ms, p99 {(p99 or 0) / 1000:.2f} ms")
        measured = [g for g in self.goals if g[3] is not None]
        met = sum(1 for g in measured if g[3])
        quick = " (QUICK run)" if f.get("quick") == "1" else ""
        return (f"Offload on {f.get('nproc')} shared cores{quick}: " + "; ".join(parts)
                + f"; {met} of {len(measured)} goals met.")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("raw")
    parser.add_argument("--doc", help="the Markdown file whose bench markers get the section")
    args = parser.parse_args()
    records = Records(args.raw)
    doc = Path(args.doc) if args.doc else None
    report = Report(records, doc.parent / "images" if doc else None, "images/")
    section = report.render()
    print(section)
    if doc:
        text = doc.read_text()
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
        if not pattern.search(text):
            sys.exit(f"{doc}: no {BEGIN} … {END} markers")
        doc.write_text(pattern.sub(lambda _: f"{BEGIN}\n{section}{END}", text, count=1))
        print(f"written: {doc} and its images/bench-*.png", file=sys.stderr)
    print("headline: " + report.headline())


if __name__ == "__main__":
    main()
