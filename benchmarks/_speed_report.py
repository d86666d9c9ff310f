"""Markdown tables of ``bench_speed.py`` results: medians and ratios to peers."""

import statistics

PEERS = {"mlp": "MLP", "ovr_lr": "OvR-LR", "scikeras": "scikeras"}
MIB = 2**20


def median(values):
    """Return the median of a list of seconds, or None if there is none."""
    return statistics.median(values) if values else None


def one_line(measured):
    """Summarise one estimator's measurements for the progress log.

    Parameters
    ----------
    measured : dict

    Returns
    -------
    line : str
    """
    if "error" in measured:
        return "ERROR " + str(measured["error"]).splitlines()[-1][:300]
    return (
        f"fit {_seconds(median(measured['fit_s']))} "
        f"(runs {len(measured['fit_s'])}), "
        f"1 row {_ms(measured['predict_1row_s'])}, "
        f"all {_seconds(median(measured['predict_all_s']))}, "
        f"peak {_mib(measured.get('first_fit_peak'))}, "
        f"micro-F1 {measured['train_micro_f1']:.3f}"
    )


def _seconds(value):
    return "—" if value is None else f"{value:.3g} s"


def _ms(value):
    return "—" if value is None else f"{value * 1e3:.3g} ms"


def _mib(value):
    return "—" if value is None else f"{value / MIB:.0f} MiB"


def _ratio(ours, peer):
    if ours is None or peer is None or peer == 0:
        return "—"
    return f"{ours / peer:.3g}×"


def _cell(value, unit):
    if value is None:
        return "—"
    return f"{value * 1e3:.3g}" if unit == "ms" else f"{value:.3g}"


def _mark(estimators, name):
    """Return "*" when an estimator's times are extrapolated, else ""."""
    measured = estimators.get(name) or {}
    return "*" if measured.get("extrapolated_from") else ""


def _metric(measured, key):
    """Return the median of ``key`` for one estimator, or None."""
    if measured is None or "error" in measured or key not in measured:
        return None
    value = measured[key]
    return median(value) if isinstance(value, list) else value


def _timing_table(results, title, key, bound, unit):
    """Render one table: estimators' medians, the bound, ratios ours / peer.

    Parameters
    ----------
    results : dict
    title : str
    key : str
        Metric of each estimator, e.g. ``"fit_s"``.
    bound : callable
        ``bound(case) -> seconds or None``: the numpy lower bound.
    unit : {"s", "ms"}

    Returns
    -------
    lines : list of str
    """
    header = ["case", "n × d × L", "ours", *PEERS.values(), "numpy bound"]
    header += [f"ours/{label}" for label in PEERS.values()] + ["ours/bound"]
    lines = [f"### {title} ({unit})", "", _row(header), _row(["---"] * len(header))]
    for size, case in results["cases"].items():
        estimators = case["estimators"]
        ours = _metric(estimators.get("ours"), key)
        peers = [_metric(estimators.get(name), key) for name in PEERS]
        lower = bound(case)
        shape = (
            " × ".join(f"{v:,}" for v in case["data"]["shape"]) if case["data"] else "?"
        )
        cells = [size, shape, _cell(ours, unit) + _mark(estimators, "ours")]
        cells += [
            _cell(p, unit) + _mark(estimators, n)
            for p, n in zip(peers, PEERS, strict=True)
        ]
        cells += [_cell(lower, unit)]
        cells += [_ratio(ours, p) for p in peers] + [_ratio(ours, lower)]
        lines.append(_row(cells))
    return lines + [""]


def _row(cells):
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _details_table(results):
    """Render per-estimator details: runs, warm-up, quality and memory."""
    header = [
        "case",
        "estimator",
        "fit runs",
        "warm-up fit (s)",
        "train micro-F1",
        "RSS before fit (MiB)",
        "extra: first fit / later fits / predict (MiB)",
        "(data + extra) / (data + model): first fit / later fits / predict",
        "load before/after",
        "extrapolated from",
    ]
    lines = [
        "### Runs, quality and memory",
        "",
        "Peak RSS is `VmHWM`, reset after a warm-up fit on 512 rows and 200",
        "features has loaded the libraries; *extra* is the peak minus the RSS",
        "before the first full fit, read over the first full fit, over the",
        "later fits (each after the previous estimator is dropped) and over",
        "predict_proba (the fitted estimator held, the output made). The ratio",
        "is the issue's memory target (≤ 2 for the sparse case).",
        "",
        _row(header),
        _row(["---"] * len(header)),
    ]
    for size, case in results["cases"].items():
        facts = case["data"] or {}
        for name, measured in case["estimators"].items():
            if "error" in measured:
                lines.append(_row([size, name, "error", *[""] * 7]))
                continue
            held = facts.get("data_bytes", 0)
            extras, ratios = [], []
            for key in ("first_fit_peak", "later_fit_peak", "predict_peak"):
                if measured.get(key) is None:
                    extras.append("—")
                    ratios.append("—")
                    continue
                extra = measured[key] - measured["rss_before_fit"]
                extras.append(f"{extra / MIB:.0f}")
                ratios.append(
                    f"{(held + extra) / (held + facts.get('model_bytes', 0)):.2f}"
                )
            lines.append(
                _row(
                    [
                        size,
                        name,
                        len(measured["fit_s"]),
                        f"{measured['warmup_fit_s']:.3g}",
                        f"{measured['train_micro_f1']:.3f}",
                        f"{measured['rss_before_fit'] / MIB:.0f}",
                        " / ".join(extras),
                        " / ".join(ratios),
                        f"{measured.get('loadavg_before', 0):.1f}/"
                        f"{measured.get('loadavg_after', 0):.1f}",
                        measured.get("extrapolated_from", ""),
                    ]
                )
            )
    return lines + [""]


