"""The `zoo-train` command line: its flags, and the settings that identify
a run.

Parsing imports neither TensorFlow nor Keras, so `zoo-train --help` and a
bad flag answer at once.
"""

from training import cli
from training.devices import STRATEGIES
from training.optimizers import OPTIMIZERS

# The sorted names of `training.augment.POLICIES`, listed here so that
# parsing the command line does not import TensorFlow (a test keeps them
# equal).
AUGMENT_POLICIES = (
    "clothing",
    "clothing_erase",
    "clothing_light",
    "digits",
    "digits_light",
)
# Flags that change nothing in the trained checkpoint: a run may be resumed
# or evaluated again with different values (`--merge-init` merges the
# finished run's kept checkpoint anew, see `training.merge`).
NOT_SETTINGS = ("verbose", "out", "merge_init")


def build_parser():
    parser = cli.ArgumentParser(
        prog="zoo-train",
        description="Train a zoo model; see `zoo-describe` for the models.",
    )
    parser.add_argument("--model", required=True, help="registered name")
    cli.add_data_spec(parser)
    cli.add_count(parser, "--epochs", "training epochs (default 10)", 10)
    cli.add_count(
        parser, "--batch-size", "global batch size (default 128)", 128
    )
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    parser.add_argument(
        "--lr",
        type=cli.positive_float,
        help="learning rate (default: a sensible value per optimizer)",
    )
    parser.add_argument(
        "--weight-decay",
        type=cli.positive_float,
        default=None,
        help="decoupled weight decay (adamw; default 1e-4)",
    )
    parser.add_argument(
        "--schedule", choices=("cosine", "none"), default="cosine"
    )
    parser.add_argument(
        "--warmup-epochs",
        type=cli.non_negative_float,
        default=0.0,
        help="linear learning-rate warm-up before the cosine decay",
    )
    parser.add_argument("--clipnorm", type=cli.positive_float, default=None)
    parser.add_argument(
        "--augment",
        nargs="?",
        const=True,
        default=False,
        choices=AUGMENT_POLICIES,
        metavar="POLICY",
        help="augment the training split with the data set's policy, or "
        f"with POLICY, one of: {', '.join(AUGMENT_POLICIES)}",
    )
    cli.add_count(
        parser,
        "--anytime",
        "sequence classifiers: also train the answer after every N steps "
        "(28 for seqmnist: each image row), weighted toward the end, so "
        "that it is right before the sequence ends",
    )
    parser.add_argument(
        "--anytime-final-weight",
        type=cli.positive_float,
        default=0.5,
        help="with --anytime: the share of the loss on the final answer "
        "(default 0.5; at most 1, the rest goes to the earlier answers)",
    )
    parser.add_argument(
        "--anytime-teacher-weight",
        type=cli.non_negative_float,
        default=0.0,
        metavar="WEIGHT",
        help="with --anytime and --init-from: also pull the final answer "
        "toward the initial model's answers (distillation; WEIGHT times "
        "their KL divergence joins the loss), so that the final answer "
        "keeps its accuracy (default 0: off)",
    )
    parser.add_argument(
        "--init-from",
        metavar="MODEL.keras",
        help="start from the weights of a saved model of the same "
        "architecture (fine-tuning)",
    )
    parser.add_argument(
        "--distill-from",
        nargs="+",
        metavar="TEACHER.keras",
        help="classifiers: also learn the answers of these saved models "
        "(their average), frozen (knowledge distillation)",
    )
    parser.add_argument(
        "--distill-weight",
        type=cli.non_negative_float,
        metavar="WEIGHT",
        help="with --distill-from: WEIGHT times the KL divergence from the "
        "teacher's answer joins the loss (default 1)",
    )
    parser.add_argument(
        "--distill-flip",
        action="store_true",
        help="with --distill-from: the teacher also averages its answers "
        "on the left-right mirrored images (for clothing, not digits)",
    )
    parser.add_argument(
        "--merge-init",
        type=cli.share,
        metavar="ALPHA",
        help="with --init-from: after training, give the saved model the "
        "weights (1 - ALPHA) * initial + ALPHA * trained (WiSE-FT), which "
        "keeps more of what the initial model was good at; the trained "
        "checkpoint is kept as NAME_before_merge.keras",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--validation-split", type=cli.fraction, default=0.1)
    cli.add_count(
        parser, "--limit", "use only the first N training examples (smoke runs)"
    )
    cli.add_count(
        parser,
        "--test-limit",
        "evaluate on only the first N test examples (smoke runs)",
    )
    cli.add_count(
        parser, "--max-steps", "at most N training steps per epoch (smoke runs)"
    )
    parser.add_argument("--jit-compile", action="store_true")
    cli.add_count(
        parser,
        "--steps-per-execution",
        "training steps per compiled call (fewer Python round trips)",
        default=1,
    )
    parser.add_argument(
        "--mixed-precision",
        action="store_true",
        help="train in mixed_bfloat16 (CPUs with AVX512-BF16, TPUs, GPUs)",
    )
    parser.add_argument("--strategy", choices=STRATEGIES, default="default")
    cli.add_count(
        parser,
        "--logical-cpus",
        "split the CPU into N logical devices (to try --strategy mirrored "
        "on one machine)",
    )
    parser.add_argument(
        "--compare-optimizers",
        action="store_true",
        help="train with SGD, Momentum, AdaGrad and Adam and plot them",
    )
    parser.add_argument("--name", help="artefact name (default: --model)")
    parser.add_argument(
        "--out", default=None, help="output folder (default: runs/NAME)"
    )
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1)
    return parser


def run_settings(args):
    """The flags that identify a run: resuming needs the same ones."""
    return {
        key: value
        for key, value in vars(args).items()
        if key not in NOT_SETTINGS
    }
