"""The run output formats shared by their writer (training) and their readers (analysis, report).

docs/architecture.md describes each file; this module holds what code must agree on.
"""

CURVE_COLUMNS = ("epoch", "phase", "train_loss_sup", "train_loss_aux", "train_accuracy",
                 "test_loss", "test_accuracy", "lr", "wall_time_s")
