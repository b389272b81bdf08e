"""Published numbers beside Table 2: context with its convention, never one of our cells."""

from __future__ import annotations

from types import SimpleNamespace

from auxbench.analysis.published import PUBLISHED
from auxbench.analysis.tables import published_table


def table(scale: str):
    return published_table(SimpleNamespace(cfg=SimpleNamespace(scale=scale)))


def test_every_pmnist_row_says_its_permutation_is_not_ours():
    t = table("paper")
    rows = [r for r in t.rows if r[0].startswith("pMNIST")]
    assert rows and all(r[4].startswith("no: ours is the permutation") for r in rows)


def test_a_same_task_row_is_ours_only_at_the_paper_scale():
    cifar = [r for r in table("paper").rows if r[1].startswith("S4-LegS")]
    assert cifar[0][2] == "91.80 (0.43)" and cifar[0][4] == "yes"
    lite = [r for r in table("lite").rows if r[1].startswith("S4-LegS")]
    assert lite[0][4] == "at the paper scale only (this report: lite)"
    assert len(table("lite").rows) == len(PUBLISHED)
