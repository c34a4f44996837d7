"""
Title: zoo-export — convert a trained model for deployment
Description: Converts a `.keras` model to TensorFlow Lite (for the mobile
    models) or a TensorFlow SavedModel, then checks parity: the largest
    absolute difference between the Keras and the converted model's outputs
    on real test images, which must stay below `--tolerance` (1e-4).

The converted model is written under a temporary name next to `--out`
and moved onto `--out` only once it passes the parity check, so `--out`
never holds an artefact that failed it (nor a half-written one). When the
check fails, zoo-export exits with status 1 after printing the measured
difference; the rejected file or folder is kept as `<out>.rejected` (an
older `<out>.rejected` is replaced) for inspection, and an existing
`--out` is left as it was.

With `--streaming` (TFLite, causal TCN models such as seqmnist_tcn) the
export is the streaming step instead: inputs `x` (one time step) and the
TCN's buffers `state_0 ...`, outputs the prediction for the sequence so far
and the new buffers. Parity is checked at every step of a test sequence
against the Keras model read at that step, and the LiteRT interpreter's
per-sample latency is printed.

Usage:

    zoo-export saved_models/fashion_mobilenet_v1.keras --format tflite \\
        --out fashion_mobilenet_v1.tflite --data fashion_mnist
    zoo-export saved_models/seqmnist_tcn.keras --format tflite --streaming \\
        --out seqmnist_tcn_step.tflite
"""

import contextlib
import json
import os
import pathlib
import shutil
import sys
import tempfile
import time

import numpy as np

from training import cli
from training import io_utils
from training.io_utils import UsageError

PARITY_TOLERANCE = 1e-4
REJECTED_SUFFIX = ".rejected"


def build_parser():
    parser = cli.ArgumentParser(
        prog="zoo-export",
        description="Convert a .keras model to TFLite or SavedModel and "
        "check that it predicts what the Keras model does.",
        epilog="The converted model reaches --out only when the parity "
        "check passes (max |keras - converted| < --tolerance). Otherwise "
        "zoo-export exits with status 1, leaves --out as it was and keeps "
        f"the rejected file as <out>{REJECTED_SUFFIX}.",
    )
    parser.add_argument("model", help="path to a .keras file")
    parser.add_argument(
        "--format", choices=("tflite", "saved_model"), default="tflite"
    )
    parser.add_argument(
        "--out",
        required=True,
        help="output file (tflite) or new folder (saved_model), written "
        "only when the parity check passes",
    )
    parser.add_argument(
        "--data",
        default=None,
        help="data spec for the parity check (default: the model card's)",
    )
    parser.add_argument("--samples", type=cli.positive_int, default=256)
    parser.add_argument(
        "--streaming",
        action="store_true",
        help="TFLite only: export the causal TCN's streaming step (state in, "
        "state out); parity at every step of the first test sequence",
    )
    parser.add_argument(
        "--tolerance",
        type=cli.positive_float,
        default=PARITY_TOLERANCE,
        help=f"largest max |keras - converted| accepted (default "
        f"{PARITY_TOLERANCE:g})",
    )
    return parser


def to_tflite(model, path):
    """Converts through a temporary SavedModel (`model.export`, which also
    works on the JAX backend, and prints nothing with `verbose=0`)."""
    import tensorflow as tf

    with tempfile.TemporaryDirectory() as folder:
        model.export(folder, format="tf_saved_model", verbose=0)
        flatbuffer = tf.lite.TFLiteConverter.from_saved_model(folder).convert()
    pathlib.Path(path).write_bytes(flatbuffer)
    return path


