"""The convergence race of the TCN benchmark: every model trains on the
same stream of fresh adding-problem batches, taking turns of a few seconds
each (round robin, so load drift hits all of them), until its test MSE is
below `TARGET_MSE` or its time budget runs out. Only training time counts
on a model's clock (not the evaluations, not the first, compiling step)."""

import itertools
import time

import keras
import numpy as np
from keras import layers

from bench import common
from bench.tcn_models import RECIPE
from bench.tcn_models import adding_problem
from bench.tcn_models import build
from bench.tcn_models import keras_tcn
from bench.tcn_models import stacked_rnn
from bench.tcn_models import zoo_tcn

TARGET_MSE = 0.01
# Training batch k is drawn with seed k; the test set's seed lies far from
# every seed a race reaches, so no test sequence is ever trained on.
TEST_SEED = 10**9


def race_candidates(sizes):
    candidates = [
        ("zoo TCN", lambda: zoo_tcn(sizes, recipe=RECIPE)),
        ("keras-tcn", lambda: keras_tcn(sizes, recipe=RECIPE)),
        ("LSTM x2", lambda: stacked_rnn(sizes, layers.LSTM)),
        ("GRU x2", lambda: stacked_rnn(sizes, layers.GRU)),
    ]
    chosen = sizes.get("race_models")
    if chosen is None:
        return candidates
    return [c for c in candidates if c[0] in chosen]


def evaluate_mse(model, test_x, test_y):
    batch = min(250, len(test_x))
    prediction = model.predict(test_x, batch_size=batch, verbose=0)
    return float(np.mean((prediction - test_y) ** 2))


def next_batch(racer, sizes):
    return adding_problem(
        sizes["batch"], sizes["steps"], seed=next(racer["seeds"])
    )


def train_turn(racer, sizes, seconds):
    """Trains `racer` for about `seconds` of its own clock."""
    spent = 0.0
    while spent < seconds and racer["clock_s"] + spent < sizes["race_budget_s"]:
        x, y = next_batch(racer, sizes)
        start = time.perf_counter()
        racer["model"].train_on_batch(x, y)
        spent += time.perf_counter() - start
        racer["train_steps"] += 1
    racer["clock_s"] += spent


def new_racer(name, builder):
    keras.utils.set_random_seed(0)
    model, error = build(
        builder, "float32", RECIPE["learning_rate"], RECIPE["clipnorm"]
    )
    return {
        "name": name,
        "model": model,
        "params": model.count_params() if model else None,
        "error": error,
        # Every model sees the same stream of training batches.
        "seeds": itertools.count(),
        "clock_s": 0.0,
        "train_steps": 0,
        "history": [],
        "done": model is None,
    }


def race(sizes, show_progress=True):
    """Round-robin training until test MSE < TARGET_MSE or the budget."""
    test_x, test_y = adding_problem(
        sizes["test_size"], sizes["steps"], seed=TEST_SEED
    )
    racers = []
    for name, builder in race_candidates(sizes):
        racer = new_racer(name, builder)
        if racer["model"] is not None:
            # The first step compiles; it trains but is not timed.
            racer["model"].train_on_batch(*next_batch(racer, sizes))
            racer["train_steps"] = 1
            mse = evaluate_mse(racer["model"], test_x, test_y)
            racer["history"].append([0.0, mse])
        racers.append(racer)

    turns = int(np.ceil(sizes["race_budget_s"] / sizes["race_turn_s"]))
    for turn in common.progress(range(turns), "race", enabled=show_progress):
        running = [r for r in racers if not r["done"]]
        if not running:
            break
        for racer in running if turn % 2 == 0 else running[::-1]:
            train_turn(racer, sizes, sizes["race_turn_s"])
            mse = evaluate_mse(racer["model"], test_x, test_y)
            racer["history"].append([racer["clock_s"], mse])
            racer["done"] = (
                mse < TARGET_MSE or racer["clock_s"] >= sizes["race_budget_s"]
            )
    return [race_row(racer, sizes) for racer in racers]


def race_row(racer, sizes):
    history = racer["history"]
    reached = next((t for t, mse in history if mse < TARGET_MSE), None)
    best = min((mse for _, mse in history), default=None)
    if racer["error"]:
        result = f"failed: {racer['error']}"
    elif reached is not None:
        result = f"MSE < {TARGET_MSE} after {reached:.3g} s of training"
    else:
        result = (
            f"not reached in {racer['clock_s']:.3g} s "
            f"(budget {sizes['race_budget_s']:g} s)"
        )
    return {
        "model": racer["name"],
        "params": racer["params"],
        "result": result,
        "seconds_to_target": reached,
        "best_mse": best,
        "train_steps": racer["train_steps"],
        "train_seconds": racer["clock_s"],
        "history": history,
    }
