"""The `auxbench` command line: prepare datasets, train runs, show resolved configs.

Errors a user can fix are printed as one message (no traceback) with a non-zero exit code:
2 for a wrong config or argument, 1 for data or training failures, 75 (EX_TEMPFAIL) when a run
was stopped by SIGTERM after writing a checkpoint, so a requeued job resumes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from auxbench import __version__, config, paths
from auxbench.errors import AuxbenchError, ConfigError
from auxbench.precision import PRECISIONS as PRECISION_NAMES

PRECISION_CHECK_CONFIG = "config/paper.yaml"  # the check's default cell: the paper's sizes
EXIT_PREEMPTED = 75
EXIT_RETRY = 76  # out of memory on an attempt that is not the last: run it again


def add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", action="append", default=[], metavar="FILE",
                   help="run config YAML (repeatable; later files override earlier ones)")
    p.add_argument("--config-json", metavar="JSON", help="a run config as a JSON string")
    p.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   dest="overrides", help="override one key, e.g. train.epochs=3 (repeatable)")


def benchmark_cases(with_full: bool) -> str:
    """The benchmark commands' default cases, from the registries: the LSTM with every set of
    auxiliary losses at Truncate 300 (and plain at Full BP), each other cell plain and with the
    paper's loss (losses.MAIN), the Transformer."""
    from auxbench.losses import MAIN
    from auxbench.methods import CELLS, METHODS, prefix, variant
    from auxbench.rnn_cells import PAPER

    lstm = [m.name for m in METHODS.values() if m.cell == PAPER]
    others = [variant(p, cell) for cell in CELLS if cell != PAPER for p in ("", prefix((MAIN,)))]
    full = [f"{PAPER}:full"] if with_full else []
    transformer = [m.name for m in METHODS.values() if not m.truncatable]
    return ",".join([*full, *(f"{m}:t300" for m in lstm + others),
                     *(f"{m}:full" for m in transformer)])


def add_case_args(p: argparse.ArgumentParser, cases: str, lengths: str) -> None:
    """The benchmark commands' cases (METHOD:SETTING), sequence lengths and batch size."""
    p.add_argument("--cases", default=cases, help="METHOD:SETTING list")
    p.add_argument("--lengths", default=lengths, help="sequence lengths")
    p.add_argument("--batch-size", type=int, default=None,
                   help="examples per step (default: the config's train.batch_size)")


def resolved_config(args: argparse.Namespace) -> dict:
    layers = [config.load_file(f) for f in args.config]
    if args.config_json:
        try:
            layers.append(json.loads(args.config_json))
        except json.JSONDecodeError as err:
            raise ConfigError(f"--config-json is not valid JSON: {err}") from None
    layers += [config.parse_override(o) for o in args.overrides]
    if getattr(args, "threads", None) is not None:
        layers.append({"runtime": {"threads": args.threads}})
    return config.resolve(*layers)


