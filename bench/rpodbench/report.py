"""The Markdown table and the JSON document of one benchmark run."""

import json
import os


def _fmt(value: float, unit: str) -> str:
    if unit in ("KiB", "MB/s") or value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(stats: dict, unit: str) -> str:
    if not stats:
        return "—"
    return (f"{_fmt(stats['median'], unit)} "
            f"({_fmt(stats['min'], unit)}–{_fmt(stats['max'], unit)})")


def _ratio(value) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _verdict(met) -> str:
    return {True: "met", False: "**missed**", None: ""}[met]


def markdown(meta: dict, results: list, failures: list) -> str:
    lines = [f"# rpod vs Podman — {meta['date']}", ""]
    lines.append("Medians of alternating runs, (min–max) in parentheses; ratios are of the "
                 "medians. Lower is better except throughput. `floor` is the same work "
                 "without an engine: bare `runc run` of the same bundle (on a plain "
                 "directory, or on a fresh overlay mount for the overlay row), `runc exec`, "
                 "or the pull floor program (fetch, verify, decompress, extract).")
    lines.append("")
    if meta.get("load average before / after"):
        lines.append(f"Load average before / after: {meta['load average before / after']}.")
        lines.append("")
    lines.append("| workload | unit | rpod | podman | floor | rpod/podman | rpod/floor | goal | |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        sums = r.summaries()
        lines.append("| " + " | ".join([
            r.title, r.unit, _cell(sums.get("rpod"), r.unit), _cell(sums.get("podman"), r.unit),
            _cell(sums.get("floor"), r.unit), _ratio(r.ratio("podman")),
            _ratio(r.ratio("floor")), r.goal or "", _verdict(r.goal_met()),
        ]) + " |")
    notes = [f"- {r.title.strip()}: {r.note}" for r in results if r.note]
    if notes:
        lines += ["", "Notes:", *notes]
    if failures:
        lines += ["", f"Failed commands ({len(failures)}, each retried; not in the samples):",
                  *[f"- {f}" for f in failures]]
    lines += ["", "## Setup", ""]
    for key, value in meta.items():
        if key == "settings":
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        lines.append(f"- {key}: {value}")
    return "\n".join(lines) + "\n"


def write(results_dir: str, stem: str, meta: dict, results: list, failures: list) -> tuple:
    """Writes <stem>.md and <stem>.json (atomically) into results_dir; returns
    (markdown text, md path, json path)."""
    os.makedirs(results_dir, exist_ok=True)
    text = markdown(meta, results, failures)
    md_path = os.path.join(results_dir, stem + ".md")
    json_path = os.path.join(results_dir, stem + ".json")
    doc = {"meta": meta, "results": [r.as_dict() for r in results], "failures": failures}
    for path, content in ((json_path, json.dumps(doc, indent=2) + "\n"), (md_path, text)):
        with open(path + ".tmp", "w") as f:
            f.write(content)
        os.replace(path + ".tmp", path)
    return text, md_path, json_path
