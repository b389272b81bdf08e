"""p-LSTM's loss (the paper's): from a random anchor, an auxiliary LSTM predicts the `aux_len`
tokens after it, stacked on the main network's outputs or as a decoder like r-LSTM's
(docs/paper.md §1.6, §8.11). Its network and batch loss: `step`."""

from __future__ import annotations

from typing import ClassVar

from auxbench.errors import ConfigError
from auxbench.losses.base import (
    AUX_LSTM_DEFAULTS,
    AUX_LSTM_SCHEMA,
    AuxLoss,
    aux_window,
    check_aux_lstm,
    rows,
    with_options,
)


class Predict(AuxLoss):
    kind = "predict"
    prefix = "p"
    about = "predict the subsequence after a random anchor"
    color = "#E69F00"
    linestyle = ":"
    reserved_steps = 1  # the anchor comes before the subsequence
    defaults: ClassVar[dict] = with_options(AUX_LSTM_DEFAULTS, {
        "model": {"plstm_wiring": "stacked"},   # §8.11: auxiliary LSTM on the main hidden states
        "train": {"plstm_gradient": "anchor"},  # §1.6: the loss reaches aux_bptt steps ending at
                                                # the anchor, like r-LSTM's; "window": also the
                                                # predicted window
    })
    schema: ClassVar[dict] = with_options(AUX_LSTM_SCHEMA, {
        "model": {"plstm_wiring": {"enum": ["stacked", "decoder"]}},
        "train": {"plstm_gradient": {
            "enum": ["anchor", "window"],
            "description": "how far p-LSTM's auxiliary gradient reaches into the main LSTM: "
                           "'anchor' (the paper: aux_bptt steps ending at the anchor) or 'window' "
                           "(also through the predicted window, outside the paper's method)"}},
    })
    setting_suffix = "_pwin"
    suffix_label = "p-gradient through window"
    suffix_layer: ClassVar[dict] = {"train": {"plstm_gradient": "window"}}

    def anchor_bounds(self, first, lengths, length: int):
        """a in [first, T - 1 - l_eff]."""
        return first, length - 1 - lengths

    def check(self, cfg: dict) -> None:
        if cfg["train"]["plstm_gradient"] == "window" and \
                cfg["model"]["plstm_wiring"] != "stacked":
            raise ConfigError("train.plstm_gradient: window sends gradient through the main "
                              "LSTM's outputs the stacked auxiliary LSTM reads; it needs "
                              "model.plstm_wiring: stacked")
        check_aux_lstm(cfg)

    def suffixed(self, cfg: dict) -> bool:
        return cfg["train"]["plstm_gradient"] == "window"

    def flops(self, cfg, count, batch, length, channels):
        m, t = cfg["model"], cfg["train"]
        n, e, l, a = rows(cfg, batch), m["embed_dim"], t["aux_len"], aux_window(cfg, length)
        stacked = m["plstm_wiring"] == "stacked"
        if stacked and t["plstm_gradient"] == "window":
            grad, nograd = count.cell_fwd(cfg, n, min(a + l - 1, length), e), 0.0
        else:  # the window ends at the anchor; a stacked net reads l-1 more steps, no gradient
            grad = count.cell_fwd(cfg, n, a, e)
            nograd = count.cell_fwd(cfg, n, l - 1, e) if stacked else 0.0
        return grad + count.aux_net_fwd(n, l, cfg, channels, m["hidden"] if stacked else e), nograd


LOSS = Predict()
