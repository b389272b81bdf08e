"""Analysis options, read from the mapping the workflow passes (`experiment_config`).

Accepted keys (all optional). They may sit at the top level of the workflow config or under an
`analysis:` sub-mapping (which wins):

```yaml
scale: default            # default | lite | paper; only "paper" makes numbers comparable
seeds: [0, 1, 2]          # or an integer count; lets a cell report seeds that never ran
paper_datasets:           # dataset key -> the paper's dataset (aliases: dataset_map, paper_dataset)
  embedded_mnist: mnist
  embedded_cifar: cifar10
datasets:                 # also read: {key: {paper_dataset: mnist}} or {key: {paper: mnist}}
  embedded_pmnist: {paper_dataset: pmnist}
comparable_datasets: [mnist, pmnist, cifar10]   # overrides the scale rule when given
analysis:
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

A dataset is comparable with the paper's number when the scale is `paper`, its key is not an
embedded stand-in (`embedded_*`), and it maps to one of the paper's datasets; or when it is listed
in `comparable_datasets`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auxbench.errors import ConfigError

_ALIASES = {
    "mnist": "mnist", "smnist": "mnist", "pmnist": "pmnist", "psmnist": "pmnist",
    "cifar": "cifar10", "cifar10": "cifar10", "scifar": "cifar10", "scifar10": "cifar10",
    "dbpedia": "dbpedia", "text": "dbpedia", "dogs": "stanford_dogs", "stanford_dogs": "stanford_dogs",
    "stanforddogs": "stanford_dogs",
}
PAPER_DATASETS = ("mnist", "pmnist", "cifar10", "dbpedia", "stanford_dogs")


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
    truncated_setting: str = "t300"
    scale: str = "default"
    seeds: tuple[int, ...] | None = None
    paper_datasets: Mapping[str, str] = field(default_factory=dict)
    comparable_datasets: frozenset[str] | None = None

    def paper_dataset(self, key: str) -> str | None:
        if key in self.paper_datasets:
            return self.paper_datasets[key]
        return default_paper_dataset(key)

    def is_comparable(self, key: str) -> bool:
        if self.comparable_datasets is not None:
            return key in self.comparable_datasets
        return (
            self.scale == "paper"
            and not str(key).startswith("embedded_")
            and self.paper_dataset(key) in PAPER_DATASETS
        )

    def claim_cell(self, cell: tuple[str, str]) -> tuple[str, str]:
        """The paper's (method, 't300') cell as this run set names it (its truncated setting)."""
        method, setting = cell
        return (method, self.truncated_setting) if setting == "t300" else cell

    def replace(self, **kw: Any) -> AnalysisConfig:
        return dataclasses.replace(self, **kw)

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any] | AnalysisConfig | None) -> AnalysisConfig:
        if isinstance(cfg, AnalysisConfig):
            return cfg
        if cfg is None:
            return cls()
        if not isinstance(cfg, Mapping):
            raise ConfigError(f"experiment_config must be a mapping, got {type(cfg).__name__}")
        sub = cfg.get("analysis") or {}
        if not isinstance(sub, Mapping):
            raise ConfigError("analysis: must be a mapping of analysis options")
        merged = {**{k: v for k, v in cfg.items() if k != "analysis"}, **sub}
        kw: dict[str, Any] = {}
        floats = ("confidence", "alpha", "tolerance_pp", "approx_tolerance_pp",
                  "max_halfwidth_pp", "chance_margin_pp", "noninferiority_margin_pp")
        for k in floats:
            if k in merged and merged[k] is not None:
                try:
                    kw[k] = float(merged[k])
                except (TypeError, ValueError) as exc:
                    raise ConfigError(f"analysis.{k} must be a number, got {merged[k]!r}") from exc
        for k in ("n_resamples", "seed"):
            if k in merged and merged[k] is not None:
                try:
                    kw[k] = int(merged[k])
                except (TypeError, ValueError) as exc:
                    raise ConfigError(f"analysis.{k} must be an integer, got {merged[k]!r}") from exc
        if not 0.5 < kw.get("confidence", 0.95) < 1.0:
            raise ConfigError("analysis.confidence must lie in (0.5, 1), e.g. 0.95")
        if not 0.0 < kw.get("alpha", 0.05) < 0.5:
            raise ConfigError("analysis.alpha must lie in (0, 0.5), e.g. 0.05")
        if kw.get("n_resamples", 9999) < 100:
            raise ConfigError("analysis.n_resamples must be at least 100")
        for k in ("tolerance_pp", "approx_tolerance_pp", "max_halfwidth_pp", "chance_margin_pp",
                  "noninferiority_margin_pp"):
            if kw.get(k, 0.0) < 0:
                raise ConfigError(f"analysis.{k} must be >= 0")
        if "primary_test" in merged:
            pt = str(merged["primary_test"]).lower()
            if pt not in ("welch", "mwu"):
                raise ConfigError("analysis.primary_test must be 'welch' or 'mwu'")
            kw["primary_test"] = pt
        if merged.get("truncated_setting") is not None:
            ts = str(merged["truncated_setting"])
            if not re.fullmatch(r"t\d+", ts):
                raise ConfigError(f"analysis.truncated_setting must be tK, e.g. t300, got {ts!r}")
            kw["truncated_setting"] = ts
        if merged.get("scale") is not None:
            kw["scale"] = str(merged["scale"])
        seeds = merged.get("seeds")
        if seeds is not None:
            if isinstance(seeds, int):
                kw["seeds"] = tuple(range(seeds))
            else:
                try:
                    kw["seeds"] = tuple(int(s) for s in seeds)
                except (TypeError, ValueError) as exc:
                    raise ConfigError("seeds must be an integer or a list of integers") from exc
        mapping: dict[str, str] = {}
        datasets = merged.get("datasets")
        if isinstance(datasets, Mapping):
            for key, spec in datasets.items():
                if isinstance(spec, Mapping):
                    name = spec.get("paper_dataset", spec.get("paper"))
                    if name:
                        mapping[str(key)] = str(name)
        for alias in ("paper_dataset", "dataset_map", "paper_datasets"):
            m = merged.get(alias)
            if m is None:
                continue
            if not isinstance(m, Mapping):
                raise ConfigError(f"{alias} must map dataset keys to the paper's dataset names")
            mapping.update({str(k): str(v) for k, v in m.items()})
        kw["paper_datasets"] = mapping
        if merged.get("comparable_datasets") is not None:
            kw["comparable_datasets"] = frozenset(str(x) for x in merged["comparable_datasets"])
        return cls(**kw)
