"""The run output formats shared by their writer (training) and their readers (analysis, report).

docs/architecture.md describes each file; this module holds what code must agree on.
"""

# train_* and test_*: eval mode at the end of the epoch (train: a fixed training subset);
# running_*: averages over the epoch's training batches, with dropout on.
CURVE_COLUMNS = ("epoch", "phase", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
                 "running_loss_sup", "running_loss_aux", "running_accuracy", "lr", "wall_time_s")
