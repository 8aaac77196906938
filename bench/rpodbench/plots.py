"""Charts beside the Markdown and JSON (matplotlib, Debian's python3-matplotlib):
bars of the ratios for `make bench`, lines of the scale curves for `make bench-scale`."""

import math
import os

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

COLORS = {"rpod": "#1f77b4", "podman": "#d62728", "floor": "#7f7f7f"}


def ratio_bars(results: list, path: str, title: str) -> str:
    """One horizontal bar per row with a ratio: rpod/podman and rpod/floor, a line at
    1× and a tick at each row's goal. Returns the path written."""
    rows = [r for r in results if r.ratio("podman") is not None or r.ratio("floor") is not None]
    fig, ax = plt.subplots(figsize=(9, 0.42 * max(len(rows), 1) + 1.4))
    labels = [r.title.strip() for r in rows]
    y = range(len(rows))
    for offset, other, label in ((-0.2, "podman", "rpod / Podman"),
                                 (0.2, "floor", "rpod / floor")):
        vals = [r.ratio(other) or 0.0 for r in rows]
        bars = ax.barh([i + offset for i in y], vals, height=0.4, label=label,
                       color=COLORS[other])
        for bar, v in zip(bars, vals):
            if v:
                ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v:.2f}×",
                        va="center", fontsize=7)
    for i, r in enumerate(rows):
        for goal, offset in ((r.max_vs_podman, -0.2), (r.max_vs_floor, 0.2)):
            if goal is not None:
                ax.plot([goal, goal], [i + offset - 0.2, i + offset + 0.2], color="black",
                        linewidth=2)
    ax.axvline(1.0, color="black", linewidth=0.6, linestyle=":")
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("ratio of medians (black ticks: goals; < 1 is rpod faster, "
                  "except throughput)")
    ax.set_title(title, fontsize=9, wrap=True)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def scale_curves(curves: list, path: str, title: str) -> str:
    """One panel per metric: value against N (log-log) for each tool, with the
    fitted exponent in the legend. `curves`: dicts with `title`, `unit` and
    `series` {tool: [(n, value)]}, `exponent` {tool: b}."""
    cols = 3
    rows = max(1, math.ceil(len(curves) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, curve in zip([a for row in axes for a in row], curves):
        for tool, points in curve["series"].items():
            if not points:
                continue
            xs, ys = zip(*points)
            b = curve["exponent"].get(tool)
            label = tool if b is None else f"{tool} (∝ N^{b:.2f})"
            ax.plot(xs, ys, marker="o", color=COLORS.get(tool), label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(curve["title"], fontsize=9)
        ax.set_xlabel("N containers", fontsize=8)
        ax.set_ylabel(curve["unit"], fontsize=8)
        ax.legend(fontsize=7)
        ax.grid(True, which="both", linewidth=0.3)
    for ax in [a for row in axes for a in row][len(curves):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def chart_path(results_dir: str, stem: str) -> str:
    os.makedirs(results_dir, exist_ok=True)
    return os.path.join(results_dir, stem + ".png")
