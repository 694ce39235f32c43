"""Plots for report.html, drawn with matplotlib's Agg canvas and embedded as base64 PNG
(so report.html stays one offline file). No pyplot: no global figure state, no GUI backend."""
import base64
import io

BAR = "#1f77b4"      # matplotlib's default blue; the browser test looks for it in the screenshot
# Pass-rate bars coloured by value, in the bands of analysis.rate_class (>= 80%, >= 50%, below).
RATE_COLOURS = {"rate-high": "#2ca02c", "rate-mid": "#ff7f0e", "rate-low": "#d62728"}


def _png(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    # No "Software" metadata: the same numbers give the same bytes across matplotlib versions.
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram(values, points, title):
    """A histogram of points earned (0..``points``) as a base64 PNG."""
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.4, 2.3))
    ax = fig.add_subplot()
    bins = np.linspace(0, points, 22 if points > 20 else 11)
    ax.hist(np.clip(values, 0, points), bins=bins, color=BAR, edgecolor="white")
    ax.set_xlim(0, points)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("points", fontsize=9)
    ax.set_ylabel("students", fontsize=9)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    return _png(fig)


def pass_rates(items, title):
    """A horizontal bar chart of each test's pass rate (``analysis.ItemStats``) as base64 PNG."""
    from matplotlib.figure import Figure

    from .analysis import rate_class

    labels = [f"{i.number} {i.function}".strip() for i in items]
    rates = [100 * i.pass_rate for i in items]
    fig = Figure(figsize=(6.0, 0.28 * len(items) + 1.0))
    ax = fig.add_subplot()
    ax.barh(range(len(items)), rates, color=[RATE_COLOURS[rate_class(i.pass_rate)] for i in items])
    ax.set_yticks(range(len(items)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of students passing", fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    return _png(fig)