def cmd_config(args: argparse.Namespace) -> int:
    print(config.to_yaml(resolved_config(args)), end="")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from auxbench import data

    spec = {"name": args.dataset}
    for item in args.option:
        spec.update(config.parse_override(item))
    spec = data.validate_spec(spec)
    path = data.prepare(spec, args.data_root, mirror=args.mirror, progress=not args.quiet)
    manifest = data.load_prepared(path).manifest
    print(f"prepared {data.dataset_key(spec)} at {path}: "
          f"train {manifest['shapes']['train_x']}, test {manifest['shapes']['test_x']}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from auxbench.errors import OutOfMemory
    from auxbench.train.engine import Preempted, TrainingRun
    from auxbench.train.seeds import member_runs, train_seeds

    cfg = resolved_config(args)
    ckpt = args.checkpoint_dir or str(Path(args.run_dir) / "checkpoint")
    if args.seeds:
        seeds = [int(s) for s in args.seeds.split(",")]
        if len(seeds) > 1 and not all("{seed}" in d for d in (args.run_dir, ckpt)):
            raise ConfigError("--seeds trains several runs: --run-dir and --checkpoint-dir "
                              "must contain {seed}, e.g. --run-dir runs/seed{seed}")
        runs = member_runs(cfg, seeds, args.run_dir, ckpt)
    else:
        runs = [TrainingRun(cfg, Path(args.run_dir), Path(ckpt))]
    last = args.attempt >= args.attempts  # a scheduler that miscounts errs towards recording
    try:
        results = train_seeds(runs, record_failure=args.record_failure, retry_oom=not last)
    except Preempted as stop:
        print(f"auxbench: {stop}", file=sys.stderr)
        return EXIT_PREEMPTED
    except OutOfMemory as err:
        if last:
            raise
        print(f"auxbench: {err}; attempt {args.attempt} of {args.attempts}: exiting "
              f"{EXIT_RETRY} so that the scheduler runs it again (it resumes from its last "
              f"checkpoint)", file=sys.stderr)
        return EXIT_RETRY
    for metrics in results:
        acc = metrics["test_accuracy"]
        print(f"{metrics['status']}: test accuracy "
              f"{'n/a' if acc is None else f'{100 * acc:.2f}%'}; seed {metrics['seed']}")
    return 0


def cmd_resources(args: argparse.Namespace) -> int:
    from auxbench import data
    from auxbench.resource_benchmark.runner import parse_cases, run_benchmark

    args.threads = None  # the benchmark sets threads per case with --case-threads
    base = resolved_config(args)
    records = run_benchmark(
        base, parse_cases(args.cases), [int(n) for n in args.lengths.split(",")],
        [int(n) for n in args.extend_truncated.split(",")] if args.extend_truncated else [],
        args.batch_size or base["train"]["batch_size"],
        args.channels or data.sequence_shape(base["dataset"])[1], args.steps, args.warmup,
        args.case_threads,
        base["runtime"]["device"], args.timeout, args.memory_limit_mb, args.baseline,
        Path(args.out), log=lambda msg: print(msg, file=sys.stderr, flush=True))
    ok = sum(r["status"] == "ok" for r in records)
    print(f"{ok}/{len(records)} cases ran; results in {args.out} and "
          f"{Path(args.out).with_suffix('.md')}")
    return 0


def cmd_counts(args: argparse.Namespace) -> int:
    from auxbench.atomic import write_json
    from auxbench.resource_benchmark.counts import count_step
    from auxbench.resource_benchmark.runner import case_config, parse_cases
    from auxbench.runtime import resolve_device, setup_torch

    base = resolved_config(args)
    device = resolve_device(base["runtime"]["device"])
    setup_torch(args.threads or 1, False)
    records = []
    print(f"{'case':<18}{'length':>7}{'batch':>6}{'group':>6}{'LSTM calls':>11}"
          f"{'host syncs':>11}{'ops':>8}{'step s':>9}  (per member-step)")
    for method, setting in parse_cases(args.cases):
        cfg = case_config(base, method, setting, str(device))
        for length in (int(n) for n in args.lengths.split(",")):
            for group in (int(g) for g in args.groups.split(",")):
                r = count_step(cfg, length, args.batch_size or cfg["train"]["batch_size"],
                               device, args.steps, group=group)
                records.append({"setting": setting, **r})
                print(f"{method + ':' + setting:<18}{length:>7}{r['batch']:>6}{group:>6}"
                      f"{r['lstm_calls']:>11g}{r['host_syncs']:>11g}{r['ops']:>8.0f}"
                      f"{r['step_time_s']:>9.3f}")
    if args.out:  # a rate table: new sizes are added, a size measured again is replaced
        out = Path(args.out)
        kept = json.loads(out.read_text()) if out.is_file() else []
        key = lambda r: (r["method"], r["setting"], r["length"], r["batch"], r["gflop"],
                         r.get("group", 1))
        mine = {key(r) for r in records}
        write_json(out, [r for r in kept if key(r) not in mine] + records)
    return 0


# ------------------------------------------------------------------------ workflow commands
# plan / aggregate / tables / figures / report: what the Snakemake rules call (workflow/rules).


def add_workflow_config_args(p: argparse.ArgumentParser,
                              default: str = "config/config.yaml") -> None:
    p.add_argument("--configfile", action="append", default=[], metavar="FILE",
                   help="workflow config YAML (repeatable, later files update earlier ones; "
                        f"default: {default})")
    p.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   dest="overrides", help="override one workflow-config key, e.g. seeds=[0]")


def workflow_plan(args: argparse.Namespace):
    from auxbench import plan, workflow_config

    cfg = workflow_config.load(args.configfile or ["config/config.yaml"], args.overrides)
    return plan.Plan(cfg)


def add_aggregate_args(p: argparse.ArgumentParser) -> None:
    add_workflow_config_args(p)
    p.add_argument("--runs", default=paths.RUNS_DIR, help="the run folders")
    p.add_argument("--resources", default=None,
                   help="`auxbench resources` output (Table 3); ignored when absent")
    p.add_argument("--job-usage", default=None,
                   help="folder of the training jobs' Snakemake benchmark TSVs (job usage)")
    p.add_argument("--out", default=paths.AGGREGATE_DIR, help="output folder")


