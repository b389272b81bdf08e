"""What the paper reports, as data: its numbers (with source tags) and its qualitative claims.

Numbers are test accuracies in percent from docs/paper.md §5.1 (the paper's Table 2). The iRNN and
uRNN rows are literature numbers the paper quotes: they are kept as context and never get a
verdict. The "about 40%" of Figure 4 (r-LSTM with no supervised BPTT on CIFAR-10) is a rough
number from a summary, so it is marked `approx` and judged with the wider approximate tolerance.
The paper has no other numbers we could verify (Tables 3, 4, 6 and Figures 3-6 are unknown):
none are invented here.
"""

from __future__ import annotations

from dataclasses import dataclass

from auxbench.experiments import CELL_LABELS, EXPERIMENTS

from .style import cell_label


@dataclass(frozen=True)
class PaperValue:
    experiment: str  # our experiment name, e.g. "table2"
    dataset: str  # the paper's dataset: mnist | pmnist | cifar10
    method: str  # lstm | rlstm | plstm | transformer | irnn | urnn
    setting: str  # full | t300 | t0
    value: float  # test accuracy, percent
    source: str
    kind: str = "paper"  # paper | literature (context only) | approx

    @property
    def label(self) -> str:
        if self.method in _LITERATURE_LABELS:
            return _LITERATURE_LABELS[self.method]
        return cell_label(self.method, self.setting)


_LITERATURE_LABELS = {"irnn": "iRNN (Le et al., 2015)", "urnn": "uRNN (Arjovsky et al., 2016)"}

_V1V3 = "docs/paper.md §5.1: Table 2, v1 screenshot + v3 transcription"
_V3 = "docs/paper.md §5.1: Table 2, v3 only (camera-ready); confirmed-cited"
_CITED = "docs/paper.md §5.1: Table 2, v1 + v3; confirmed-cited (Le et al. ICLR'19, Liquid-S4)"
_LIT = "docs/paper.md §5.1: Table 2, v1 screenshot (literature number quoted by the paper)"


def _rows(method: str, setting: str, values: tuple, source: str, kind: str = "paper"):
    out = []
    for dataset, value in zip(("mnist", "pmnist", "cifar10"), values):
        if value is not None:
            out.append(PaperValue("table2", dataset, method, setting, value, source, kind))
    return out


PAPER_VALUES: tuple[PaperValue, ...] = tuple(
    _rows("irnn", "full", (97.0, 82.0, None), _LIT, "literature")
    + _rows("urnn", "full", (95.1, 91.4, None), _LIT, "literature")
    + _rows("lstm", "full", (98.3, 89.4, 58.8), _V1V3)
    + _rows("lstm", "t300", (11.3, 88.8, 49.0), _V1V3)
    + _rows("transformer", "full", (98.9, 97.9, 62.2), _V3)
    + _rows("rlstm", "t300", (96.4, 92.8, 65.9), _V1V3)
    + _rows("plstm", "t300", (95.4, 92.5, 64.7), _V1V3)
    + _rows("rlstm", "full", (98.4, 95.2, 72.2), _CITED)
    + _rows("plstm", "full", (98.0, 92.8, 67.6), _V1V3)
    + [PaperValue("fig4", "cifar10", "rlstm", "t0", 40.0,
                  "docs/paper.md §6: Figure 4, 'about 40%' (vitalab TL;DR)", "approx")]
)


# --------------------------------------------------------------------------- claims

Cell = tuple[str, str]  # (method, setting)


@dataclass(frozen=True)
class Claim:
    """A qualitative statement tested on our own runs.

    kind:
    - "greater": every comparison (a, b) asks mean(a) > mean(b) (one-sided).
    - "noninferior": mean(a) >= mean(b) - margin, the margin being
      `noninferiority_margin_pp` (one-sided, shifted).
    - "above_chance": the single cell a is above 100/n_classes + `chance_margin_pp`.
    """

    id: str
    text: str
    source: str
    kind: str
    experiment: str
    datasets: tuple[str, ...]  # the paper's datasets the claim covers
    comparisons: tuple[tuple[Cell, Cell | None], ...]
    any_dataset: bool = False  # test every dataset of the experiment, not only those mapped


