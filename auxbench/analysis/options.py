"""Analysis options: what `Plan.analysis_options` passes (the workflow schema has checked them).

```yaml
scale: embedded           # only "paper" makes numbers comparable with the paper's
seeds: [0, 1, 2]          # when every experiment has these: a cell reports seeds that never ran
paper_datasets:           # dataset id -> the paper's dataset it stands for
  digits: mnist
stand_ins: [digits]       # ids whose data are another set than the paper's (not embedded_*)
analysis:                 # the workflow config's `analysis` section
  confidence: 0.95
  n_resamples: 9999
  seed: 0
  alpha: 0.05
  tolerance_pp: 1.0           # |mean - paper| within this is "reproduced"
  approx_tolerance_pp: 5.0    # for paper values the paper gives only roughly ("about 40%")
  max_halfwidth_pp: 5.0       # a wider interval cannot decide "reproduced"
  chance_margin_pp: 10.0      # claim (e): "far above chance" = above chance + this margin
  noninferiority_margin_pp: 1.0   # claim (d): r-LSTM >= p-LSTM means not worse by this much
  primary_test: welch         # welch | mwu: the test behind claim verdicts and bold cells
  truncated_setting: t300     # the setting that plays the paper's "Truncate 300" in the claims
```

A dataset id without a paper dataset is matched by its name (`embedded_cifar` -> `cifar10`). A
dataset is comparable with the paper's number when the scale is `paper`, its id is not an
embedded stand-in (`embedded_*`) nor another listed stand-in (`stand_ins`), and it stands for one
of the paper's datasets. At any other
scale such a real dataset is `reduced`: its distance to the paper's number is shown, not judged.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_ALIASES = {
    "mnist": "mnist", "smnist": "mnist", "pmnist": "pmnist", "psmnist": "pmnist",
    "cifar": "cifar10", "cifar10": "cifar10", "scifar": "cifar10", "scifar10": "cifar10",
    "dbpedia": "dbpedia", "text": "dbpedia", "dogs": "stanford_dogs", "stanford_dogs": "stanford_dogs",
    "stanforddogs": "stanford_dogs",
}
PAPER_DATASETS = ("mnist", "pmnist", "cifar10", "dbpedia", "stanford_dogs")
PAPER_TRUNCATION = "t300"  # the paper's truncated setting, which its claims are written with


def default_paper_dataset(key: str) -> str | None:
    """`embedded_cifar` -> `cifar10`, `stanford_dogs-s32` -> `stanford_dogs`, unknown -> None."""
    base = re.split(r"[-.]", str(key), maxsplit=1)[0].lower()
    base = base.removeprefix("embedded_")
    base = re.sub(r"_(s|side)?\d+$", "", base)
    return _ALIASES.get(base)


@dataclass(frozen=True)
class AnalysisConfig:
    confidence: float = 0.95
    n_resamples: int = 9999
    seed: int = 0
    alpha: float = 0.05
    tolerance_pp: float = 1.0
    approx_tolerance_pp: float = 5.0
    max_halfwidth_pp: float = 5.0
    chance_margin_pp: float = 10.0
    noninferiority_margin_pp: float = 1.0
    primary_test: str = "welch"
    truncated_setting: str = PAPER_TRUNCATION
    scale: str = "default"
    seeds: tuple[int, ...] | None = None
    paper_datasets: Mapping[str, str] = field(default_factory=dict)
    # datasets whose data are another set than the paper's they stand for (the UCI digits for
    # MNIST): never compared with the paper's numbers, as the generated `embedded_*` are not
    stand_ins: tuple[str, ...] = ()

    def paper_dataset(self, key: str) -> str | None:
        if key in self.paper_datasets:
            return self.paper_datasets[key]
        return default_paper_dataset(key)

    def is_real(self, key: str) -> bool:
        """One of the paper's real datasets (at whatever size), not a generated stand-in."""
        return (not str(key).startswith("embedded_") and key not in self.stand_ins
                and self.paper_dataset(key) in PAPER_DATASETS)

    def is_comparable(self, key: str) -> bool:
        return self.scale == "paper" and self.is_real(key)

    def is_reduced(self, key: str) -> bool:
        """A real dataset below the paper's scale (lite): numbers near the paper's, not its."""
        return self.scale != "paper" and self.is_real(key)

    @property
    def test_name(self) -> str:
        """The primary two-sample test, as the report names it."""
        return "Mann-Whitney U" if self.primary_test == "mwu" else "Welch t"

    @property
    def one_sided_confidence(self) -> float:
        """The level of the interval beside a one-sided test at `alpha`: 1 - 2 alpha (90%), whose
        bound on the tested side is the one-sided (1 - alpha) bound the test agrees with."""
        return 1.0 - 2.0 * self.alpha

    def claim_cell(self, cell: tuple[str, str]) -> tuple[str, str]:
        """The paper's (method, 't300') cell as this run set names it (its truncated setting)."""
        method, setting = cell
        return (method, self.truncated_setting) if setting == PAPER_TRUNCATION else cell

    def replace(self, **kw: Any) -> AnalysisConfig:
        return dataclasses.replace(self, **kw)

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any] | AnalysisConfig | None) -> AnalysisConfig:
        if isinstance(cfg, AnalysisConfig):
            return cfg
        cfg = cfg or {}
        kw = dict(cfg.get("analysis") or {})
        if cfg.get("scale") is not None:
            kw["scale"] = str(cfg["scale"])
        if cfg.get("seeds") is not None:
            kw["seeds"] = tuple(int(s) for s in cfg["seeds"])
        kw["paper_datasets"] = dict(cfg.get("paper_datasets") or {})
        kw["stand_ins"] = tuple(cfg.get("stand_ins") or ())
        return cls(**kw)
