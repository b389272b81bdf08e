"""The training run: phases, epochs, evaluation, checkpoints and records.

Pretraining minimises the auxiliary loss alone; training minimises L_sup + w * L_aux
(docs/paper.md §1.7); each phase runs its own learning-rate schedule from train.lr. A run
checkpoints after every epoch (and when asked to stop by SIGTERM), resumes from its last
checkpoint, and stops with a clear error on a non-finite loss or gradient.
"""

from __future__ import annotations

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
from auxbench.config import cell_hash
from auxbench.errors import OutOfMemory, TrainingError
from auxbench.feasibility import check_batches, check_fits
from auxbench.methods import METHODS
from auxbench.models import build_model, count_parameters
from auxbench.models.recurrent import RecurrentClassifier
from auxbench.paths import RunKey
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
             ) -> tuple[float, float]:
    """Loss and accuracy in eval mode (no dropout) over every example of the split (none
    dropped). `stop`: the SIGTERM flag, checked between batches (EvaluationStopped), so that a
    long evaluation does not outlast a scheduler's grace time."""
    model.eval()
    totals = torch.zeros(2, dtype=torch.float64, device=device)  # loss sum, correct; read once
    n = len(split.index)
    order = np.arange(n)
    size = evaluation_batch(cfg["train"], split.x.shape[1], isinstance(model, RecurrentClassifier))
    for start in range(0, n, size):
        if stop is not None and stop["stop"]:
            model.train()
            raise EvaluationStopped
        x, y = split.batch(order[start:start + size], device)
        with autocast(cfg["train"], device):
            logits = predict_logits(model, x, cfg["train"]["scan_chunk"]).float()
        totals += torch.stack([F.cross_entropy(logits, y, reduction="sum").double(),
                               (logits.argmax(1) == y).sum().double()])
    model.train()
    loss_sum, correct = totals.tolist()
    return loss_sum / n, correct / n


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
    """One training run, resumable from its checkpoint."""

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
        self.doing = "setup"  # what an out-of-memory interrupted: training or evaluation

    def phase(self, epoch: int) -> str:
        return "pretrain" if epoch < self.pretrain_epochs else "train"

    def execute(self, record_failure: bool = False, retry_oom: bool = False) -> dict:
        """Train (or resume) to the end; `record_failure`: a run that cannot go on is recorded as
        failed, except an out-of-memory when `retry_oom` (an attempt that is not the last)."""
        cfg = self.cfg
        started = time.time()
        self.device = resolve_device(cfg["runtime"]["device"])
        self.threads = setup_torch(cfg["runtime"]["threads"], cfg["train"]["deterministic"])
        self.precision = set_precision(cfg["train"])
        progress_mode = cfg["runtime"]["progress"]
        ds, self.train_split, self.train_subset, self.test_split = open_splits(
            cfg, progress_mode != "none")
        manifest = ds.manifest
        check_fits(cfg, ds.seq_len)
        check_batches(cfg, len(self.train_split.index))
        torch.manual_seed(cfg["run"]["seed"])
        self.model = build_model(cfg, ds.channels, ds.vocab_size, ds.n_classes,
                                 ds.pad_token).to(self.device)
        self.pad_token = ds.pad_token
        self.optimizer, self.scheduler = build_optimizer(cfg, self.model, self.pretrain_epochs)
        self.anchor_gen = torch.Generator().manual_seed(1_000_003 * cfg["run"]["seed"] + 17)
        state = self.restore()
        state.started = state.started or started
        error = None
        try:
            with stop_on_sigterm() as flag:
                try:
                    self.loop(state, flag, started)
                except (MemoryError, torch.OutOfMemoryError) as err:
                    key = ("eval_tokens (or eval_batch_size)" if self.doing == "evaluation"
                           else "batch_size")
                    raise OutOfMemory(
                        f"out of memory in {self.doing} at epoch {state.epoch + 1} "
                        f"({type(err).__name__}); lower train.{key}, run fewer jobs per GPU or "
                        f"use a machine with more memory") from None
        except TrainingError as err:
            if not record_failure or (retry_oom and isinstance(err, OutOfMemory)):
                raise
            error = str(err)
            self.log(f"[{self.label}] FAILED: {error}")
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
            "dataset_manifest": manifest,
            "cell_hash": self.cell, "code_version": self.code, "status": status, "error": error,
            "precision": self.precision,
            "wall_time_s": wall, "peak_memory_mb": metrics["peak_memory_mb"],
            "started": state.started,
            "finished": time.time(), "resumes": state.resumes,
            "determinism": {"deterministic_algorithms": cfg["train"]["deterministic"],
                            "cudnn_deterministic": torch.backends.cudnn.deterministic,
                            "note": "bitwise reproducible on CPU; cuDNN LSTMs are not"},
        })
        write_metrics(self.run_dir / "metrics.json", metrics)
        return metrics

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

    def checkpoint(self, state: RunState, started: float) -> None:
        save_checkpoint(self.ckpt_path, {
            "cell_hash": self.cell, "seed": self.cfg["run"]["seed"], "code_version": self.code,
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "torch_rng": torch.get_rng_state(), "anchor_rng": self.anchor_gen.get_state(),
            # on a GPU, dropout masks come from the run device's generator
            "cuda_rng": (torch.cuda.get_rng_state(self.device) if self.device.type == "cuda"
                         else None),
            "epoch": state.epoch, "step": state.step, "sums": state.sums, "curve": state.curve,
            "wall_time_s": state.wall_time_s + (time.time() - started), "resumes": state.resumes,
            "started": state.started, "load_time_s": state.load_time_s,
            "step_time_s": state.step_time_s, "aux_len_sum": state.aux_len_sum,
            "aux_rows": state.aux_rows,
        })

    def loop(self, state: RunState, flag: dict, started: float) -> None:
        cfg, t = self.cfg, self.cfg["train"]
        n_train = len(self.train_split.index)
        batches = math.ceil(n_train / t["batch_size"])
        self.model.train()
        while state.epoch < self.total_epochs:
            epoch, phase = state.epoch, self.phase(state.epoch)
            epoch_start = time.time()
            order = np.random.default_rng([cfg["run"]["seed"], epoch]).permutation(n_train)
            self.doing = "training"
            tally = StepTally(self.device, state.sums)
            where = f"epoch {epoch + 1}, batch {{}}"
            bar = EpochProgress(cfg["runtime"]["progress"], batches, initial=state.step,
                                desc=f"{self.label} epoch {epoch + 1}/{self.total_epochs}")
            for b in range(state.step, batches):
                rows = order[b * t["batch_size"]:(b + 1) * t["batch_size"]]
                loaded = time.perf_counter()
                xh, yh = self.train_split.host_batch(rows)
                x, y = to_device(xh, self.device), to_device(yh, self.device)
                stepped = time.perf_counter()
                train_step(self.model, self.optimizer, x, y, t, phase, self.anchor_gen, tally, b,
                           first_real_step(xh, self.pad_token))
                state.load_time_s += stepped - loaded
                state.step_time_s += time.perf_counter() - stepped
                state.step = b + 1
                bar.update()
                if flag["stop"]:
                    bar.close()
                    state.sums = tally.read(where, self.ckpt_path)
                    state.sums["time"] += time.time() - epoch_start
                    self.checkpoint(state, started)
                    raise Preempted(f"stopped by SIGTERM at epoch {epoch + 1}, batch {b + 1}; "
                                    f"checkpoint {self.ckpt_path}; rerun to resume")
            bar.close()
            sums = tally.read(where, self.ckpt_path)
            self.doing = "evaluation"
            train_loss = train_acc = test_loss = test_acc = None  # empty cells: not evaluated
            try:
                if evaluates(epoch + 1, self.total_epochs, t["eval_every"]):
                    train_loss, train_acc = evaluate(self.model, self.train_subset, cfg,
                                                     self.device, flag)
                    test_loss, test_acc = evaluate(self.model, self.test_split, cfg,
                                                   self.device, flag)
            except EvaluationStopped:  # the epoch's training is kept; its evaluation reruns
                state.sums = {**sums, "time": sums["time"] + time.time() - epoch_start}
                self.checkpoint(state, started)
                raise Preempted(f"stopped by SIGTERM in the evaluation after epoch {epoch + 1}; "
                                f"checkpoint {self.ckpt_path}; rerun to resume") from None
            state.aux_len_sum += sums["aux_len"]
            state.aux_rows += sums["aux_rows"]
            lr = self.optimizer.param_groups[0]["lr"]
            self.scheduler.step()
            n = max(sums["n"], 1)
            row = {"epoch": epoch + 1, "phase": phase,
                   "train_loss": train_loss, "train_accuracy": train_acc,
                   "test_loss": test_loss, "test_accuracy": test_acc,
                   "running_loss_sup": sums["sup"] / n if phase == "train" else None,
                   "running_loss_aux": sums["aux"] / n if METHODS[self.cfg["method"]].auxiliary and (
                       phase == "pretrain" or t["aux_in_training"]) else None,
                   "running_accuracy": sums["correct"] / n if phase == "train" else None,
                   "lr": lr, "wall_time_s": sums["time"] + time.time() - epoch_start}
            state.curve.append(row)
            state.epoch, state.step, state.sums = epoch + 1, 0, {}
            self.checkpoint(state, started)
            self.log(f"[{self.label}] epoch {epoch + 1}/{self.total_epochs} ({phase}) " + " ".join(
                f"{k}={v:.4g}" for k, v in row.items()
                if isinstance(v, float) and k not in ("lr",)) + f" lr={lr:.3g}")


def train_run(cfg: dict, run_dir: Path, checkpoint_dir: Path, record_failure: bool = False,
              retry_oom: bool = False) -> dict:
    return TrainingRun(cfg, run_dir, checkpoint_dir).execute(record_failure, retry_oom)
