"""Labels, colours, markers and line styles shared by every table and figure.

Each method's label and style are in `auxbench.methods`; a method outside it (a run folder from
elsewhere) gets a fallback colour. Settings change the marker fill: full BPTT is filled, truncated
settings are hollow.
"""

from __future__ import annotations

import re

import matplotlib

from auxbench.losses import SUFFIXED
from auxbench.methods import METHODS, NAMES

from .options import PAPER_TRUNCATION

matplotlib.use("Agg")  # before pyplot is imported anywhere in the analysis package

FALLBACK_COLORS: tuple[str, ...] = ("#56B4E9", "#D55E00", "#F0E442", "#999999")

_TRUNC = re.compile(r"^t(\d+)$")
_ANCHORS = re.compile(r"^n(\d+)l(\d+)$")


def method_label(method: str) -> str:
    return METHODS[method].label if method in METHODS else method


def method_rank(method: str) -> int:
    return NAMES.index(method) if method in NAMES else len(NAMES)


def truncation(setting: str) -> int | None:
    """K of a `tK` setting, else None."""
    m = _TRUNC.match(str(setting))
    return int(m.group(1)) if m else None


def setting_name(setting: str) -> str:
    """'full' -> 'Full BP', 't300' -> 'Truncate 300'; named settings are made readable; a
    loss's suffix (`_pwin`: p-LSTM's gradient through the predicted window) is spelled out."""
    for loss in SUFFIXED:
        base = str(setting).removesuffix(loss.setting_suffix)
        if base != setting:
            return f"{setting_name(base)}, {loss.suffix_label}"
    if setting == "full":
        return "Full BP"
    k = truncation(setting)
    if k is not None:
        return f"Truncate {k}"
    m = _ANCHORS.match(str(setting))
    if m:
        return f"n={m.group(1)}, l={m.group(2)}"
    return str(setting).replace("_", " ")


def anchors(setting: str) -> tuple[int, int] | None:
    """(n, l) of a Table 6 setting such as `n2l300`, else None."""
    m = _ANCHORS.match(str(setting))
    return (int(m.group(1)), int(m.group(2))) if m else None


def setting_rank(setting: str) -> tuple[int, int, str]:
    """Full BP first, then truncations from long to short, then named settings alphabetically;
    a loss's suffixed variant (`_pwin`) right after its setting."""
    for loss in SUFFIXED:
        base = str(setting).removesuffix(loss.setting_suffix)
        if base != setting:
            return (*setting_rank(base)[:2], f"~{setting}")
    if setting == "full":
        return (0, 0, "")
    k = truncation(setting)
    if k is not None:
        return (1, -k, "")
    a = anchors(setting)
    if a is not None:
        return (2, a[0], "")
    if setting in ("full_method", "full_model", "reference"):
        return (3, 0, "")
    return (4, 0, str(setting))


DATASET_NAMES: dict[str, str] = {
    "mnist": "MNIST", "pmnist": "pMNIST", "cifar10": "CIFAR-10", "dbpedia": "DBpedia",
    "stanford_dogs": "StanfordDogs",
}
PAPER_DATASET_ORDER = ("mnist", "pmnist", "cifar10", "dbpedia", "stanford_dogs")


def dataset_name(key: str | None, paper_dataset: str | None = None) -> str:
    """Display name: the paper's name for the paper's dataset ('MNIST'); for any other key the
    paper's name with the key beside it ('MNIST (embedded_mnist)'), so a stand-in is never
    mistaken for the real thing."""
    if key in DATASET_NAMES:
        return DATASET_NAMES[key]
    if paper_dataset in DATASET_NAMES:
        return f"{DATASET_NAMES[paper_dataset]} ({key})" if key else DATASET_NAMES[paper_dataset]
    return str(key)


def cell_label(method: str, setting: str) -> str:
    if method in METHODS and not METHODS[method].truncatable and setting == "full":
        return method_label(method)  # its only setting: nothing to tell apart
    return f"{method_label(method)} {setting_name(setting)}"


def played_text(text: str, truncated_setting: str) -> str:
    """A text written with the paper's Truncate 300 as this run set plays it, so that no label
    names a truncation that was not run: 'r-LSTM Truncate 300 beats LSTM Truncate 300' at t20
    reads 'r-LSTM Truncate 20 beats LSTM Truncate 20 (the paper's Truncate 300)'."""
    paper, ours = setting_name(PAPER_TRUNCATION), setting_name(truncated_setting)
    if ours == paper or paper not in text:
        return text
    head, _, tail = text.rpartition(paper)
    return f"{head.replace(paper, ours)}{ours} (the paper's {paper}){tail}"


def split_series(series: str) -> tuple[str, str | None]:
    """'full [torch-default]' -> ('full', 'torch-default'); 't300' -> ('t300', None)."""
    m = re.fullmatch(r"(.*?) \[(.*)\]", str(series))
    return (m.group(1), m.group(2)) if m else (str(series), None)


def series_label(method: str, series: str) -> str:
    """Label of a benchmark series: the cell label, plus the backend when several were run."""
    setting, backend = split_series(series)
    return cell_label(method, setting) + (f" [{backend}]" if backend else "")


def color(method: str) -> str:
    if method in METHODS:
        return METHODS[method].color
    return FALLBACK_COLORS[sum(map(ord, method)) % len(FALLBACK_COLORS)]


def marker(method: str) -> str:
    return METHODS[method].marker if method in METHODS else "X"


def linestyle(method: str) -> object:
    return METHODS[method].linestyle if method in METHODS else "-"


def line_kwargs(method: str, setting: str = "full") -> dict:
    """Keyword arguments for `Axes.plot`/`errorbar`: colour, marker, line style, marker fill."""
    c = color(method)
    filled = setting == "full" or truncation(setting) is None
    return {
        "color": c,
        "marker": marker(method),
        "linestyle": linestyle(method),
        "markerfacecolor": c if filled else "white",
        "markeredgecolor": c,
        "markersize": 6,
        "linewidth": 1.5,
    }


RC_PARAMS: dict[str, object] = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,
    "svg.hashsalt": "auxbench",
}


def row_dataset_name(row) -> str:
    """Display name of a table row with `dataset` (key, or missing) and `paper_dataset`."""
    key = row["dataset"] if isinstance(row["dataset"], str) and row["dataset"] else None
    pdn = row["paper_dataset"] if isinstance(row["paper_dataset"], str) else None
    return dataset_name(key, pdn) if key else dataset_name(pdn)