def tflite_predict(path, inputs):
    """Runs a TFLite file one example at a time with LiteRT's interpreter
    (the maintained successor of `tf.lite.Interpreter`)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # older installs: TensorFlow's bundled interpreter
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    interpreter = Interpreter(model_path=str(path))
    input_detail = interpreter.get_input_details()[0]
    output_detail = interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(
        input_detail["index"], (1,) + inputs.shape[1:]
    )
    interpreter.allocate_tensors()
    outputs = []
    for example in inputs:
        interpreter.set_tensor(
            input_detail["index"], example[None].astype(input_detail["dtype"])
        )
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(output_detail["index"])[0])
    return np.stack(outputs)


def streaming_parts(model):
    """`(before, tcn, after)`: the layers of a chain model around its TCN.

    The layers before it must work on each time step alone (such as
    `Rescaling`); those after it read the TCN's output.
    """
    from zoo.layers import TCN

    chain = [layer for layer in model.layers if layer is not model.layers[0]]
    tcns = [i for i, layer in enumerate(chain) if isinstance(layer, TCN)]
    if len(tcns) != 1 or chain[tcns[0]].padding != "causal":
        raise UsageError(
            "--streaming needs a model with exactly one causal zoo TCN"
        )
    return chain[: tcns[0]], chain[tcns[0]], chain[tcns[0] + 1 :]


def streaming_step(model):
    """A `tf.function` `(x, *state) -> dict` for one time step."""
    import tensorflow as tf

    before, tcn, after = streaming_parts(model)
    channels = model.input_shape[-1]
    shapes = [tuple(s.shape[1:]) for s in tcn.get_initial_state(1)]
    signature = [tf.TensorSpec((1, channels), tf.float32, name="x")]
    signature += [
        tf.TensorSpec((1,) + shape, tf.float32, name=f"state_{i}")
        for i, shape in enumerate(shapes)
    ]

    @tf.function(input_signature=signature)
    def step(x, *state):
        h = x[:, None, :]
        for layer in before:
            h = layer(h)
        y, new_state = tcn.step(h[:, 0, :], state)
        for layer in after:
            y = layer(y)
        outputs = {"prediction": y}
        outputs.update({f"state_{i}": s for i, s in enumerate(new_state)})
        return outputs

    return step, shapes


def to_tflite_streaming(model, path):
    """Converts the streaming step through a temporary SavedModel."""
    import tensorflow as tf

    step, shapes = streaming_step(model)
    module = tf.Module()
    module.step = step
    # The SavedModel must track the variables the step reads.
    module.weights = [v.value for v in model.weights]
    with tempfile.TemporaryDirectory() as folder:
        tf.saved_model.save(module, folder, signatures={"step": step})
        converter = tf.lite.TFLiteConverter.from_saved_model(folder, ["step"])
        pathlib.Path(path).write_bytes(converter.convert())
    return shapes


def keras_per_step(model, sequence):
    """The Keras model's output at every step of one sequence `(T, c)`:
    its TCN with `return_sequences=True`, the later layers per step."""
    import keras

    before, tcn, after = streaming_parts(model)
    config = {**tcn.get_config(), "return_sequences": True}
    every = type(tcn).from_config(config)
    h = sequence[None]
    for layer in before:
        h = layer(h)
    every.build(h.shape)
    every.set_weights(tcn.get_weights())
    y = every(h)
    for layer in after:
        y = layer(y)
    return keras.ops.convert_to_numpy(y)[0]


def tflite_stream(path, sequence, shapes):
    """Runs the exported step over `sequence`; returns the prediction at
    every step and the median milliseconds of one call."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # older installs: TensorFlow's bundled interpreter
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    runner = Interpreter(model_path=str(path)).get_signature_runner("step")
    state = {
        f"state_{i}": np.zeros((1,) + shape, np.float32)
        for i, shape in enumerate(shapes)
    }
    outputs, times = [], []
    for x_t in sequence.astype(np.float32):
        start = time.perf_counter()
        result = runner(x=x_t[None], **state)
        times.append(time.perf_counter() - start)
        outputs.append(result["prediction"][0])
        state = {key: result[key] for key in state}
    return np.stack(outputs), 1e3 * float(np.median(times))


def to_saved_model(model, path):
    """Exports a SavedModel into the folder `path` (which must not exist)."""
    model.export(str(path), format="tf_saved_model", verbose=0)
    return path


