"""What an auxiliary loss declares (torch-free), and the arithmetic several losses share."""

from __future__ import annotations

from typing import ClassVar

from auxbench.errors import ConfigError


class AuxLoss:
    """A declaration; subclasses set the class attributes and override what differs."""

    kind: str            # the registry key; nothing outside the loss's package spells it
    prefix: str          # of its methods' names: "r" + "lstm" -> "rlstm"
    about: str           # one line: what it trains the network to do
    color: str           # Okabe & Ito's colour-blind-safe palette: the loss by colour
    linestyle: str | tuple
    anchored: bool = True  # draws random anchors (train/anchors.py); else dense, no anchors
    reserved_steps: int = 0  # steps of the real document a subsequence of l_eff cannot use
    defaults: ClassVar[dict] = {}  # its option defaults, merged into config.DEFAULTS
    schema: ClassVar[dict] = {}    # JSON schema of those options, merged into config.run_schema
    # An option outside the paper's method may be named in the setting, so every label made
    # from the setting says so: the suffix, its label, and the run-config layer it stands for.
    setting_suffix: str | None = None
    suffix_label: str = ""
    suffix_layer: ClassVar[dict] = {}

    def anchor_bounds(self, first, lengths, length: int):
        """The lowest and highest anchor of each example whose real document starts at `first`
        and whose subsequence is `lengths` long (ints or host tensors alike)."""
        raise NotImplementedError

    def check(self, cfg: dict) -> None:
        """Raise ConfigError naming the key when a run config does not suit this loss."""

    def suffixed(self, cfg: dict) -> bool:
        """Whether a run config uses the option `setting_suffix` names."""
        return False

    def flops(self, cfg: dict, count, batch: int, length: int, channels: int
              ) -> tuple[float, float]:
        """(forward FLOPs with gradient, without) of this loss in one training step; `count` is
        `resource_benchmark.flops` (cell, linear, auxiliary network)."""
        raise NotImplementedError


def with_options(*parts: dict) -> dict:
    """Option fragments (`defaults` or `schema`) joined section by section, so a loss declares
    the options it shares with other losses and its own as one fragment."""
    return {section: {key: value for part in parts for key, value in part.get(section, {}).items()}
            for section in dict.fromkeys(section for part in parts for section in part)}


# The auxiliary LSTM and decoder options r- and p-LSTM share; each declares them as its own.
AUX_LSTM_DEFAULTS: dict = {"model": {
    "aux_hidden": 256,             # stated: 2x256 auxiliary LSTM
    "aux_layers": 2,
    "aux_state_init": "zero_pad",  # §8.5: copy (h, c) into the first units; or project, match
    "aux_bos": False,              # §8.3: first subsequence token starts the decoder
    "aux_teacher_forcing": True,   # §1.3 "optionally fed": false = decoder reads no tokens
    "share_embedding": True,       # §8.8: decoder shares the input embedding
}}
AUX_LSTM_SCHEMA: dict = {"model": {
    "aux_hidden": {"type": "integer", "minimum": 1},
    "aux_layers": {"type": "integer", "minimum": 1},
    "aux_state_init": {"enum": ["zero_pad", "project", "match"]},
    "aux_bos": {"type": "boolean"},
    "aux_teacher_forcing": {"type": "boolean"},
    "share_embedding": {"type": "boolean"},
}}


def rows(cfg: dict, batch: int) -> int:
    """Auxiliary rows of an anchored loss: one per (example, anchor)."""
    return batch * cfg["train"]["n_anchors"]


def truncation_length(bptt, length: int) -> int:
    """The steps of gradient a truncation setting gives over `length` steps: "full" or K
    (the supervised `train.bptt` and the auxiliary `train.aux_bptt` alike)."""
    return length if bptt == "full" else min(int(bptt), length)


def aux_window(cfg: dict, length: int) -> int:
    """The auxiliary truncation: steps of gradient ending at an anchor (train.aux_bptt)."""
    return truncation_length(cfg["train"]["aux_bptt"], length)


def check_decoder_len(cfg: dict, who: str) -> None:
    """A decoder fed its first token predicts aux_len - 1 tokens, so it needs aux_len >= 2."""
    model = cfg["model"]
    if cfg["train"]["aux_len"] < (1 if model["aux_bos"] or not model["aux_teacher_forcing"] else 2):
        raise ConfigError(f"train.aux_len: {who} aux_len - 1 tokens after the first one, so it "
                          f"needs aux_len >= 2 (>= 1 with model.aux_bos: true or "
                          f"model.aux_teacher_forcing: false)")


def check_aux_lstm(cfg: dict) -> None:
    """An auxiliary LSTM that starts from a copy of the main state must be at least as wide."""
    model = cfg["model"]
    if model["aux_state_init"] == "zero_pad" and model["aux_hidden"] < model["hidden"]:
        raise ConfigError(f"model.aux_state_init: zero_pad copies the main state into the "
                          f"auxiliary LSTM, so model.aux_hidden ({model['aux_hidden']}) must be "
                          f">= model.hidden ({model['hidden']}); or use project or match")