def _data_table(results):
    header = ["case", "n × d × L", "nnz", "data + Y (MiB)", "model (MiB)", "prevalence"]
    lines = ["### Data", "", _row(header), _row(["---"] * len(header))]
    for size, case in results["cases"].items():
        facts = case["data"]
        if facts is None:
            lines.append(_row([size, "error", "", "", "", ""]))
            continue
        lines.append(
            _row(
                [
                    size,
                    " × ".join(f"{v:,}" for v in facts["shape"]),
                    f"{facts['nnz']:,}",
                    f"{facts['data_bytes'] / MIB:.1f}",
                    f"{facts['model_bytes'] / MIB:.1f}",
                    f"{facts['label_prevalence']:.3f}",
                ]
            )
        )
    return lines + [""]


def _imports_table(results):
    imports = results.get("imports")
    if not imports:
        return []
    lines = [
        "### Import time (s, median of fresh interpreters)",
        "",
        _row(["import", "median", "runs", "TensorFlow loaded"]),
        _row(["---"] * 4),
    ]
    for name, measured in imports.items():
        if "error" in measured:
            lines.append(_row([name, "error", "", ""]))
            continue
        lines.append(
            _row(
                [
                    name,
                    f"{median(measured['seconds']):.3g}",
                    len(measured["seconds"]),
                    measured["tensorflow_loaded"],
                ]
            )
        )
    ours = _metric(imports.get("sklearn_multilabel"), "seconds")
    sklearn = _metric(imports.get("sklearn modules"), "seconds")
    lines += ["", f"sklearn_multilabel / sklearn modules: {_ratio(ours, sklearn)}", ""]
    return lines


def _grid_table(results):
    searches = results.get("grid_search")
    if not searches:
        return []
    lines = [
        "### GridSearchCV, 4 candidates × 3 folds on small (s)",
        "",
        _row(["n_jobs", "first search", "later searches (median)", "runs"]),
        _row(["---"] * 4),
    ]
    firsts = {}
    for measured in searches:
        if "error" in measured:
            lines.append(_row(["?", "error", "", ""]))
            continue
        seconds = measured["fit_s"]
        firsts[measured["n_jobs"]] = (seconds[0], median(seconds[1:]))
        lines.append(
            _row(
                [
                    measured["n_jobs"],
                    f"{seconds[0]:.3g}",
                    _cell(median(seconds[1:]), "s"),
                    len(seconds),
                ]
            )
        )
    if 1 in firsts and 2 in firsts:
        first = _ratio(firsts[2][0], firsts[1][0])
        later = _ratio(firsts[2][1], firsts[1][1])
        lines += ["", f"n_jobs=2 / n_jobs=1: first {first}, later {later}"]
    return lines + [""]


def _errors(results):
    lines = []
    for size, case in results["cases"].items():
        for name, measured in case["estimators"].items():
            if "error" in measured:
                text = str(measured["error"]).strip().replace("\n", " ")[:600]
                lines.append(f"- {size} / {name}: `{text}`")
    return ["### Errors", "", *lines, ""] if lines else []


def render(results):
    """Render all results as markdown.

    Parameters
    ----------
    results : dict
        As written to ``speed.json``.

    Returns
    -------
    markdown : str
    """
    config, rates = results["config"], results["matmul_gflops"]
    versions = ", ".join(f"{k} {v}" for k, v in results["machine"]["versions"].items())
    lines = [
        "## Speed",
        "",
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}; "
        f"{versions}.",
        f"Dense {config['hidden']}, batch {config['batch_size']}, "
        f"{config['epochs']} epochs; medians of up to {config['repeats']} runs "
        f"(fewer once {config['fit_budget_s']:g} s of fits are spent). "
        f"numpy float32 matmul: {rates['peak']:.0f} GFLOP/s peak, "
        f"{rates['batch_256x500x128']:.0f} GFLOP/s on a 256×500×128 batch.",
        "",
    ]
    cpus = results["machine"]["cpus"] or 1
    loads = [results.get("loadavg_start", [0])[0], results.get("loadavg_end", [0])[0]]
    for case in results["cases"].values():
        for measured in case["estimators"].values():
            loads += [
                measured.get("loadavg_before", 0),
                measured.get("loadavg_after", 0),
            ]
    if max(loads) > cpus:
        lines += [
            f"**Warning: the 1-minute load average reached {max(loads):.1f} on "
            f"{cpus} CPUs during this run: other processes competed for the "
            "CPUs and the timings are inflated unevenly (see the load column).**",
            "",
        ]
    lines += _data_table(results)
    lines += _timing_table(
        results,
        "fit",
        "fit_s",
        lambda case: (case["data"] or {}).get("flop_bound_fit_s"),
        "s",
    )
    lines += _timing_table(
        results,
        "predict_proba, 1 row",
        "predict_1row_s",
        lambda case: _metric(case["estimators"].get("ours"), "numpy_predict_1row_s"),
        "ms",
    )
    lines += _timing_table(
        results,
        "predict_proba, all rows",
        "predict_all_s",
        lambda case: _metric(case["estimators"].get("ours"), "numpy_predict_all_s"),
        "s",
    )
    lines += [
        "\\* extrapolated to 10 epochs (all labels for one-vs-rest) from a "
        "shorter measurement, see the last column below.",
        "",
    ]
    lines += _details_table(results)
    lines += _imports_table(results)
    lines += _grid_table(results)
    lines += _errors(results)
    lines.append(f"Total benchmark time: {results.get('total_s', 0):.0f} s.")
    return "\n".join(lines) + "\n"