@contextlib.contextmanager
def staging_path(out):
    """Yields a temporary path next to `out` to convert into; whatever is
    left there when the block ends (a rejected or half-written export) is
    deleted."""
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = pathlib.Path(
        tempfile.mkdtemp(
            prefix=f".{out.name}.", suffix=io_utils.TEMP_MARKER, dir=out.parent
        )
    )
    try:
        yield folder / out.name
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def move_into_place(source, destination):
    """Moves a file or folder onto `destination`, replacing what is there."""
    destination = pathlib.Path(destination)
    if destination.is_dir() and not destination.is_symlink():
        shutil.rmtree(destination)
    os.replace(source, destination)
    return destination


def saved_model_predict(path, inputs):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    return np.asarray(loaded.serve(tf.constant(inputs, tf.float32)))


def parity_inputs(args, model_path, input_shape):
    from training import data as data_lib

    spec = args.data
    if spec is None:
        card = model_path.with_suffix(".json")
        if card.exists():
            spec = json.loads(card.read_text()).get("dataset")
    if spec is None:
        raise UsageError(
            "pass --data SPEC for the parity check (no model card with a "
            "dataset next to the model)"
        )
    x, _ = data_lib.load_arrays(spec, split="test", limit=args.samples)
    x = np.asarray(x, np.float32)
    if tuple(x.shape[1:]) != tuple(input_shape):
        raise UsageError(
            f"--data {spec} gives inputs of shape {x.shape[1:]} but the "
            f"model takes {tuple(input_shape)}; pass the data spec the "
            "model was trained on."
        )
    return x, spec


def check_destination(out, export_format):
    """Refuses an unusable --out before the (slow) conversion."""
    if export_format == "tflite" and out.is_dir():
        raise UsageError(
            f"--out {out} is a folder: pass a file path such as "
            f"{out / 'model.tflite'}."
        )
    if export_format == "saved_model" and out.exists():
        raise UsageError(
            f"--out {out} exists; SavedModel export needs a new folder "
            "(delete it or pass another path)."
        )


def size_of(path):
    path = pathlib.Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv=None):
    args = build_parser().parse_args(argv)
    cli.import_tensorflow_quietly()
    from training.evaluate import load

    model_path = pathlib.Path(args.model)
    check_destination(pathlib.Path(args.out), args.format)
    model = load(model_path)
    if args.streaming:
        if args.format != "tflite":
            raise UsageError("--streaming exports TFLite: use --format tflite")
        streaming_parts(model)
        args.samples = 1
    x, spec = parity_inputs(args, model_path, model.input_shape[1:])
    if args.streaming:
        reference = keras_per_step(model, x[0])
    else:
        reference = np.asarray(model.predict(x, verbose=0))
    latency = None
    out = pathlib.Path(args.out)
    with staging_path(out) as staged:
        if args.streaming:
            shapes = to_tflite_streaming(model, staged)
            converted, latency = tflite_stream(staged, x[0], shapes)
        elif args.format == "tflite":
            to_tflite(model, staged)
            converted = tflite_predict(staged, x)
        else:
            to_saved_model(model, staged)
            converted = saved_model_predict(staged, x)
        diff = float(np.max(np.abs(converted - reference)))
        size = size_of(staged)
        passed = diff < args.tolerance
        if passed:
            move_into_place(staged, out)
        else:
            rejected = out.with_name(out.name + REJECTED_SUFFIX)
            move_into_place(staged, rejected)
    checked = f"{len(x)} {spec} test inputs"
    if args.streaming:
        checked = f"every step of 1 {spec} test sequence"
    parity = (
        f"parity on {checked}: max |keras - "
        f"{args.format}| = {diff:.3g} (tolerance {args.tolerance:g})"
    )
    if not passed:
        print(
            f"zoo-export: error: {parity}: check failed; {out} was not "
            f"written, the rejected export is kept as {rejected} "
            f"({size:,} bytes)",
            file=sys.stderr,
        )
        return 1
    print(f"zoo-export: wrote {out} ({size:,} bytes, {size / 1e6:.2f} MB)")
    print(f"zoo-export: {parity}")
    if latency is not None:
        print(f"zoo-export: LiteRT streaming step: {latency:.3f} ms/sample")
    return 0


def entry_point():
    sys.exit(cli.run_main("zoo-export", main))


if __name__ == "__main__":
    entry_point()
