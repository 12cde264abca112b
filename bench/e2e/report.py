"""The benchmark's report: PNG plots (matplotlib, bench dependency group) and one HTML page
that carries them inline, next to the figures of latest.json."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.e2e.stats import STAGES, Sample, lag, rates_over_time

SMOOTHING_S = 2.0
STAGE_COLOURS = {"classify": "tab:blue", "routing": "tab:orange", "publish": "tab:green", "peer": "tab:purple"}


def _pyplot():  # noqa: ANN202 - imported late: plotting is the last step and matplotlib is slow to import
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


PHASES = (("throughput", "throughput done", "flat out", "tab:blue"),
          ("latency", "latency done", "fixed load", "tab:orange"))


def _marks(ax, marks: Mapping[str, float]) -> None:  # noqa: ANN001
    """Shade the two phases; a dotted line where the fixed-load offer ended (then it drains)."""
    for start, end, label, colour in PHASES:
        if start in marks and end in marks:
            ax.axvspan(marks[start], marks[end], color=colour, alpha=0.06)
            ax.annotate(label, (marks[start], 1), xycoords=("data", "axes fraction"), xytext=(3, -12),
                        textcoords="offset points", fontsize=8, color="grey")
    if "latency offered" in marks:
        ax.axvline(marks["latency offered"], color="grey", linestyle=":", linewidth=1)
        ax.annotate("offer ends", (marks["latency offered"], 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -24), textcoords="offset points", fontsize=8, color="grey")


def plot_throughput(path: Path, series: Mapping[str, Sequence[Sample]], marks: Mapping[str, float]) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 5))
    # publish commits its offsets after the transaction that wrote the rows: its curve is the rows'.
    curves = {stage: (f"{stage} committed offsets" + (" (= queue rows written)" if stage == "publish" else ""),
                      series.get(f"committed:{stage}", [])) for stage in STAGES}
    for key, (label, samples) in curves.items():
        points = rates_over_time(samples, window_s=SMOOTHING_S)
        if points:
            ax.plot([t for t, _ in points], [r for _, r in points], label=label, color=STAGE_COLOURS[key],
                    linewidth=2 if key == "publish" else 1)
    _marks(ax, marks)
    ax.set_xlabel("seconds since the throughput phase was armed")
    ax.set_ylabel("mentions / s")
    ax.set_title(f"Throughput over time (end-to-end run, {SMOOTHING_S:.0f} s windows)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4, fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_latency(path: Path, latencies_ms: Sequence[float], percentiles: Mapping[str, float], offered: float) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 5))
    if latencies_ms:
        ordered = sorted(latencies_ms)
        upper = ordered[min(len(ordered) - 1, int(len(ordered) * 0.999))]
        ax.hist([v for v in latencies_ms if v <= upper], bins=80, color="tab:blue", alpha=0.8)
        for name, value in percentiles.items():
            ax.axvline(value, color="tab:red", linestyle="--", linewidth=1)
            ax.annotate(f"{name} {value:.0f} ms", (value, 0.95), xycoords=("data", "axes fraction"), rotation=90,
                        va="top", ha="right", fontsize=8, color="tab:red")
    ax.set_xlabel("ingest receipt → queue row (ms), up to p99.9")
    ax.set_ylabel("mentions")
    ax.set_title(f"Latency at {offered:,.0f} mentions/s offered ({len(latencies_ms):,} mentions)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_lag(path: Path, series: Mapping[str, Sequence[Sample]], marks: Mapping[str, float]) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 5))
    inputs = {"classify": "mentions.raw", "routing": "mentions.classified", "publish": "mentions.routed"}
    for stage, topic in inputs.items():
        points = lag(series.get(f"end:{topic}", []), series.get(f"committed:{stage}", []))
        if points:
            ax.plot([t for t, _ in points], [v for _, v in points], label=f"{stage} (on {topic})",
                    color=STAGE_COLOURS[stage])
    _marks(ax, marks)
    ax.set_xlabel("seconds since the throughput phase was armed")
    ax.set_ylabel("records not yet committed")
    ax.set_title("Consumer lag per stage (end offset − committed offset)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4, fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_stages(path: Path, result: Mapping[str, Any]) -> None:
    plt = _pyplot()
    bars = {f"{s} alone": result["stage_throughput_per_s"].get(s) for s in STAGES}
    bars["end-to-end"] = result["e2e_throughput_per_s"]
    bars["kafka ceiling"] = result["kafka_ceiling_per_s"]
    names = [n for n, v in bars.items() if v]
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.barh(names, [bars[n] for n in names], color="tab:blue")
    for i, name in enumerate(names):
        ax.annotate(f"{bars[name]:,.0f}/s", (bars[name], i), va="center", fontsize=8, xytext=(3, 0),
                    textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("mentions / s (log scale)")
    ax.set_title("Throughput: each stage alone, the whole pipeline, the broker")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def peer_pairs(result: Mapping[str, Any]) -> list[tuple[str, float | None, float | None, float | None]]:
    """(what, ours, the peer's, ours / peer) for each stage alone and the pipeline end to end."""
    peer = result["peer"]
    pairs = [(f"{stage} alone", result["stage_throughput_per_s"].get(stage),
              peer["stage_throughput_per_s"].get(stage), peer["stage_ratio"].get(stage)) for stage in STAGES]
    pairs.append(("pipeline end to end", result["e2e_throughput_per_s"], peer["pipeline_throughput_per_s"],
                  peer["pipeline_ratio"]))
    return pairs


def plot_peer(path: Path, result: Mapping[str, Any]) -> None:
    """Ours next to the peer's, stage by stage and end to end, each pair labelled with ours / peer."""
    plt = _pyplot()
    pairs = peer_pairs(result)
    fig, ax = plt.subplots(figsize=(10, 4))
    height = 0.38
    for i, (_, ours, theirs, _ratio) in enumerate(pairs):
        for offset, value, colour, label in ((-height / 2, ours, "tab:blue", "mentionflow"),
                                             (height / 2, theirs, "tab:purple", f"peer ({result['peer']['name']})")):
            if value:
                ax.barh(i + offset, value, height=height, color=colour, label=label if i == 0 else None)
                ax.annotate(f"{value:,.0f}/s", (value, i + offset), va="center", fontsize=8, xytext=(3, 0),
                            textcoords="offset points")
    labels = [f"{what}\nours / peer {ratio_:.2f}" if ratio_ else f"{what}\n(no peer figure)"
              for what, _, _, ratio_ in pairs]
    ax.set_yticks(range(len(pairs)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("mentions / s")
    ax.set_title("mentionflow and its Quix Streams peer: each stage alone, the pipeline end to end")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def _cpu_section(out_dir: Path, result: Mapping[str, Any], details: Mapping[str, Any]) -> str:
    """CPU-µs per mention of each process, then each service's flame graph (py-spy's own SVG,
    linked, not inlined: it is interactive) with its hottest frames."""
    cpu = result.get("cpu_us_per_mention") or {}
    rows = "".join(f"<tr><td>{html.escape(part)}</td><td style=text-align:right>{value:,.1f}</td></tr>"
                   for part, value in cpu.items())
    graphs = []
    for stage, profile in details.get("summary", {}).get("profiles", {}).items():
        svg = out_dir / "profiles" / f"{stage}.svg"
        hot = "\n".join(profile.get("inclusive", [])[:8])
        link = (f'<a href="{svg.relative_to(out_dir)}"><img alt="{stage} flame graph" '
                f'src="{svg.relative_to(out_dir)}"></a>' if svg.exists() else "<p>(no flame graph)</p>")
        graphs.append(f"<h3>{html.escape(stage)}</h3>{link}<pre>{html.escape(hot)}</pre>")
    return (f"<h2>CPU-µs per mention (throughput phase)</h2><table>{rows}</table>"
            f"<h2>Flame graphs (py-spy, the three services together, unmeasured run)</h2>{''.join(graphs)}")


def write_report(out_dir: Path, result: Mapping[str, Any], details: Mapping[str, Any], *,
                 series: Mapping[str, Sequence[Sample]], marks: Mapping[str, float],
                 latencies_ms: Sequence[float]) -> Path:
    """Writes throughput.png, latency.png, lag.png, stages.png, peer.png and report.html; returns the page."""
    pngs = [out_dir / name for name in ("throughput.png", "latency.png", "lag.png", "stages.png", "peer.png")]
    plot_throughput(pngs[0], series, marks)
    plot_latency(pngs[1], latencies_ms, result["latency_ms"], result["offered_load_per_s"])
    plot_lag(pngs[2], series, marks)
    plot_stages(pngs[3], result)
    plot_peer(pngs[4], result)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in details.get("notes", []))
    cpu = _cpu_section(out_dir, result, details)
    problems = "".join(f"<li>{html.escape(p)}</li>" for p in details.get("problems", []))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mentionflow benchmark</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
pre{{background:#f4f4f4;padding:1em;overflow:auto}} img{{max-width:100%;margin:1em 0}}</style></head>
<body><h1>mentionflow end-to-end benchmark</h1>
<p>git {html.escape(str(result["git_sha"]))} · {result["machine"]["cores"]} cores, {result["machine"]["memory_gb"]} GB ·
load average at start {html.escape(str(details.get("load_average", {}).get("start")))},
at end {html.escape(str(details.get("load_average", {}).get("end")))}</p>
<h2>latest.json</h2><pre>{html.escape(json.dumps(result, indent=2))}</pre>
{"<h2>Problems</h2><ul>" + problems + "</ul>" if problems else ""}
<h2>Plots</h2>{"".join(_img(p) for p in pngs)}
{cpu}
<h2>How it was measured</h2><ul>{notes}</ul>
<h2>Run details</h2><pre>{html.escape(json.dumps(details.get("summary", {}), indent=2))}</pre>
</body></html>
"""
    path = out_dir / "report.html"
    path.write_text(page)
    return path