_ALL3 = ("mnist", "pmnist", "cifar10")

CLAIMS: tuple[Claim, ...] = (
    # Not a claim the paper makes but the premise of its question: where truncation costs the
    # plain LSTM nothing, a method that "recovers" what truncation lost has nothing to recover.
    Claim("p", "Precondition: truncation hurts the plain LSTM (LSTM Full BP beats LSTM Truncate "
          "300)", "docs/paper.md §5.1 (98.3 vs 11.3, 89.4 vs 88.8, 58.8 vs 49.0)", "greater",
          "table2", _ALL3, ((("lstm", "full"), ("lstm", "t300")),)),
    Claim("a", "r-LSTM Truncate 300 beats LSTM Truncate 300",
          "docs/paper.md §5.1 key gaps (+85.1 / +4.0 / +16.9)", "greater", "table2", _ALL3,
          ((("rlstm", "t300"), ("lstm", "t300")),)),
    Claim("b", "r-LSTM Truncate 300 beats LSTM Full BP on pMNIST and CIFAR-10",
          "docs/paper.md §0 and §5.1 (92.8 vs 89.4; 65.9 vs 58.8)", "greater", "table2",
          ("pmnist", "cifar10"), ((("rlstm", "t300"), ("lstm", "full")),)),
    Claim("c", "r-LSTM Full BP is the best recurrent model",
          "docs/paper.md §0 ('Full BPTT plus the auxiliary loss is best')", "greater", "table2", _ALL3,
          tuple((("rlstm", "full"), other) for other in (
              ("lstm", "full"), ("lstm", "t300"), ("rlstm", "t300"),
              ("plstm", "full"), ("plstm", "t300")))),
    Claim("d", "r-LSTM is at least as good as p-LSTM at Truncate 300 and at Full BP",
          "docs/paper.md §5.1 ('r-LSTM >= p-LSTM everywhere')", "noninferior", "table2", _ALL3,
          ((("rlstm", "t300"), ("plstm", "t300")), (("rlstm", "full"), ("plstm", "full")))),
    Claim("e", "With no supervised BPTT (Truncate 0), r-LSTM stays far above chance",
          "docs/paper.md §0 and §6 Figure 4 ('about 40% on CIFAR-10')", "above_chance", "fig4",
          ("cifar10",), ((("rlstm", "t0"), None),), any_dataset=True),
    Claim("f", "New question: rp-LSTM beats both r-LSTM and p-LSTM",
          "docs/paper.md §1.7 (the paper never combined the two losses)", "greater", "table2",
          _ALL3,
          tuple((("rplstm", s), (other, s)) for s in ("t300", "full")
                for other in ("rlstm", "plstm"))),
    Claim("g", "Beyond the paper: the reconstruction loss improves truncated training for "
          f"every cell ({CELL_LABELS})",
          "issue [13]; the paper calls its loss independent of the architecture", "greater",
          "rnn_cells", _ALL3, tuple(((a, "t300"), (b, "t300")) for a, b in
                                    EXPERIMENTS["rnn_cells"].method_pairs),
          any_dataset=True),
    # Not in the paper: the cheaper control it never ran. A dense next-step loss trains the same
    # recurrence with the same gradient budget (chunks of aux_bptt) and needs no anchor or
    # decoder; if it does as well, the anchored reconstruction is not what makes the memory.
    Claim("h", "New question: under truncation, r-LSTM beats a dense next-step loss (lm-LSTM)",
          "docs/paper.md §1.7 (the paper never ran it; Dai and Le 2015 pretrained LSTMs with "
          "it)", "greater", "table2", _ALL3, ((("rlstm", "t300"), ("lmlstm", "t300")),)),
)
