"""The datasets: each one's options, cache key, sequence shape, builder; and ``prepare``.

A spec is a small dict, e.g. ``{"name": "pmnist", "permutation_seed": 92916}``,
``{"name": "mnist", "side": 14}`` (area-downsampled: 196 steps),
``{"name": "stanford_dogs", "side": 64}``, ``{"name": "dbpedia", "max_len": 1024}``,
``{"name": "embedded_mnist", "side": 16, "tail": 200}``. :func:`validate_spec` fills the
defaults and refuses unknown names, keys and values with a :class:`ConfigError` naming the key
and the allowed values. Subsets are not part of a dataset: they are the run options
``train.train_size``/``train.test_size`` (see :func:`auxbench.data.batches.subset_indices`).

Keys (:func:`dataset_key`) are readable and stable: every option that is in the key is spelled
out; datasets with options outside the key (the embedded family) end in a short hash of the whole
validated spec.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from . import cifar10, dbpedia, embedded_images, embedded_text, mnist, stanford_dogs, uci_digits
from .cache import is_prepared, write_prepared
from .progress import log
from .sources import DBPEDIA_ROWS


@dataclass(frozen=True)
class Option:
    default: Any
    kind: str  # "int", "float", "int_or_none"
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    help: str = ""
    choices: tuple = ()

    def allowed(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(map(str, self.choices))
        if self.kind == "float":
            lo = "" if self.lo is None else (f"> {self.lo}" if self.lo_open else f">= {self.lo}")
            hi = "" if self.hi is None else f"<= {self.hi}"
            return "a number " + " and ".join(p for p in (lo, hi) if p)
        rng = f"{self.lo if self.lo is not None else '-inf'}..{self.hi if self.hi is not None else 'inf'}"
        base = f"an integer in {rng}"
        return base + (" or null" if self.kind == "int_or_none" else "")

    def check(self, dataset: str, key: str, value: Any) -> Any:
        where = f"dataset.{key}"
        if value is None and self.kind == "int_or_none":
            return None
        if self.kind == "choice":
            if value not in self.choices:
                raise ConfigError(f"{where} = {value!r} for {dataset}: expected {self.allowed()}.")
            return value
        if self.kind in ("int", "int_or_none"):
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ConfigError(f"{where} = {value!r} for {dataset}: expected "
                                      f"{self.allowed()}.")
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{where} = {value!r} for {dataset}: expected {self.allowed()}.")
            value = float(value)
        bad = (self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo)) or \
              (self.hi is not None and value > self.hi)
        if bad:
            raise ConfigError(f"{where} = {value!r} for {dataset}: expected {self.allowed()}.")
        return value


@dataclass(frozen=True)
class DatasetDef:
    name: str
    options: dict[str, Option]
    key: Callable[[dict], str]
    kind: str  # "real" (built from raw files) or "embedded" (generated from the spec alone)
    description: str
    # (steps, channels) of a validated spec, known before preparing: the planner checks runs with it
    shape: Callable[[dict], tuple[int, int]]
    # (training, test) examples of a validated spec, known before preparing: the cost estimate
    sizes: Callable[[dict], tuple[int, int]]
    # real: build(spec, raw_dir, mirror, progress, sources, **fetch_kw); embedded:
    # build(spec, progress); both -> (arrays, manifest info)
    build: Callable[..., tuple[dict, dict]]
    checks: tuple[Callable[[dict], None], ...] = ()  # rules across options, after each is valid


def _short_hash(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]


_SEED = Option(0, "int", 0, 2**32 - 1, help="generator seed")
_NOISE = Option(0.1, "float", 0.0, 1.0, help="noise std as a fraction of 255")
_REGION = Option(0.5, "float", 0.0, 1.0, lo_open=True,
                 help="fraction of the rows (from the top) where the glyph may lie")
_FONT = Option("digits", "choice", choices=("digits", "dots"),
               help="glyph shapes: digit strokes, or fixed random dot patterns per class")
_TAIL = Option(0, "int", 0, 1_000_000, help="background steps appended after the image")
_LEVELS = Option(256, "int", 2, 256,
                 help="values per channel: pixels are rounded to this many evenly spaced values "
                      "in 0..255 (256 = no rounding), a coarser colour depth")
_INK_MIN = Option(170, "int", 0, 255,
                  help="greyscale glyph ink is uniform in [ink_min, 255]; 255 = constant ink")


def _n(default: int) -> Option:
    return Option(default, "int", 1, 10_000_000, help="number of examples")


def _image_options(side: int, n_train: int, n_test: int, **extra: Option) -> dict[str, Option]:
    """The options every generated image dataset shares, plus its own."""
    return {"side": Option(side, "int", 8, 128), "tail": _TAIL, "n_train": _n(n_train),
            "n_test": _n(n_test), "seed": _SEED, "noise": _NOISE, "region": _REGION,
            "font": _FONT, "levels": _LEVELS, **extra}


def _image_key(name: str) -> Callable[[dict], str]:
    return lambda s: f"{name}-s{s['side']}-t{s['tail']}-{_short_hash(s)}"


def _side(original: int) -> Option:
    return Option(original, "int", 4, original,
                  help=f"image side after area downsampling (the original {original})")


def _side_suffix(s: dict, original: int) -> str:
    """Nothing at the original side, so the paper-scale keys stay as they were."""
    return "" if s["side"] == original else f"-s{s['side']}"


def _fixed_sizes(train: int, test: int) -> Callable[[dict], tuple[int, int]]:
    """The official split of a real dataset."""
    return lambda s: (train, test)


def _spec_sizes(s: dict) -> tuple[int, int]:
    return s["n_train"], s["n_test"]


def _image_shape(channels: int) -> Callable[[dict], tuple[int, int]]:
    """Pixels in raster order, then the tail (if the dataset has one)."""
    return lambda s: (s["side"] ** 2 + s.get("tail", 0), channels)


def _uci_digits_shape(s: dict) -> tuple[int, int]:
    return uci_digits.SIDE ** 2 + s["tail"], 1


def _text_shape(s: dict) -> tuple[int, int]:
    if s["max_len"] is None:
        raise ConfigError(f"dataset.max_len: the length of {s['name']} with max_len null is only "
                          "known after preparing it; give a number")
    return s["max_len"], 1


def _glyph_fits(s: dict) -> None:
    if s["region"] * s["side"] + 1e-9 < 7:
        raise ConfigError(f"dataset.region = {s['region']} with side {s['side']} leaves "
                          f"{int(s['region'] * s['side'])} rows for the glyph; it needs at "
                          f"least 7: raise region or side (region >= {7 / s['side']:.3g}).")


def _lengths_ordered(s: dict) -> None:
    if s["min_len"] is not None and s["min_len"] > s["max_len"]:
        raise ConfigError(f"dataset.min_len = {s['min_len']} exceeds dataset.max_len = "
                          f"{s['max_len']}: allowed values are 96..max_len or null.")


DATASETS: dict[str, DatasetDef] = {d.name: d for d in (
    DatasetDef("mnist", {"side": _side(mnist.SIDE)}, lambda s: "mnist" + _side_suffix(s, mnist.SIDE),
               "real", "MNIST, side x side greyscale steps (784 at the original 28)",
               _image_shape(1), _fixed_sizes(60_000, 10_000), mnist.build),
    DatasetDef(
        "pmnist", {"permutation_seed": Option(92916, "int", 0, 2**32 - 1), "side": _side(mnist.SIDE)},
        lambda s: ("pmnist" if s["permutation_seed"] == 92916 else f"pmnist-p{s['permutation_seed']}")
        + _side_suffix(s, mnist.SIDE),
        "real", "permuted MNIST, one fixed permutation of the side x side steps", _image_shape(1),
        _fixed_sizes(60_000, 10_000), mnist.build_permuted),
    DatasetDef("cifar10", {"side": _side(cifar10.SIDE)},
               lambda s: "cifar10" + _side_suffix(s, cifar10.SIDE), "real",
               "CIFAR-10, side x side RGB steps (1024 at the original 32)", _image_shape(3),
               _fixed_sizes(50_000, 10_000), cifar10.build),
    DatasetDef(
        "dbpedia", {"max_len": Option(1024, "int_or_none", 1, 1_000_000)},
        lambda s: "dbpedia-l" + ("max" if s["max_len"] is None else str(s["max_len"])),
        "real", "DBpedia ontology, UTF-8 bytes, left-padded", _text_shape,
        _fixed_sizes(DBPEDIA_ROWS["train"], DBPEDIA_ROWS["test"]), dbpedia.build),
    DatasetDef(
        "stanford_dogs", {"side": Option(64, "int", 4, 512)},
        lambda s: f"stanford_dogs-s{s['side']}", "real",
        "Stanford Dogs, side x side RGB steps", _image_shape(3), _fixed_sizes(12_000, 8_580),
        stanford_dogs.build),
    DatasetDef(
        "uci_digits",
        {"tail": _TAIL,
         "n_test": Option(450, "int", 10, uci_digits.N_IMAGES - 10,
                          help="held-out images, class-stratified (the rest train)"),
         "split_seed": Option(0, "int", 0, 2**32 - 1, help="seed of the train/test split")},
        lambda s: f"uci_digits-t{s['tail']}-n{s['n_test']}-s{s['split_seed']}", "real",
        "UCI handwritten digits, 8x8 greyscale steps then the tail", _uci_digits_shape,
        lambda s: (uci_digits.N_IMAGES - s["n_test"], s["n_test"]), uci_digits.build),
    DatasetDef(
        "embedded_mnist", _image_options(16, 10_000, 2_000, ink_min=_INK_MIN),
        _image_key("embedded_mnist"), "embedded", "generated greyscale digit glyphs",
        _image_shape(1), _spec_sizes, embedded_images.build_mnist, (_glyph_fits,)),
    DatasetDef(
        "embedded_pmnist",
        _image_options(16, 10_000, 2_000, ink_min=_INK_MIN,
                       permutation_seed=Option(92916, "int", 0, 2**32 - 1)),
        _image_key("embedded_pmnist"), "embedded",
        "generated greyscale digit glyphs, permuted pixels", _image_shape(1),
        _spec_sizes, embedded_images.build_pmnist, (_glyph_fits,)),
    DatasetDef(
        "embedded_cifar", _image_options(32, 10_000, 2_000), _image_key("embedded_cifar"),
        "embedded", "generated colour glyphs, 10 classes (shape x colour)", _image_shape(3),
        _spec_sizes, embedded_images.build_cifar, (_glyph_fits,)),
    DatasetDef(
        "embedded_dogs", _image_options(32, 2_000, 500, n_classes=Option(10, "int", 2, 120)),
        lambda s: (f"embedded_dogs-s{s['side']}-c{s['n_classes']}-t{s['tail']}-"
                   f"{_short_hash(s)}"), "embedded",
        "generated colour glyphs at growing resolution", _image_shape(3),
        _spec_sizes, embedded_images.build_dogs, (_glyph_fits,)),
    DatasetDef(
        "embedded_text",
        {"max_len": Option(256, "int", 96, 1_000_000),
         "min_len": Option(None, "int_or_none", 96, 1_000_000),
         "n_classes": Option(14, "int", 2, 14), "n_train": _n(10_000), "n_test": _n(2_000),
         "seed": _SEED},
        lambda s: f"embedded_text-l{s['max_len']}-{_short_hash(s)}", "embedded",
        "generated byte documents, keywords early, neutral filler", _text_shape,
        _spec_sizes, embedded_text.build, (_lengths_ordered,)),
)}


def dataset_names() -> list[str]:
    return list(DATASETS)


def validate_spec(spec: dict | str) -> dict:
    """Return a new spec with every default filled in (run options kept if given).

    Raises ConfigError naming the key and the allowed values for an unknown dataset name, an
    unknown option, or a value of the wrong type or range.
    """
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict):
        raise ConfigError(f"dataset: expected a mapping with a 'name', got {spec!r}.")
    name = spec.get("name")
    if name not in DATASETS:
        raise ConfigError(f"dataset.name = {name!r}: allowed values are "
                          f"{', '.join(DATASETS)}.")
    d = DATASETS[name]
    unknown = sorted(set(spec) - set(d.options) - {"name"})
    if unknown:
        opts = ", ".join(sorted(d.options)) or "none"
        hint = (f" (subsets are run options: train.{unknown[0]})"
                if unknown[0] in ("train_size", "test_size") else "")
        raise ConfigError(f"dataset.{unknown[0]} is not an option of {name}; its options are: "
                          f"{opts}{hint}.")
    out: dict[str, Any] = {"name": name}
    for key, opt in d.options.items():
        out[key] = opt.check(name, key, spec.get(key, opt.default))
    for check in d.checks:
        check(out)
    return out


def dataset_key(spec: dict | str) -> str:
    """Stable readable cache key, e.g. ``mnist``, ``stanford_dogs-s64``, ``dbpedia-l1024``."""
    s = validate_spec(spec)
    return DATASETS[s["name"]].key(s)


def sequence_shape(spec: dict | str) -> tuple[int, int]:
    """(steps, channels) the prepared dataset will have, known without preparing it."""
    s = validate_spec(spec)
    return DATASETS[s["name"]].shape(s)


def split_sizes(spec: dict | str) -> tuple[int, int]:
    """(training, test) examples the prepared dataset will have, known without preparing it."""
    s = validate_spec(spec)
    return DATASETS[s["name"]].sizes(s)


def prepared_path(spec: dict | str, data_root: str | os.PathLike) -> Path:
    return Path(data_root) / "prepared" / dataset_key(spec)


class _Lock:
    """An exclusive advisory lock on ``<prepared>/.<key>.lock`` (one preparer per dataset)."""

    def __init__(self, path: Path):
        self.path = path
        self.fh = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
        self.fh.close()


def build_arrays(spec: dict, data_root: str | os.PathLike, mirror: Any = None,
                 progress: Any = None, sources: Any = None, **fetch_kw):
    """Build (arrays, info) for a validated dataset spec (no caching)."""
    d = DATASETS[spec["name"]]
    if d.kind == "embedded":
        if sources is not None:
            raise ValueError("embedded datasets have no sources")
        return d.build(spec, progress)
    return d.build(spec, Path(data_root) / "raw", mirror, progress, sources, **fetch_kw)


def prepare(spec: dict | str, data_root: str | os.PathLike, mirror: str | os.PathLike | None = None,
            progress: Any = None, *, force: bool = False, sources: Any = None,
            **fetch_kw) -> Path:
    """Make sure ``<data_root>/prepared/<key>/`` holds the dataset; return that folder.

    Idempotent: returns at once when a valid prepared folder made from the same spec exists
    (cheap check; use :func:`verify_prepared` for a full re-hash). Otherwise the raw files are
    obtained (mirror, ``<data_root>/raw``, or download; see :func:`auxbench.data.download.fetch`)
    and verified, parsed, and written atomically with the manifest last. ``sources`` replaces the
    registered raw files (private copies, tests); its checksums are then the ones enforced.
    """
    s = validate_spec(spec)
    key = DATASETS[s["name"]].key(s)
    folder = Path(data_root) / "prepared" / key
    if not force and is_prepared(folder, s):
        return folder
    with _Lock(folder.parent / f".{key}.lock"):
        if not force and is_prepared(folder, s):  # another process finished it meanwhile
            return folder
        log(f"preparing {key} in {folder}", progress)
        arrays, info = build_arrays(s, data_root, mirror, progress, sources, **fetch_kw)
        info = dict(info)
        info.update({"dataset_key": key, "spec": s, "name": s["name"],
                     "kind": DATASETS[s["name"]].kind})
        if folder.exists():  # an invalid, stale or half-written folder: start clean
            shutil.rmtree(folder)
        write_prepared(folder, arrays, info)
        log(f"prepared {key}: train {arrays['train_x'].shape}, test {arrays['test_x'].shape}",
            progress)
    if not is_prepared(folder, s):  # pragma: no cover - would be a bug in write_prepared
        raise DataError(f"{folder} was written but does not load back.")
    return folder
