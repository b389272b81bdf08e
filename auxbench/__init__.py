"""auxbench: a reproducibility benchmark for RNNs with auxiliary losses (Trinh et al., 2018)."""

__version__ = "0.1.0"