def add_result_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--aggregate", default=paths.AGGREGATE_DIR,
                   help="the analysis's result (`auxbench aggregate`)")
    p.add_argument("--out", required=True, help="output folder")


def cmd_plan(args: argparse.Namespace) -> int:
    from auxbench.experiments import seeds_text

    wf = workflow_plan(args)
    if args.estimate:
        return print_estimate(wf, args.rates)
    counts = wf.job_counts()
    if args.json:
        print(json.dumps({"job_counts": counts, "total_jobs": sum(counts.values()),
                          "summary": wf.summary(), "runs": wf.expected_runs(),
                          "prepared": wf.prepared()}, indent=1))
        return 0
    shared = len(wf.shared_runs)
    print(f"scale {wf.scale}: {len(wf.trained_runs)} training runs"
          + (f" ({len(wf.runs)} planned; {shared} read another experiment's identical run)"
             if shared else "")
          + f", {len(wf.prepared())} datasets to prepare"
          + ("; results only (no training)" if wf.results_only else ""))
    for name, exp in wf.summary()["experiments"].items():
        if exp["kind"] == "bench":
            print(f"  {name:<8} bench: cases {','.join(exp['cases'])}; lengths "
                  f"{','.join(map(str, exp['lengths']))}")
        else:
            print(f"  {name:<8} {exp['runs']:>4} runs: {len(exp['datasets'])} dataset(s) x "
                  f"methods {','.join(exp['methods'])} x settings {','.join(exp['settings'])} "
                  f"x seeds {seeds_text(exp)}"
                  + (f"; {len(exp['shared'])} shared" if exp["shared"] else ""))
    print("jobs per rule: " + ", ".join(f"{k} {v}" for k, v in counts.items())
          + f"; total {sum(counts.values())}")
    return 0


def flop_text(gflop: float) -> str:
    """1.2e3 GFLOP -> '1.2 TFLOP'."""
    for unit, scale in (("EFLOP", 1e9), ("PFLOP", 1e6), ("TFLOP", 1e3)):
        if gflop >= scale:
            return f"{gflop / scale:.3g} {unit}"
    return f"{gflop:.3g} GFLOP"


def print_estimate(wf, rates_path: str | None) -> int:
    from auxbench.resource_benchmark.estimate import (
        estimate,
        group_measured,
        load_rates,
        stand_in,
    )

    records, source = load_rates(rates_path)
    df = estimate(wf, records)
    proxied = sorted({m for m in (r.method for r in wf.trained_runs)
                      if stand_in(records, m) != m})
    print(f"scale {wf.scale}: cost estimate from {source}; device {records[0].get('device', '?')}")
    print(f"  {'experiment':<12}{'runs':>6}{'steps':>12}{'FLOP':>12}{'device-hours':>14}")
    for _, r in df.iterrows():
        print(f"  {r['experiment']:<12}{r['runs']:>6}{int(r['steps']):>12,}"
              f"{flop_text(r['gflop']):>12}{r['seconds'] / 3600:>14.2f}")
    print(f"  {'total':<12}{int(df['runs'].sum()):>6}{int(df['steps'].sum()):>12,}"
          f"{flop_text(df['gflop'].sum()):>12}{df['seconds'].sum() / 3600:>14.2f}")
    print("  (training and evaluation only; an estimate: seconds per GFLOP measured at the "
          "nearest size; the resource benchmark and data preparation are extra)")
    if proxied:
        print(f"  (not measured on this device: {', '.join(proxied)}; the same loss on the LSTM "
              "stands in for their seconds per GFLOP, or r-LSTM for a loss never measured)")
    unmeasured = sorted({f"{job[0].method} x{len(job)}" for job in wf.grouped_jobs
                         if group_measured(records, job[0].method, len(job)) != len(job)})
    if unmeasured:
        print(f"  (grouped jobs priced as separate runs, no grouped rate measured on this device: "
              f"{', '.join(unmeasured)}; measure with auxbench counts --groups)")
    return 0


def cmd_aggregate(args: argparse.Namespace) -> int:
    """The analysis of the runs the workflow config plans (others under --runs are left out)."""
    from auxbench.analysis import aggregate, analyze

    wf = workflow_plan(args)
    resources = args.resources if args.resources and Path(args.resources).is_file() else None
    a = analyze(args.runs, wf.analysis_options(), resources_json=resources,
                job_usage_dir=args.job_usage, keys=wf.runs, shared=wf.shared_runs)
    a.plan = wf.summary()
    files = aggregate(a, args.out)
    print(f"aggregate: {len(files)} files in {args.out}")
    return 0


