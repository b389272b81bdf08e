"""The paper's experiments: their titles, kinds, outputs, and what their analysis compares.

The workflow config's `experiments` use these names. The analysis, the tables, the figures, the
report and the workflow's declared outputs read this catalogue, so an experiment is described
once. Another name in a config is planned and trained like any and gets a generic table.
Importable without matplotlib or pandas: the Snakefile declares the outputs from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from auxbench.losses import MAIN
from auxbench.methods import prefix, variant
from auxbench.rnn_cells import CELLS, PAPER

CELL_LABELS = ", ".join(cell.label for cell in CELLS.values())  # "LSTM, GRU, LRU"


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str                  # the one wording, in the report, the tables and the figures
    kind: str = "train"         # train: one job per run; bench: the resource benchmark
    table: str | None = None    # the table it writes
    figure: str | None = None   # the figure it draws
    compares: str | None = None  # besides the best cell per column (tables' bold):
    #                               "pairs": every pair of cells of a dataset, Holm per table;
    #                               "reference": every cell against REFERENCE_SETTINGS;
    #                               "methods": each of `method_pairs` at each setting, Holm
    #                               across all
    method_pairs: tuple[tuple[str, str], ...] = ()
    curves: bool = False        # its training curves are summarised per epoch
    paper_values: bool = False  # the paper's numbers stand beside ours in its table
    always: bool = False        # its table is written even when the experiment did not run
    note: str = ""              # a line under its table

    @property
    def table_title(self) -> str:
        """A table's title is its experiment's; a figure's data table says what it holds."""
        return self.title if self.figure is None else \
            f"{self.title} — data: test accuracy (%) per cell"


CATALOGUE = (
    Experiment("table2", "Table 2: test accuracy (%) on MNIST, pMNIST and CIFAR-10",
               table="table2", compares="pairs", paper_values=True, always=True),
    Experiment("fig3", "Figure 3: test accuracy against sequence length (StanfordDogs)",
               table="fig3_data", figure="fig3_accuracy_vs_length"),
    Experiment("table3", "Table 3: training resources against sequence length", kind="bench",
               table="table3", figure="table3_resources", always=True,
               note="The paper's Table 3 numbers are unknown (docs/paper.md §5.2): nothing to "
                    "compare."),
    Experiment("table4", "Table 4: test accuracy (%) on DBpedia (character level)",
               table="table4", compares="pairs",
               note="The paper's Table 4 numbers are unknown (docs/paper.md §5.2)."),
    Experiment("fig4", "Figure 4: test accuracy against supervised BPTT length",
               table="fig4_data", figure="fig4_shrinking_bptt", compares="methods",
               method_pairs=(("rlstm", "lstm"),)),
    Experiment("table6", "Table 6: several anchors at a fixed total reconstruction length",
               table="table6", compares="pairs",
               note="The paper's Table 6 numbers are unknown (docs/paper.md §5.2)."),
    Experiment("fig5", "Figure 5: training and test curves by epoch", table="fig5_data",
               figure="fig5_curves", curves=True),
    Experiment("fig6", "Figure 6: ablation of r-LSTM", table="fig6_data",
               figure="fig6_ablation", compares="reference"),
    Experiment("rnn_cells", "Beyond the paper: the reconstruction loss on other recurrent cells "
               f"({CELL_LABELS}), test accuracy (%)", table="rnn_cells", compares="methods",
               method_pairs=tuple((variant(prefix((MAIN,)), cell), cell) for cell in CELLS),
               note="Not in the paper: its method on "
                    + "; ".join(c.about for name, c in CELLS.items() if name != PAPER)
                    + ", docs/method.md \"Recurrent cells\"."),
)
EXPERIMENTS = {e.name: e for e in CATALOGUE}


def seeds_text(exp: dict) -> str:
    """An experiment summary's seeds, then any dataset with its own: "0, 1, 2; d: 0, 1, 2, 3"."""
    return "; ".join([", ".join(map(str, exp["seeds"]))] + [
        f"{d}: " + ", ".join(map(str, v)) for d, v in (exp.get("dataset_seeds") or {}).items()])


# The cell an ablation is compared with: the first of these settings that ran.
REFERENCE_SETTINGS = ("full_method", "full_model", "reference", "full")

# Outputs about every experiment at once.
SUMMARY_TABLES = ("paper_vs_reproduced", "claims", "failed_runs", "compute", "published")
FOREST = "forest_paper_vs_reproduced"


def experiment(name: str) -> Experiment:
    """The catalogue's entry, or a generic one for a name it does not know."""
    return EXPERIMENTS.get(name) or Experiment(
        name, f"{name}: test accuracy (%)", table=name if name.startswith("table")
        else f"{name}_data")


def figure_names(enabled: Iterable[str]) -> list[str]:
    """The figures written when the experiments `enabled` run: theirs, in the catalogue's order,
    and the forest plot; an experiment a config does not run gets no figure file."""
    enabled = set(enabled)
    return [e.figure for e in CATALOGUE if e.figure and e.name in enabled] + [FOREST]


def table_names(ran: Iterable[str]) -> list[str]:
    """The tables written when the experiments `ran` have runs: theirs, those written always,
    and the summary tables, in the catalogue's order."""
    ran = set(ran)
    names = [e.table for e in CATALOGUE if e.always or e.name in ran]
    names += [experiment(n).table for n in sorted(ran - set(EXPERIMENTS))]
    return names + list(SUMMARY_TABLES)
