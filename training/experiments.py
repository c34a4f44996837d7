"""Experiments that train one model several ways and compare the runs.

`compare_optimizers` is the tutorials' optimizer comparison (SGD,
Momentum, AdaGrad, Adam), measured: it leaves `optimizers.png` (the
curves), `optimizers.json` (the runs) and `optimizers.md` (a table of the
last epoch's scores and the best validation score) in the output folder.
How one run trains is up to the caller, so the comparison trains exactly
as `zoo-train` does.
"""

from training import io_utils
from training import plots
from training.markdown import markdown_table
from training.optimizers import COMPARED_OPTIMIZERS
from training.optimizers import learning_rate


def _cell(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def compare_optimizers(train_one, out, title, names=COMPARED_OPTIMIZERS):
    """Trains once per optimizer and writes the comparison.

    Args:
        train_one: callable `(optimizer name, run folder) -> (history,
            monitor, best)`: trains one run in its folder and returns the
            per-epoch history dict, the name of the score that picks the
            best epoch and its best value.
        out: `pathlib.Path`, the comparison's folder (it must exist); run
            `name` trains in `out/name/`.
        title: str, the plot's title.
        names: the optimizers, in table order.

    Returns:
        str, the Markdown table (also written to `optimizers.md`).
    """
    histories, rows = {}, []
    for name in names:
        sub = out / name
        sub.mkdir(exist_ok=True)
        history, monitor, best = train_one(name, sub)
        histories[name] = history
        rows.append(
            {
                "optimizer": name,
                "learning_rate": learning_rate(name),
                # The last epoch's scores; timings vary between machines.
                **{k: v[-1] for k, v in history.items() if "time" not in k},
                "best_" + monitor: best,
            }
        )
    plots.optimizer_comparison(histories, out / "optimizers.png", title=title)
    io_utils.write_json(out / "optimizers.json", {"runs": rows})
    text = markdown_table(None, rows, fmt=_cell) + "\n"
    io_utils.write_text(out / "optimizers.md", text)
    return text
