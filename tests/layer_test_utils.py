"""A small `run_layer_test` in the spirit of keras' own test case.

keras' `testing.TestCase.run_layer_test` is private (`keras.src`), so this
helper re-implements the checks the zoo needs with the public API: build and
call, output shape against `compute_output_shape`, weight counts, the
get_config -> from_config -> get_config round trip, a `.keras` save/load
round trip with equal outputs, and one training step.
"""

import keras
import numpy as np


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_shape,
    expected_output_shape=None,
    expected_num_trainable_weights=None,
    expected_num_non_trainable_weights=None,
    tmp_path=None,
    run_training_step=True,
    atol=1e-5,
):
    """Runs the standard checks on one layer configuration.

    Returns the built layer so callers can make further assertions.
    """
    rng = np.random.default_rng(0)
    x = rng.normal(size=input_shape).astype("float32")
    layer = layer_cls(**init_kwargs)
    y = keras.ops.convert_to_numpy(layer(x))

    expected = expected_output_shape or tuple(y.shape)
    assert tuple(y.shape) == tuple(expected), (y.shape, expected)
    static = layer.compute_output_shape(input_shape)
    if isinstance(static, tuple) and static and isinstance(static[0], tuple):
        static = static[0]
    assert tuple(static) == tuple(expected), (static, expected)
    # compute_output_shape keeps unknown dimensions unknown.
    unknown = (None,) + tuple(input_shape[1:])
    assert layer.compute_output_shape(unknown)[0] is None

    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert (
            len(layer.non_trainable_weights)
            == expected_num_non_trainable_weights
        )

    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(layer)
    revived = keras.saving.deserialize_keras_object(serialized)
    assert revived.get_config() == config

    inputs = keras.Input(shape=input_shape[1:], batch_size=None)
    model = keras.Model(inputs, layer_cls(**init_kwargs)(inputs))
    reference = keras.ops.convert_to_numpy(model(x))
    if tmp_path is not None:
        path = tmp_path / f"{layer_cls.__name__}.keras"
        model.save(path)
        loaded = keras.models.load_model(path)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(loaded(x)), reference, atol=atol
        )

    if run_training_step and model.trainable_weights:
        model.compile(optimizer="sgd", loss="mse")
        target = np.zeros_like(reference)
        model.fit(x, target, batch_size=len(x), epochs=1, verbose=0)
    return layer