def cmd_tables(args: argparse.Namespace) -> int:
    from auxbench.analysis import load, make_tables

    written = make_tables(load(args.aggregate), args.out)
    print(f"tables: {len(written)} tables in {args.out}")
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    from auxbench.analysis import load, make_figures

    records = make_figures(load(args.aggregate), args.out)
    print(f"figures: {len(records)} figures in {args.out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from auxbench.report import build_report

    out = build_report(out_html=args.out, data_dir=args.data_dir, runs_dir=args.runs,
                       aggregate_dir=args.aggregate, tables_dir=args.tables,
                       figures_dir=args.figures, logs_dir=args.logs)
    print(f"report: {out}")
    return 0


def cmd_precision_check(args: argparse.Namespace) -> int:
    from auxbench import precision, precision_check
    from auxbench.atomic import write_json

    args.configfile = args.configfile or [PRECISION_CHECK_CONFIG]
    plan = workflow_plan(args)
    cfg = precision_check.cell_config(plan, args.dataset, args.method, args.experiment,
                                      args.setting)
    runtime = {"device": args.device or plan.device, "threads": args.threads,
               "data_root": plan.data_root, "data_mirror": plan.data_mirror, "progress": "none"}
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise ConfigError(f"--seeds {args.seeds!r}: expected integers separated by commas, "
                          f"e.g. 0,1,2,3,4") from None
    record = precision_check.run_check(cfg, args.precision, seeds, runtime, args.work,
                                       args.margin_pp, args.alpha)
    record["command"] = " ".join(["auxbench", *args.argv])
    out = Path(args.out) if args.out else precision.RECORDS / precision.record_name(
        record["method"], record["dataset_key"], record["precision"], record["device_type"])
    write_json(out, record)
    print(f"record: {out}" + (f" (pass: commit it to admit {args.precision} for this cell)"
                              if record["passed"] else " (fail)"))
    return 0 if record["passed"] else 1


def add_workflow_commands(sub) -> None:
    p = sub.add_parser("plan", help="list the runs and jobs a workflow config plans")
    add_workflow_config_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--estimate", action="store_true",
                   help="steps and device-hours per experiment and in total")
    p.add_argument("--rates", default=None, metavar="FILE",
                   help="rate table of your device (auxbench counts --out FILE), or a shipped "
                        "one: cpu (2-core CPU, the default) or h200 (one NVIDIA H200)")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("aggregate", help="the planned runs -> cells, tests, verdicts, claims, "
                                         "curve bands (the result the others read)")
    add_aggregate_args(p)
    p.set_defaults(func=cmd_aggregate)

    p = sub.add_parser("tables", help="the paper's tables with our numbers (md, tex, csv)")
    add_result_args(p)
    p.set_defaults(func=cmd_tables)

    p = sub.add_parser("figures", help="the paper's figures with error bars (png, pdf)")
    add_result_args(p)
    p.set_defaults(func=cmd_figures)

    p = sub.add_parser("report", help="the self-contained HTML report")
    p.add_argument("--runs", default=paths.RUNS_DIR, help="the run folders (as-run records)")
    p.add_argument("--aggregate", default=paths.AGGREGATE_DIR)
    p.add_argument("--tables", default=paths.TABLES_DIR)
    p.add_argument("--figures", default=paths.FIGURES_DIR)
    p.add_argument("--logs", default=paths.LOGS_DIR, help="job logs (linked from run health)")
    p.add_argument("--data-dir", default=paths.REPORT_DATA_DIR,
                   help="folder for the CSVs the report links to")
    p.add_argument("--out", default=paths.REPORT_HTML)
    p.set_defaults(func=cmd_report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auxbench", description="Reproduce Trinh et al. (2018): RNNs with auxiliary losses.")
    parser.add_argument("--version", action="version", version=f"auxbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("config", help="print the resolved run config (defaults + files + --set)")
    add_config_args(p)
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("prepare", help="download (or take from the mirror), verify and cache a dataset")
    p.add_argument("dataset", help="dataset name, e.g. mnist, pmnist, cifar10, uci_digits")
    p.add_argument("--option", "-o", action="append", default=[], metavar="KEY=VALUE",
                   help="dataset option, e.g. side=64 for stanford_dogs (repeatable)")
    p.add_argument("--data-root", default="data", help="where raw and prepared data live")
    p.add_argument("--mirror", default=None,
                   help="local folder laid out like the download mirror "
                        "(default: $AUXBENCH_DATA_MIRROR)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("train", help="train one run; writes metrics.json, curve.csv, asrun.json")
    add_config_args(p)
    p.add_argument("--run-dir", required=True,
                   help="folder for the run's outputs ({seed} is each seed's, with --seeds)")
    p.add_argument("--seeds", help="train these seeds of the config (comma-separated) as one "
                   "grouped model, except those finished before (docs/method.md)")
    p.add_argument("--checkpoint-dir", help="folder for the resumable checkpoint "
                                            "(default: RUN_DIR/checkpoint)")
    p.add_argument("--threads", type=int, help="torch threads (default: runtime.threads)")
    p.add_argument("--record-failure", action="store_true",
                   help="on divergence, write metrics with status 'failed' and exit 0")
    p.add_argument("--attempt", type=int, default=1,
                   help="this attempt (Snakemake's attempt); an out-of-memory before the last "
                        f"of --attempts exits {EXIT_RETRY} instead of being recorded")
    p.add_argument("--attempts", type=int, default=1, help="attempts the scheduler makes")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("resources", help="Table 3's resource benchmark: time and memory of one "
                                         "training step per method and sequence length")
    add_config_args(p)
    add_case_args(p, benchmark_cases(with_full=True), "784,1024,4096,9216,16384")
    p.add_argument("--extend-truncated", default="",
                   help="further lengths for truncated settings only (until something breaks)")
    p.add_argument("--channels", type=int, default=None,
                   help="channels per step (default: the config's dataset's)")
    p.add_argument("--steps", type=int, default=3, help="timed steps per case (median reported)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--case-threads", type=int, default=None, help="torch threads per case")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per case")
    p.add_argument("--memory-limit-mb", type=int, default=None,
                   help="address-space cap per case, so an oversized case fails alone")
    p.add_argument("--baseline", action="store_true",
                   help="also run each case on nn.LSTM with PyTorch's default settings")
    p.add_argument("--out", default=paths.RESOURCES_JSON,
                   help="JSON output (a .md table is written beside it)")
    p.set_defaults(func=cmd_resources)

    p = sub.add_parser("counts", help="LSTM calls, host syncs and ops of one training step per "
                                      "method, counted by the profiler (docs/benchmarks.md)")
    add_config_args(p)
    add_case_args(p, benchmark_cases(with_full=False), "784")
    p.add_argument("--steps", type=int, default=2, help="counted steps (after one warm-up)")
    p.add_argument("--groups", default="1",
                   help="seeds trained as one grouped model, e.g. 1,2,5 (recurrent methods)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default 1)")
    p.add_argument("--out", default=None,
                   help="add the records to this JSON rate table (auxbench plan --estimate)")
    p.set_defaults(func=cmd_counts)

    p = sub.add_parser("precision-check",
                       help="train a cell's seeds at IEEE fp32 and a candidate precision; "
                            "paired TOST of the final accuracies (docs/method.md)")
    add_workflow_config_args(p, PRECISION_CHECK_CONFIG)
    p.add_argument("--dataset", required=True, help="a dataset id of the workflow config")
    p.add_argument("--method", required=True)
    p.add_argument("--experiment", default=None, help="default: the first that runs the cell")
    p.add_argument("--setting", default=None, help="default: the first the method runs")
    p.add_argument("--precision", required=True, choices=sorted(PRECISION_NAMES),
                   help="the candidate (fp32 against itself: the check's null control)")
    p.add_argument("--seeds", default="0,1,2,3,4", help="paired seeds, at least 5")
    p.add_argument("--margin-pp", type=float, default=1.0, help="equivalence margin (pp)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--device", default=None, help="default: the config's compute.device")
    p.add_argument("--threads", type=int, default=None, help="torch threads")
    p.add_argument("--work", default=f"{paths.RESULTS}/precision_check",
                   help="folder for the runs it trains")
    p.add_argument("--out", default=None,
                   help="the record (default: config/precision/METHOD-DATASET-PRECISION-DEVICE"
                        ".json, where a workflow config's plan looks for it)")
    p.set_defaults(func=cmd_precision_check)

    add_workflow_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return args.func(args)
    except ConfigError as err:
        print(f"auxbench: config error: {err}", file=sys.stderr)
        return 2
    except AuxbenchError as err:
        print(f"auxbench: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("auxbench: interrupted", file=sys.stderr)
        return 130
