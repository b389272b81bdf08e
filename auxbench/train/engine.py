"""The training run: phases, epochs, evaluation, checkpoints and records.

Pretraining minimises the auxiliary loss alone; training minimises L_sup + w * L_aux
(docs/paper.md §1.7); each phase runs its own learning-rate schedule from train.lr. A run
checkpoints after every epoch (and when asked to stop by SIGTERM), resumes from its last
checkpoint, and stops with a clear error on a non-finite loss or gradient.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from auxbench import data
from auxbench.atomic import write_json
from auxbench.config import cell_hash
from auxbench.errors import OutOfMemory, TrainingError
from auxbench.feasibility import check_batches, check_fits
from auxbench.methods import METHODS
from auxbench.models import build_model, count_parameters
from auxbench.models.recurrent import RecurrentClassifier
from auxbench.paths import FINISHED_RECORD, RUN_FILES, RunKey
from auxbench.runtime import (
    autocast,
    peak_memory_mb,
    resolve_device,
    set_precision,
    setup_torch,
)
from auxbench.tensors import to_device
from auxbench.train.anchors import first_real_step
from auxbench.train.checkpoint import load_checkpoint, save_checkpoint
from auxbench.train.eval_schedule import evaluates
from auxbench.train.group import GroupStep
from auxbench.train.objective import predict_logits, recurrent_step, transformer_step
from auxbench.train.progress import EpochProgress
from auxbench.train.records import device_name, environment, write_asrun, write_curve, write_metrics
from auxbench.train.tally import StepTally
from auxbench.versioning import command_version


class Preempted(Exception):
    """SIGTERM arrived; a checkpoint was written and the run can be resumed."""


class EvaluationStopped(Exception):
    """SIGTERM arrived during an evaluation, which is dropped and runs again on resume."""


@dataclass
class RunState:
    epoch: int = 0                 # epochs completed
    step: int = 0                  # batches completed within the current epoch
    sums: dict = field(default_factory=dict)
    curve: list = field(default_factory=list)
    wall_time_s: float = 0.0
    resumes: list = field(default_factory=list)
    started: float = 0.0           # when the run first started (kept across resumes)
    load_time_s: float = 0.0       # time spent assembling training batches
    step_time_s: float = 0.0       # time spent in training steps
    aux_len_sum: float = 0.0       # sum of l_eff over every auxiliary row trained on
    aux_rows: int = 0


@dataclass
class Split:
    x: np.ndarray
    y: np.ndarray
    index: np.ndarray

    def host_batch(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        chosen = np.sort(self.index[rows])
        return (torch.from_numpy(np.ascontiguousarray(self.x[chosen])),
                torch.from_numpy(np.asarray(self.y[chosen], dtype=np.int64)))

    def batch(self, rows: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.host_batch(rows)
        return to_device(x, device), to_device(y, device)


def measured_subset(split: Split, size: int, seed: int) -> Split:
    """The class-stratified subset of `split` (at most all of it) on which the train loss and
    accuracy are measured; drawn with the data's split seed, not the run seed, so every epoch and
    every seed of a cell measures the same examples."""
    return Split(split.x, split.y,
                 split.index[data.subset_indices(np.asarray(split.y)[split.index], size, seed)])


def open_splits(cfg: dict, progress: bool) -> tuple[object, Split, Split, Split]:
    """The dataset, its training split, the training subset measured each epoch, and its test
    split."""
    spec = data.validate_spec(cfg["dataset"])
    rt = cfg["runtime"]
    path = data.prepare(spec, rt["data_root"], mirror=rt["data_mirror"], progress=progress)
    data.verify_prepared(path)  # a flipped byte in the cache stops here, naming the file
    ds = data.load_prepared(path)
    t = cfg["train"]

    def split(x, y, size):
        if size is None or size >= len(y):
            return Split(x, y, np.arange(len(y)))
        return Split(x, y, data.subset_indices(np.asarray(y), size, t["split_seed"]))

    train = split(ds.train_x, ds.train_y, t["train_size"])
    test = split(ds.test_x, ds.test_y, t["test_size"])
    return ds, train, measured_subset(train, len(test.index), t["split_seed"]), test


def phase_schedule(t: dict, pretrain_epochs: int):
    """The learning-rate factor of an epoch: `train.lr_schedule` runs over pretraining, then
    starts again at 1 over the joint phase, so every method of a config trains its joint phase at
    the same rates whatever its pretraining."""
    def factor(epoch: int) -> float:
        k, length = ((epoch, pretrain_epochs) if epoch < pretrain_epochs
                     else (epoch - pretrain_epochs, t["epochs"]))
        if t["lr_schedule"] == "step":
            return t["lr_gamma"] ** (k // t["lr_step_epochs"])
        if t["lr_schedule"] == "cosine":
            return 0.5 * (1 + math.cos(math.pi * k / max(length, 1)))
        return 1.0
    return factor


def build_optimizer(cfg: dict, model: torch.nn.Module, pretrain_epochs: int):
    t = cfg["train"]
    params = [p for p in model.parameters() if p.requires_grad]
    opt = (torch.optim.RMSprop(params, lr=t["lr"]) if t["optimizer"] == "rmsprop"
           else torch.optim.Adam(params, lr=t["lr"]))
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, phase_schedule(t, pretrain_epochs))


@contextmanager
def stop_on_sigterm():
    """Turn SIGTERM (SLURM preemption, Snakemake cancel) into a flag checked between steps."""
    flag = {"stop": False}

    def handler(signum, frame):
        flag["stop"] = True

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield flag
        return
    try:
        yield flag
    finally:
        signal.signal(signal.SIGTERM, previous)


def evaluation_batch(train: dict, length: int, recurrent: bool) -> int:
    """Examples per evaluation batch: eval_batch_size, fewer where a batch would hold more than
    eval_tokens examples x steps at once (the Transformer holds all T steps; a recurrent scan
    holds `scan_chunk`), so that long sequences evaluate within the card's memory."""
    held = min(length, train["scan_chunk"]) if recurrent else length
    return max(1, min(train["eval_batch_size"], train["eval_tokens"] // held))


def evaluate(model, split: Split, cfg: dict, device: torch.device, stop: dict | None = None
             ) -> list[tuple[float, float]]:
    """Loss and accuracy in eval mode (no dropout) over every example of the split (none
    dropped), one pair per member of the model (one for a separate run). `stop`: the SIGTERM
    flag, checked between batches (EvaluationStopped), so that a long evaluation does not outlast
    a scheduler's grace time."""
    model.eval()
    groups = model.groups
    totals = torch.zeros(groups, 2, dtype=torch.float64, device=device)  # loss sum, correct
    n = len(split.index)
    order = np.arange(n)
    size = evaluation_batch(cfg["train"], split.x.shape[1], isinstance(model, RecurrentClassifier))
    for start in range(0, n, size):
        if stop is not None and stop["stop"]:
            model.train()
            raise EvaluationStopped
        x, y = split.batch(order[start:start + size], device)
        if groups > 1:  # every member reads the same batch
            x = x.repeat(groups, *([1] * (x.dim() - 1)))
        with autocast(cfg["train"], device):
            logits = predict_logits(model, x, cfg["train"]["scan_chunk"]).float()
        if groups == 1:
            totals += torch.stack([F.cross_entropy(logits, y, reduction="sum").double(),
                                   (logits.argmax(1) == y).sum().double()])
        else:
            labels = y.repeat(groups)
            loss = F.cross_entropy(logits, labels, reduction="none").reshape(groups, -1)
            correct = (logits.argmax(1) == labels).reshape(groups, -1)
            totals += torch.stack([loss.sum(1).double(), correct.sum(1).double()], 1)
    model.train()
    return [(loss_sum / n, correct / n) for loss_sum, correct in totals.tolist()]


def train_step(model, optimizer, x: torch.Tensor, y: torch.Tensor, train: dict, phase: str,
               generator: torch.Generator, tally: StepTally, batch: int,
               first: torch.Tensor | None = None) -> None:
    """One optimizer step of a training run; nothing in it waits for the device (the tally
    checks and sums; `first`, each example's first real step, comes from the host batch)."""
    with autocast(train, x.device):
        if isinstance(model, RecurrentClassifier):
            out = recurrent_step(model, x, y, train, phase, generator, first)
        else:
            out = transformer_step(model, x, y)
    tally.check_loss(out.loss, batch)
    optimizer.zero_grad(set_to_none=True)
    out.loss.backward()
    clip = train["grad_clip"] if train["grad_clip"] is not None else float("inf")
    tally.check_grad(torch.nn.utils.clip_grad_norm_(model.parameters(), clip), batch)
    optimizer.step()
    tally.add(y.shape[0], out.sup_loss, out.logits, y, out.aux_loss, out.aux_lengths)


class TrainingRun:
    """One training run, resumable from its checkpoint: its config, folders, model, optimizer,
    random streams and records. `execute` trains it alone; `train_group` trains several runs of
    one cell as one grouped model, each still a TrainingRun with its own checkpoint and records."""

    def __init__(self, cfg: dict, run_dir: Path, checkpoint_dir: Path, log=None):
        self.cfg, self.run_dir, self.ckpt_path = cfg, Path(run_dir), Path(checkpoint_dir) / "last.pt"
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        t = cfg["train"]
        self.dataset_key = data.dataset_key(data.validate_spec(cfg["dataset"]))
        self.dataset_label = cfg["run"]["dataset"] or self.dataset_key
        self.label = RunKey(cfg["run"]["experiment"], self.dataset_label, cfg["method"],
                            cfg["run"]["setting"], cfg["run"]["seed"]).rel
        self.pretrain_epochs = t["pretrain_epochs"] if METHODS[cfg["method"]].auxiliary else 0
        self.total_epochs = self.pretrain_epochs + t["epochs"]
        self.cell = cell_hash(cfg)
        self.code = command_version("train")  # the train rule's `code` param, too
        self.dropout_rng: torch.Generator | None = None  # a group member's; else torch's own
        self.group: list[int] = [cfg["run"]["seed"]]      # the seeds trained with it
        self.error: str | None = None

    def phase(self, epoch: int) -> str:
        return "pretrain" if epoch < self.pretrain_epochs else "train"

    def open_data(self) -> None:
        """The device, threads, precision and data, checked against the config."""
        cfg = self.cfg
        self.device = resolve_device(cfg["runtime"]["device"])
        self.threads = setup_torch(cfg["runtime"]["threads"], cfg["train"]["deterministic"])
        self.precision = set_precision(cfg["train"])
        ds, self.train_split, self.train_subset, self.test_split = open_splits(
            cfg, cfg["runtime"]["progress"] != "none")
        self.dataset = ds
        check_fits(cfg, ds.seq_len)
        check_batches(cfg, len(self.train_split.index))

    def share_data(self, other: TrainingRun) -> None:
        """What `open_data` makes, from a run of the same cell (another seed: the same data)."""
        for name in ("device", "threads", "precision", "dataset", "train_split", "train_subset",
                     "test_split"):
            setattr(self, name, getattr(other, name))

    def build(self) -> RunState:
        """The model after the run's seed, its optimizer and anchor stream, and the state to
        start from (its checkpoint's, if any)."""
        cfg, ds = self.cfg, self.dataset
        torch.manual_seed(cfg["run"]["seed"])
        self.model = build_model(cfg, ds.channels, ds.vocab_size, ds.n_classes,
                                 ds.pad_token).to(self.device)
        self.pad_token = ds.pad_token
        self.optimizer, self.scheduler = build_optimizer(cfg, self.model, self.pretrain_epochs)
        self.anchor_gen = torch.Generator().manual_seed(1_000_003 * cfg["run"]["seed"] + 17)
        return self.restore()

    def execute(self, record_failure: bool = False, retry_oom: bool = False) -> dict:
        """Train (or resume) to the end; `record_failure`: a run that cannot go on is recorded as
        failed, except an out-of-memory when `retry_oom` (an attempt that is not the last)."""
        return train_group([self], record_failure, retry_oom)[0]

    def finish(self, state: RunState, started: float) -> dict:
        """Write curve.csv, asrun.json and metrics.json; the metrics."""
        cfg, ds, error = self.cfg, self.dataset, self.error
        status = "failed" if error else "completed"
        if status == "completed" and self.ckpt_path.exists():
            # kept for inspection, but never resumed: rerunning a finished run trains afresh
            self.ckpt_path.replace(self.ckpt_path.with_name("final.pt"))
        wall = state.wall_time_s + (time.time() - started)
        last = state.curve[-1] if state.curve else {}
        metrics = {
            "status": status, "error": error,
            "experiment": cfg["run"]["experiment"], "dataset": self.dataset_label,
            "dataset_key": self.dataset_key, "method": cfg["method"],
            "setting": cfg["run"]["setting"], "seed": cfg["run"]["seed"],
            "test_accuracy": last.get("test_accuracy") if not error else None,
            "test_loss": last.get("test_loss") if not error else None,
            "train_accuracy": last.get("train_accuracy") if not error else None,
            "epochs": cfg["train"]["epochs"], "pretrain_epochs": self.pretrain_epochs,
            "epochs_completed": state.epoch, "seq_len": ds.seq_len, "n_classes": ds.n_classes,
            "wall_time_s": wall, "peak_memory_mb": peak_memory_mb(self.device),
            "config_hash": self.cell, "code_version": self.code, "resumed": len(state.resumes),
            "n_parameters": count_parameters(self.model),
            "n_train": len(self.train_split.index), "n_test": len(self.test_split.index),
            "data_loading_fraction": state.load_time_s / max(
                state.load_time_s + state.step_time_s, 1e-9),
            "aux_len_mean": state.aux_len_sum / state.aux_rows if state.aux_rows else None,
        }
        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_curve(self.run_dir / "curve.csv", state.curve)
        write_asrun(self.run_dir / "asrun.json", {
            "config": cfg, "environment": environment(self.device, self.threads),
            "dataset_manifest": ds.manifest,
            "cell_hash": self.cell, "code_version": self.code, "status": status, "error": error,
            "precision": self.precision, "group": self.group,
            "wall_time_s": wall, "peak_memory_mb": metrics["peak_memory_mb"],
            "started": state.started,
            "finished": time.time(), "resumes": state.resumes,
            "determinism": {"deterministic_algorithms": cfg["train"]["deterministic"],
                            "cudnn_deterministic": torch.backends.cudnn.deterministic,
                            "note": "bitwise reproducible on CPU; cuDNN LSTMs are not"},
        })
        write_metrics(self.run_dir / "metrics.json", metrics)
        if status == "completed":
            write_json(self.run_dir / FINISHED_RECORD, {
                "cell_hash": self.cell, "code_version": self.code, "seed": cfg["run"]["seed"],
                "files": {name: (self.run_dir / name).read_text() for name in RUN_FILES.values()}})
        return metrics

    def finished_record(self) -> dict | None:
        """The record a completed run of this config and code left in its folder, if any."""
        path = self.run_dir / FINISHED_RECORD
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        same = (record.get("cell_hash"), record.get("code_version"), record.get("seed")) == \
            (self.cell, self.code, self.cfg["run"]["seed"])
        return record if same else None

    def restore(self) -> RunState:
        payload = load_checkpoint(self.ckpt_path)
        state = RunState()
        if payload is None:
            return state
        if payload.get("code_version") != self.code:
            stale = self.ckpt_path.with_name(f"stale-{payload.get('code_version')}.pt")
            self.ckpt_path.replace(stale)
            self.log(f"[{self.label}] checkpoint made by other training code "
                     f"({payload.get('code_version')} != {self.code}); moved to {stale} and "
                     f"starting afresh so no result mixes code versions")
            return state
        if payload["cell_hash"] != self.cell or payload["seed"] != self.cfg["run"]["seed"]:
            raise TrainingError(
                f"checkpoint {self.ckpt_path} belongs to a different configuration "
                f"(cell {payload['cell_hash']}, seed {payload['seed']}); delete it or use "
                f"another --checkpoint-dir.")
        self.model.load_state_dict(payload["model"])
        self.optimizer.load_state_dict(payload["optimizer"])
        self.scheduler.load_state_dict(payload["scheduler"])
        torch.set_rng_state(payload["torch_rng"])
        self.anchor_gen.set_state(payload["anchor_rng"])
        if self.device.type == "cuda":
            if payload.get("cuda_rng") is None:
                self.log(f"[{self.label}] warning: checkpoint {self.ckpt_path} holds no CUDA "
                         f"random state (written on CPU); dropout masks from here on will "
                         f"differ from an uninterrupted run's")
            else:
                torch.cuda.set_rng_state(payload["cuda_rng"], self.device)
        state = RunState(payload["epoch"], payload["step"], payload["sums"], payload["curve"],
                         payload["wall_time_s"], payload["resumes"], payload["started"],
                         payload["load_time_s"], payload["step_time_s"],
                         payload["aux_len_sum"], payload["aux_rows"])
        state.resumes.append({"at": time.time(), "epoch": state.epoch, "step": state.step,
                              "device": str(self.device), "device_name": device_name(self.device)})
        self.log(f"[{self.label}] resumed from {self.ckpt_path} at epoch {state.epoch}, "
                 f"step {state.step}")
        return state

    def dropout_states(self) -> dict:
        """The generators a resume restores: the CPU's and, on a GPU, the run device's, from
        which dropout masks are drawn there; a group member's own dropout generator stands in
        for the one of its device type (restored, it seeds the member's generator again)."""
        cuda = self.device.type == "cuda"
        own = self.dropout_rng
        return {"torch_rng": own.get_state() if own is not None and not cuda
                else torch.get_rng_state(),
                "cuda_rng": None if not cuda else own.get_state() if own is not None
                else torch.cuda.get_rng_state(self.device)}

    def checkpoint(self, state: RunState, started: float) -> None:
        save_checkpoint(self.ckpt_path, {
            "cell_hash": self.cell, "seed": self.cfg["run"]["seed"], "code_version": self.code,
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            **self.dropout_states(),
            "anchor_rng": self.anchor_gen.get_state(),
            "epoch": state.epoch, "step": state.step, "sums": state.sums, "curve": state.curve,
            "wall_time_s": state.wall_time_s + (time.time() - started), "resumes": state.resumes,
            "started": state.started, "load_time_s": state.load_time_s,
            "step_time_s": state.step_time_s, "aux_len_sum": state.aux_len_sum,
            "aux_rows": state.aux_rows,
        })


class SeparateStep:
    """A run trained alone: its own model, optimizer and schedule, and `train_step`."""

    def __init__(self, run: TrainingRun):
        self.run = run
        self.model, self.optimizer, self.scheduler = run.model, run.optimizer, run.scheduler

    def step(self, x, y, train, phase, tallies, batch, first) -> None:
        train_step(self.model, self.optimizer, x, y, train, phase, self.run.anchor_gen,
                   tallies[0], batch, first)

    def sync(self, run: TrainingRun, g: int) -> None:
        """Its checkpoint is written from the objects it trains."""


def train_group(runs: list[TrainingRun], record_failure: bool = False,
                retry_oom: bool = False) -> list[dict]:
    """Train (or resume) runs of one cell (their seeds differ) to the end, as one grouped model
    when there are several (auxbench/train/group.py); their metrics, in order. A member that
    cannot go on is recorded failed and the others go on; with `record_failure` false the first
    failure is raised once every member's records are written (an out-of-memory, which stops the
    whole group, is raised at once when `retry_oom`)."""
    started = time.time()
    runs[0].open_data()
    for run in runs[1:]:
        run.share_data(runs[0])
    states = []
    for run in runs:
        states.append(run.build())
        states[-1].started = states[-1].started or started
        run.dropout_rng = None  # alone, a run draws from torch's generator
        if len(runs) > 1:  # a member draws its dropout from where its separate run's would
            run.dropout_rng = torch.Generator(run.device if run.device.type == "cuda" else "cpu")
            run.dropout_rng.set_state(torch.cuda.get_rng_state(run.device)
                                      if run.device.type == "cuda" else torch.get_rng_state())
    positions = {(s.epoch, s.step) for s in states}
    if len(positions) > 1:  # killed between two members' checkpoints: train each part alone
        parts = [[run for run, s in zip(runs, states) if (s.epoch, s.step) == where]
                 for where in sorted(positions)]
        return [m for part in parts for m in train_group(part, record_failure, retry_oom)]
    if len(runs) == 1:
        stepper = SeparateStep(runs[0])
    else:
        stepper = GroupStep(runs, [run.dropout_rng for run in runs],
                            lambda model: build_optimizer(runs[0].cfg, model,
                                                          runs[0].pretrain_epochs))
        for run in runs:
            run.group = [r.cfg["run"]["seed"] for r in runs]
    loop = TrainingLoop(runs, states, stepper)
    try:
        with stop_on_sigterm() as flag:
            try:
                loop.run(flag, started)
            except (MemoryError, torch.OutOfMemoryError) as err:
                key = ("eval_tokens (or eval_batch_size)" if loop.doing == "evaluation"
                       else "batch_size")
                raise OutOfMemory(
                    f"out of memory in {loop.doing} at epoch {loop.epoch + 1} "
                    f"({type(err).__name__}); lower train.{key}, run fewer jobs per GPU or "
                    f"use a machine with more memory") from None
    except TrainingError as err:
        if not record_failure or (retry_oom and isinstance(err, OutOfMemory)):
            raise
        for run in runs:
            if run.error is None:
                run.error = str(err)
                run.log(f"[{run.label}] FAILED: {err}")
    metrics = [run.finish(state, started) for run, state in zip(runs, states)]
    failed = [run for run in runs if run.error is not None]
    if failed and not record_failure:
        raise TrainingError(failed[0].error)
    return metrics


class TrainingLoop:
    """The epochs of one or several runs of a cell, stepped together by `stepper`."""

    def __init__(self, runs: list[TrainingRun], states: list[RunState], stepper):
        self.runs, self.states, self.stepper = runs, states, stepper
        self.doing, self.epoch = "setup", states[0].epoch  # what an out-of-memory interrupted

    def live(self) -> list[int]:
        return [g for g, run in enumerate(self.runs) if run.error is None]

    def checkpoint(self, started: float) -> None:
        for g in self.live():
            self.stepper.sync(self.runs[g], g)
            self.runs[g].checkpoint(self.states[g], started)

    def read(self, tallies: list[StepTally], where: str) -> list[dict | None]:
        """Each member's sums; a member whose step was not finite fails here (alone, if it is
        one of several: the others go on), its last good checkpoint kept."""
        sums: list[dict | None] = []
        for g, (run, tally) in enumerate(zip(self.runs, tallies)):
            if run.error is not None:
                sums.append(None)
                continue
            try:
                sums.append(tally.read(where, run.ckpt_path))
            except TrainingError as err:
                if len(self.runs) == 1:
                    raise
                run.error = str(err)
                run.log(f"[{run.label}] FAILED: {err}")
                sums.append(None)
        return sums

    def run(self, flag: dict, started: float) -> None:
        runs, states, stepper = self.runs, self.states, self.stepper
        lead = runs[0]
        cfg, t = lead.cfg, lead.cfg["train"]
        n_train = len(lead.train_split.index)
        batches = math.ceil(n_train / t["batch_size"])
        stepper.model.train()
        first_batch = states[0].step  # every member is at the same place
        while self.epoch < lead.total_epochs and self.live():
            epoch, phase = self.epoch, lead.phase(self.epoch)
            epoch_start = time.time()
            orders = [np.random.default_rng([run.cfg["run"]["seed"], epoch]).permutation(n_train)
                      for run in runs]
            self.doing = "training"
            tallies = [StepTally(lead.device, s.sums) for s in states]
            where = f"epoch {epoch + 1}, batch {{}}"
            bar = EpochProgress(cfg["runtime"]["progress"], batches, initial=first_batch,
                                desc=f"{lead.label} epoch {epoch + 1}/{lead.total_epochs}")
            for b in range(first_batch, batches):
                loaded = time.perf_counter()
                host = [lead.train_split.host_batch(order[b * t["batch_size"]:
                                                          (b + 1) * t["batch_size"]])
                        for order in orders]
                xh = torch.cat([x for x, _ in host]) if len(host) > 1 else host[0][0]
                yh = torch.cat([y for _, y in host]) if len(host) > 1 else host[0][1]
                x, y = to_device(xh, lead.device), to_device(yh, lead.device)
                stepped = time.perf_counter()
                stepper.step(x, y, t, phase, tallies, b, first_real_step(xh, lead.pad_token))
                for s in states:
                    s.load_time_s += stepped - loaded
                    s.step_time_s += time.perf_counter() - stepped
                    s.step = b + 1
                bar.update()
                if flag["stop"]:
                    bar.close()
                    for s, sums in zip(states, self.read(tallies, where)):
                        if sums is not None:
                            s.sums = {**sums, "time": sums["time"] + time.time() - epoch_start}
                    self.checkpoint(started)
                    raise Preempted(f"stopped by SIGTERM at epoch {epoch + 1}, batch {b + 1}; "
                                    f"checkpoint {lead.ckpt_path}; rerun to resume")
            bar.close()
            sums = self.read(tallies, where)
            self.doing = "evaluation"
            evaluated = [(None, None)] * len(runs)  # empty cells: not evaluated
            tested = [(None, None)] * len(runs)
            try:
                if evaluates(epoch + 1, lead.total_epochs, t["eval_every"]):
                    evaluated = evaluate(stepper.model, lead.train_subset, cfg, lead.device, flag)
                    tested = evaluate(stepper.model, lead.test_split, cfg, lead.device, flag)
            except EvaluationStopped:  # the epoch's training is kept; its evaluation reruns
                for s, member_sums in zip(states, sums):
                    if member_sums is not None:
                        s.sums = {**member_sums,
                                  "time": member_sums["time"] + time.time() - epoch_start}
                self.checkpoint(started)
                raise Preempted(f"stopped by SIGTERM in the evaluation after epoch {epoch + 1}; "
                                f"checkpoint {lead.ckpt_path}; rerun to resume") from None
            lr = stepper.optimizer.param_groups[0]["lr"]
            stepper.scheduler.step()
            for g in self.live():
                self.record(g, epoch, phase, sums[g], evaluated[g], tested[g], lr, epoch_start)
            self.checkpoint(started)
            self.epoch, first_batch = epoch + 1, 0
            for g in self.live():
                row = states[g].curve[-1]
                runs[g].log(f"[{runs[g].label}] epoch {epoch + 1}/{lead.total_epochs} ({phase}) "
                            + " ".join(f"{k}={v:.4g}" for k, v in row.items()
                                       if isinstance(v, float) and k not in ("lr",))
                            + f" lr={lr:.3g}")

    def record(self, g: int, epoch: int, phase: str, sums: dict, evaluated: tuple,
               tested: tuple, lr: float, epoch_start: float) -> None:
        """Member g's curve row for the epoch; its state moves on to the next epoch."""
        run, state, t = self.runs[g], self.states[g], self.runs[g].cfg["train"]
        state.aux_len_sum += sums["aux_len"]
        state.aux_rows += sums["aux_rows"]
        n = max(sums["n"], 1)
        state.curve.append({
            "epoch": epoch + 1, "phase": phase,
            "train_loss": evaluated[0], "train_accuracy": evaluated[1],
            "test_loss": tested[0], "test_accuracy": tested[1],
            "running_loss_sup": sums["sup"] / n if phase == "train" else None,
            "running_loss_aux": sums["aux"] / n if METHODS[run.cfg["method"]].auxiliary and (
                phase == "pretrain" or t["aux_in_training"]) else None,
            "running_accuracy": sums["correct"] / n if phase == "train" else None,
            "lr": lr, "wall_time_s": sums["time"] + time.time() - epoch_start})
        state.epoch, state.step, state.sums = epoch + 1, 0, {}


def train_run(cfg: dict, run_dir: Path, checkpoint_dir: Path, record_failure: bool = False,
              retry_oom: bool = False) -> dict:
    return TrainingRun(cfg, run_dir, checkpoint_dir).execute(record_failure, retry_oom)
