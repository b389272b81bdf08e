"""The workflow plan: from the workflow config (``auxbench.workflow_config``) to the runs.

The Snakefile asks this module which runs exist, which prepared dataset each reads, which run
config it trains with and what resources it asks for (where it writes: ``auxbench.paths``). It
only plans: reading the results back is the analysis's (``auxbench.analysis.runs``). Importable
and tested without Snakemake (``tests/test_plan.py``); ``auxbench plan`` prints it.

A run's config is the run-config defaults (``auxbench.config.DEFAULTS``) updated, in order, by
``base``, ``method_overrides[method]``, the dataset's ``overrides``, ``{"dataset": spec}``, the
experiment's ``overrides``, its ``dataset_overrides[dataset]``, the setting's layer, and last the
run labels (``run: {experiment, dataset, setting, seed}``, ``method``). Built-in settings:
``full`` (``train.bptt: full``), ``tK`` (``train.bptt: K``) and ``nNlL`` (``train.n_anchors: N``,
``train.aux_len: L``), each optionally suffixed ``_pwin`` (``train.plstm_gradient: window``).
The transformer only runs the ``full`` setting. A run whose curve an analysis draws evaluates
every epoch (``train.eval_every: 1``, set by the plan over the layers; ``Plan.run_config``).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auxbench import config as runcfg
from auxbench import data, methods, paths, workflow_config
from auxbench.errors import ConfigError
from auxbench.experiments import EXPERIMENTS, experiment
from auxbench.feasibility import check_fits
from auxbench.losses import SUFFIXED
from auxbench.paths import RESOURCES_JSON, RunKey
from auxbench.precision import RECORDS, require_recorded_passes

BUILTIN_SETTING = re.compile(
    r"^(?:full|t(?P<k>[0-9]+)|n(?P<n>[0-9]+)l(?P<l>[0-9]+))"
    rf"(?P<suffix>{'|'.join(re.escape(loss.setting_suffix) for loss in SUFFIXED)})?$")
LAYER_KEYS = ("model", "train")


def builtin_setting(name: str) -> dict[str, Any] | None:
    """The run-config layer of a built-in setting name, or None if the name is not built in."""
    m = BUILTIN_SETTING.match(str(name))
    if not m:
        return None
    if m.group("k") is not None:
        train = {"bptt": int(m.group("k"))}
    elif m.group("n") is not None:
        train = {"n_anchors": int(m.group("n")), "aux_len": int(m.group("l"))}
    else:
        train = {"bptt": "full"}
    layer = {"train": train}
    for loss in SUFFIXED:
        if m.group("suffix") == loss.setting_suffix:
            layer = runcfg.deep_merge(layer, loss.suffix_layer)
    return layer


# ------------------------------------------------------------------------------------ the plan
@dataclass(frozen=True)
class DatasetEntry:
    id: str
    spec: dict[str, Any]       # as written in the config
    key: str                   # the prepared cache key (auxbench.data.dataset_key)
    paper_dataset: str | None
    overrides: dict[str, Any]
    compute: dict[str, Any]


class Plan:
    """Every job of the workflow, computed from the workflow config."""

    def __init__(self, cfg: Mapping[str, Any], schema: str | Path | dict | None = None,
                 check_structure: bool = True, precision_records: str | Path = RECORDS):
        if check_structure:
            workflow_config.check_schema(cfg, schema)
        self.cfg = copy.deepcopy(dict(cfg))
        self._configs: dict[RunKey, dict] = {}
        self.datasets = self._build_datasets()
        self.settings = self._build_settings()
        self._check_layers()
        self.runs = self._build_runs()
        self._check_runs()
        self._check_resource_cases()
        self.trained_from = self._build_trained_from()
        self.train_jobs = self._build_train_jobs()
        require_recorded_passes(((r.rel, self.run_config(r), self.datasets[r.dataset].key)
                                 for r in self.trained_runs), self.device, precision_records)

    # ----------------------------------------------------------------- the config's parts
    @property
    def scale(self) -> str:
        return str(self.cfg["scale"])

    @property
    def results_only(self) -> bool:
        return bool(self.cfg.get("results_only", False))

    @property
    def data_root(self) -> str:
        return str(self.cfg["data"]["root"])

    @property
    def data_mirror(self) -> str | None:
        return self.cfg["data"].get("mirror")

    @property
    def device(self) -> str:
        return str(self.cfg["compute"]["device"])

    def experiments(self, kind: str | None = None, enabled_only: bool = True) -> dict[str, dict]:
        out = {}
        for name, exp in self.cfg["experiments"].items():
            if enabled_only and not exp.get("enabled", True):
                continue
            if kind is not None and exp.get("kind", "train") != kind:
                continue
            out[name] = exp
        return out

    def experiment_seeds(self, name: str, dataset: str | None = None) -> list[int]:
        """The experiment's seeds, or those its `dataset_seeds` gives for `dataset`."""
        exp = self.cfg["experiments"][name]
        seeds = (exp.get("dataset_seeds") or {}).get(dataset) or exp.get("seeds", self.cfg["seeds"])
        return [int(s) for s in seeds]

    # ----------------------------------------------------------------- datasets
    def _build_datasets(self) -> dict[str, DatasetEntry]:
        from auxbench import data

        used = set()
        for exp in self.experiments().values():
            used.update(exp.get("datasets", []))
            if exp.get("dataset"):
                used.add(exp["dataset"])
        for name, exp in self.experiments().items():
            for ds in list(exp.get("datasets", [])) + ([exp["dataset"]] if exp.get("dataset")
                                                       else []):
                if ds not in self.cfg["datasets"]:
                    raise ConfigError(
                        f"experiments.{name}: dataset {ds!r} is not defined under datasets "
                        f"(defined: {sorted(self.cfg['datasets'])})")
            for key in ("dataset_overrides", "dataset_seeds"):
                for ds in exp.get(key) or {}:
                    if ds not in exp.get("datasets", []):
                        raise ConfigError(
                            f"experiments.{name}.{key}.{ds}: {ds!r} is not one of this "
                            f"experiment's datasets {exp.get('datasets', [])}")
        out = {}
        for ds_id, entry in self.cfg["datasets"].items():
            spec = dict(entry["spec"])
            try:
                key = data.dataset_key(spec)
            except ConfigError as err:
                raise ConfigError(f"datasets.{ds_id}.spec: {err}") from None
            out[ds_id] = DatasetEntry(
                id=ds_id, spec=spec, key=key, paper_dataset=entry.get("paper_dataset"),
                overrides=copy.deepcopy(entry.get("overrides") or {}),
                compute=dict(entry.get("compute") or {}))
        self._used_datasets = used
        return out

    def dataset_ids(self) -> list[str]:
        """Dataset ids that some enabled training experiment trains on (config order)."""
        used = set()
        for exp in self.experiments("train").values():
            used.update(exp["datasets"])
        return [d for d in self.datasets if d in used]

    def prepared(self) -> dict[str, dict[str, Any]]:
        """Prepared cache key -> dataset spec, for every dataset a training run reads."""
        out: dict[str, dict[str, Any]] = {}
        for ds_id in self.dataset_ids():
            entry = self.datasets[ds_id]
            out.setdefault(entry.key, entry.spec)
        return out

    def manifest_path(self, key: str) -> str:
        return paths.manifest_path(self.data_root, key)

    def dataset_manifest(self, ds_id: str) -> str:
        return self.manifest_path(self.datasets[ds_id].key)

    # ----------------------------------------------------------------- settings and layers
    def _build_settings(self) -> dict[str, dict[str, Any]]:
        named = self.cfg.get("settings") or {}
        for name in named:
            if BUILTIN_SETTING.match(name):
                raise ConfigError(
                    f"settings.{name}: {name!r} is a built-in setting name (full, tK, nNlL); "
                    f"choose another name")
        out = {name: copy.deepcopy(layer or {}) for name, layer in named.items()}
        for name, exp in self.experiments("train").items():
            for s in exp["settings"]:
                if s in out:
                    continue
                layer = builtin_setting(s)
                if layer is None:
                    raise ConfigError(
                        f"experiments.{name}.settings: {s!r} is neither built in (full, tK, "
                        f"nNlL) nor defined under settings (defined: {sorted(named)})")
                out[s] = layer
        return out

    def setting_layer(self, name: str) -> dict[str, Any]:
        if name in self.settings:
            return self.settings[name]
        layer = builtin_setting(name)
        if layer is None:
            raise ConfigError(f"setting {name!r} is not defined")
        return layer

    def _check_layer(self, where: str, layer: Mapping[str, Any] | None) -> None:
        """A run-config layer alone, merged over the defaults, must be a valid run config."""
        if not layer:
            return
        extra = sorted(set(layer) - set(LAYER_KEYS))
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {extra}; a run-config layer has only "
                              f"{list(LAYER_KEYS)} (dataset, method, run and runtime are set by "
                              f"the workflow)")
        try:
            runcfg.resolve({"method": "lstm"}, dict(layer))
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None

    def _check_layers(self) -> None:
        self._check_layer("base", self.cfg.get("base"))
        for m, layer in (self.cfg.get("method_overrides") or {}).items():
            self._check_layer(f"method_overrides.{m}", layer)
        for ds_id, entry in self.datasets.items():
            self._check_layer(f"datasets.{ds_id}.overrides", entry.overrides)
        for name, layer in (self.cfg.get("settings") or {}).items():
            self._check_layer(f"settings.{name}", layer)
        for name, exp in self.experiments(enabled_only=False).items():
            self._check_layer(f"experiments.{name}.overrides", exp.get("overrides"))
            for ds, layer in (exp.get("dataset_overrides") or {}).items():
                self._check_layer(f"experiments.{name}.dataset_overrides.{ds}", layer)

    # ----------------------------------------------------------------- runs
    def _build_runs(self) -> list[RunKey]:
        for name, exp in self.experiments().items():
            known = EXPERIMENTS.get(name)
            if known is not None and exp["kind"] != known.kind:
                raise ConfigError(f"experiments.{name}: kind {exp['kind']!r}, but {name} is the "
                                  f"paper's {known.kind} experiment ({known.title})")
        runs: list[RunKey] = []
        bench = [n for n in self.experiments("bench")]
        if len(bench) > 1:
            raise ConfigError(f"experiments: at most one enabled bench experiment (it writes "
                              f"{RESOURCES_JSON}); enabled: {bench}")
        for name, exp in self.experiments("train").items():
            settings = list(exp["settings"])
            exclude = set(exp.get("exclude") or [])
            untruncatable = [m for m in exp["methods"] if not methods.METHODS[m].truncatable]
            if untruncatable and "full" not in settings:
                m = untruncatable[0]
                raise ConfigError(
                    f"experiments.{name}: methods include {m} but settings {settings} "
                    f"lack 'full'; the {m} only runs the full setting")
            cells = [(m, s) for m in exp["methods"] for s in settings
                     if methods.METHODS[m].truncatable or s == "full"]
            known = {f"{m}-{s}" for m, s in cells}
            for item in sorted(exclude - known):
                raise ConfigError(f"experiments.{name}.exclude: {item!r} is not a cell of this "
                                  f"experiment (cells: {sorted(known)})")
            cells = [(m, s) for m, s in cells if f"{m}-{s}" not in exclude]
            for ds in exp["datasets"]:
                for method, setting in cells:
                    for seed in self.experiment_seeds(name, ds):
                        runs.append(RunKey(name, ds, method, setting, seed))
        if len(set(runs)) != len(runs):  # pragma: no cover - prevented by uniqueItems
            raise ConfigError("experiments: the same run is listed twice")
        return runs

    def _build_trained_from(self) -> dict[RunKey, RunKey]:
        """Each run -> the run whose training gives its result: itself, or the first run whose
        run config is the same but for the experiment and setting names, first in the
        catalogue's order of experiments (auxbench.experiments; others after, by name), never in
        the config's order, which a saved config need not keep. A cell two experiments share
        (Figure 4's Truncate 20 is Table 2's) is trained once; the results depend on neither
        name (the engine seeds from `run.seed` alone)."""
        def identity(run: RunKey) -> str:
            cfg = self._layered_config(run)
            del cfg["run"]["experiment"], cfg["run"]["setting"], cfg["train"]["eval_every"]
            return json.dumps(cfg, sort_keys=True)

        rank = {name: i for i, name in enumerate(EXPERIMENTS)}
        ids = {run: identity(run) for run in self.runs}
        first: dict[str, RunKey] = {}
        for run in sorted(self.runs, key=lambda r: (rank.get(r.experiment, len(rank)),
                                                    r.experiment)):
            first.setdefault(ids[run], run)
        self._curve_read = {first[ids[r]] for r in self.runs if experiment(r.experiment).curves}
        return {run: first[ids[run]] for run in self.runs}

    @property
    def trained_runs(self) -> list[RunKey]:
        """The runs that train (config order); every other run reads one of these."""
        return [r for r in self.runs if self.trained_from[r] == r]

    @property
    def shared_runs(self) -> dict[RunKey, RunKey]:
        """Run -> the other experiment's run it reads its result from (shared runs only)."""
        return {r: s for r, s in self.trained_from.items() if r != s}

    def _build_train_jobs(self) -> list[tuple[RunKey, ...]]:
        """The training jobs, each a tuple of trained runs: one run each, or with
        `compute.group_seeds` the seeds of a recurrent cell whose run configs differ in the seed
        alone, trained as one grouped model (auxbench/train/seeds.py); members by seed."""
        jobs: dict[str, list[RunKey]] = {}
        for run in self.trained_runs:
            key = run.rel
            if self.cfg["compute"].get("group_seeds", False) and \
                    methods.METHODS[run.method].architecture == "recurrent":
                cfg = copy.deepcopy(self.train_config(run))
                del cfg["run"]["seed"]
                key = json.dumps(cfg, sort_keys=True)
            jobs.setdefault(key, []).append(run)
        return [tuple(sorted(runs, key=lambda r: r.seed)) for runs in jobs.values()]

    @property
    def grouped_jobs(self) -> list[tuple[RunKey, ...]]:
        """The training jobs of several seeds (the workflow's train_group_<i> rules)."""
        return [job for job in self.train_jobs if len(job) > 1]

    def job_usage(self, run: RunKey) -> str:
        """The Snakemake benchmark file of the job that trains `run`: a grouped job's is its
        first member's (so the analysis counts it once, as one job)."""
        return next(job[0] for job in self.train_jobs if run in job).job_usage

    def _check_runs(self) -> None:
        for run in self.runs:
            cfg = self._layered_config(run)
            spec = self.datasets[run.dataset].spec
            if "max_len" in spec and spec["max_len"] is None:
                continue  # the longest document is known only after preparing
            try:
                check_fits(cfg, data.sequence_shape(spec)[0])
            except ConfigError as err:
                raise ConfigError(f"run {run.rel} (dataset {run.dataset}): {err}; lower "
                                  f"aux_len for this dataset or experiment") from None

    def _check_resource_cases(self) -> None:
        """Every case of the resource benchmark must fit every length it is measured at."""
        item, cfg = self.resource_experiment(), self.resource_config()
        if item is None:
            return
        name, exp = item
        for case in exp["cases"]:
            method = case.split(":")[0]
            for length in exp["lengths"]:
                try:
                    check_fits({**cfg, "method": method}, length)
                except ConfigError as err:
                    raise ConfigError(f"experiments.{name}: case {case} at length {length}: "
                                      f"{err}; lower overrides.train.aux_len or drop the "
                                      f"length") from None

    def run_layers(self, run: RunKey) -> list[tuple[str, dict[str, Any]]]:
        exp = self.cfg["experiments"][run.experiment]
        ds = self.datasets[run.dataset]
        return [
            ("base", self.cfg.get("base") or {}),
            (f"method_overrides.{run.method}",
             (self.cfg.get("method_overrides") or {}).get(run.method) or {}),
            (f"datasets.{run.dataset}.overrides", ds.overrides),
            (f"datasets.{run.dataset}.spec", {"dataset": ds.spec}),
            (f"experiments.{run.experiment}.overrides", exp.get("overrides") or {}),
            (f"experiments.{run.experiment}.dataset_overrides.{run.dataset}",
             (exp.get("dataset_overrides") or {}).get(run.dataset) or {}),
            (f"settings.{run.setting}", self.setting_layer(run.setting)),
            ("run labels", {"method": run.method,
                            "run": {"experiment": run.experiment, "dataset": run.dataset,
                                    "setting": run.setting, "seed": run.seed}}),
        ]

    def run_config(self, run: RunKey) -> dict[str, Any]:
        """The resolved run config of one run, runtime section included (a copy). A run whose
        curve an analysis draws (an experiment with `curves=True` in the catalogue, or a run
        such an experiment shares) evaluates every epoch, whatever its layers set
        `train.eval_every` to; the other runs keep theirs (auxbench.train.eval_schedule)."""
        cfg = self._layered_config(run)
        if self.trained_from[run] in self._curve_read:
            cfg["train"]["eval_every"] = 1
        return cfg

    def _layered_config(self, run: RunKey) -> dict[str, Any]:
        """The run config its layers give (a copy), before the plan's evaluation schedule."""
        if run not in self._configs:
            layers = [layer for _, layer in self.run_layers(run)] + [self.runtime_layer()]
            try:
                cfg = runcfg.resolve(*layers)
            except ConfigError as err:
                raise ConfigError(f"run {run.rel}: {err}") from None
            for loss in SUFFIXED:
                suffix = loss.setting_suffix
                if loss.kind in methods.METHODS[run.method].losses and \
                        loss.suffixed(cfg) != run.setting.endswith(suffix):
                    raise ConfigError(
                        f"run {run.rel}: a setting's name ends in {suffix!r} exactly when its "
                        f"runs use {loss.suffix_layer} ({loss.suffix_label}, outside the paper's "
                        f"method), so that every label says so; this run's setting does not "
                        f"match its config")
            self._configs[run] = cfg
        return copy.deepcopy(self._configs[run])

    def train_config(self, run: RunKey) -> dict[str, Any]:
        """What the training rule passes as --config-json: the run config without `runtime`.

        Runtime settings (device, data folder, threads) are given on the command line instead,
        so moving the data or switching to a GPU does not make Snakemake retrain everything.
        """
        cfg = self.run_config(run)
        cfg.pop("runtime")
        return cfg

    def train_json(self, run: RunKey) -> str:
        return json.dumps(self.train_config(run), sort_keys=True, separators=(",", ":"))

    def runtime_layer(self) -> dict[str, Any]:
        return {"runtime": {"device": self.device, "data_root": self.data_root,
                            "data_mirror": self.data_mirror, "progress": "none"}}

    def runtime_overrides(self) -> list[str]:
        """`--set` arguments for the runtime section (device, data root and mirror)."""
        rt = self.runtime_layer()["runtime"]
        mirror = "null" if rt["data_mirror"] is None else json.dumps(str(rt["data_mirror"]))
        return [f"runtime.device={rt['device']}",
                f"runtime.data_root={json.dumps(rt['data_root'])}",
                f"runtime.data_mirror={mirror}", "runtime.progress=none"]

    def find_run(self, experiment: str, dataset: str, method: str, setting: str,
                 seed: int | str) -> RunKey:
        run = RunKey(experiment, dataset, method, setting, int(seed))
        if run not in self._run_set:
            raise ConfigError(f"run {run.rel} is not part of this workflow config")
        return run

    @property
    def _run_set(self) -> set[RunKey]:
        if not hasattr(self, "_runs_cache"):
            self._runs_cache = set(self.runs)
        return self._runs_cache

    # ----------------------------------------------------------------- resources
    def compute(self, kind: str, run: RunKey | None = None) -> dict[str, int]:
        """threads, mem_mb, runtime (minutes), gpu for a job of kind train | prepare | bench."""
        base = dict(self.cfg["compute"][kind])
        if run is not None:
            base.update(self.datasets[run.dataset].compute)
        return {"threads": int(base["threads"]), "mem_mb": int(base["mem_mb"]),
                "runtime": int(base["runtime_min"]), "gpu": int(base.get("gpu", 0))}

    def group_compute(self, job: tuple[RunKey, ...]) -> dict[str, int]:
        """A grouped training job's resources: its members' memory and time limit added up (an
        upper bound: on a GPU a group of G takes far less than G runs' time), the threads and
        GPUs of one."""
        one = self.compute("train", job[0])
        return {**one, "mem_mb": one["mem_mb"] * len(job), "runtime": one["runtime"] * len(job)}

    # ----------------------------------------------------------------- the resource benchmark (Table 3)
    def resource_experiment(self) -> tuple[str, dict] | None:
        items = list(self.experiments("bench").items())
        return items[0] if items else None

    def resource_config(self) -> dict[str, Any] | None:
        """The run config `auxbench resources --config` gets (without the runtime section)."""
        item = self.resource_experiment()
        if item is None:
            return None
        name, exp = item
        layers: list[dict] = [self.cfg.get("base") or {}]
        if exp.get("dataset"):
            ds = self.datasets[exp["dataset"]]
            layers += [ds.overrides, {"dataset": ds.spec}]
        layers += [exp.get("overrides") or {},
                   {"run": {"experiment": name, "dataset": exp.get("dataset"),
                            "setting": "bench", "seed": 0}}]
        try:
            cfg = runcfg.resolve(*layers)
        except ConfigError as err:
            raise ConfigError(f"experiments.{name}: {err}") from None
        cfg.pop("runtime")
        return cfg

    # ----------------------------------------------------------------- analysis and report
    def analysis_options(self) -> dict[str, Any]:
        """The mapping `auxbench.analysis` reads (AnalysisConfig.from_mapping)."""
        out: dict[str, Any] = {
            "scale": self.scale,
            "paper_datasets": {d: e.paper_dataset for d, e in self.datasets.items()
                               if e.paper_dataset},
            "stand_ins": [d for d, e in self.datasets.items()
                          if e.paper_dataset and e.spec["name"] != e.paper_dataset],
            "analysis": dict(self.cfg.get("analysis") or {}),
        }
        seed_sets = {tuple(self.experiment_seeds(n, d))
                     for n, exp in self.experiments("train").items() for d in exp["datasets"]}
        if len(seed_sets) == 1:
            out["seeds"] = list(next(iter(seed_sets)))
        return out

    def expected_runs(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.runs]

    def summary(self) -> dict[str, Any]:
        """What the report says was planned."""
        exps = {}
        for name, exp in self.experiments().items():
            if exp.get("kind", "train") == "bench":
                exps[name] = {"kind": "bench", "cases": list(exp["cases"]),
                              "lengths": list(exp["lengths"]), "dataset": exp.get("dataset")}
            else:
                runs = [r for r in self.runs if r.experiment == name]
                exps[name] = {"kind": "train", "datasets": list(exp["datasets"]),
                              "methods": list(exp["methods"]),
                              "settings": list(exp["settings"]),
                              "seeds": self.experiment_seeds(name),
                              "dataset_seeds": {d: self.experiment_seeds(name, d)
                                                for d in exp.get("dataset_seeds") or {}},
                              "runs": len(runs),
                              "shared": sorted(f"{r.rel} = {self.trained_from[r].rel}"
                                               for r in runs if self.trained_from[r] != r)}
        return {
            "scale": self.scale, "description": self.cfg.get("description", ""),
            "results_only": self.results_only, "seeds": list(self.cfg["seeds"]),
            "data_root": self.data_root, "device": self.device,
            "datasets": {d: {"spec": e.spec, "key": e.key, "paper_dataset": e.paper_dataset}
                         for d, e in self.datasets.items() if d in set(self.dataset_ids())
                         or d in self._used_datasets},
            "train_datasets": self.dataset_ids(), "experiments": exps,
            "n_runs": len(self.runs), "n_trained": len(self.trained_runs), "config": self.cfg,
        }

    # ----------------------------------------------------------------- job counts
    def job_counts(self, results_only: bool | None = None) -> dict[str, int]:
        """Jobs a fresh `snakemake` would run, per rule (matches the Snakefile's rule names)."""
        ro = self.results_only if results_only is None else results_only
        counts = {"all": 1, "workflow_config": 1, "aggregate": 1, "tables": 1, "figures": 1,
                  "report": 1}
        if not ro:
            counts["prepare_dataset"] = len(self.prepared())
            counts["train"] = sum(len(job) == 1 for job in self.train_jobs)
            counts.update({f"train_group_{i}": 1 for i in range(len(self.grouped_jobs))})
            if self.resource_experiment() is not None:
                counts["resource_benchmark"] = 1
        return {k: v for k, v in counts.items() if v}


def plan_from_files(files: Iterable[str | Path], overrides: Iterable[str] = (),
                    schema: str | Path | None = None) -> Plan:
    return Plan(workflow_config.load(files, overrides), schema=schema)
