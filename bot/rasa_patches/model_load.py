"""TED's trained weights loaded without a training step first (`RasaModel.load`).

**What.** To load a trained TensorFlow model (TED here), Rasa 3.6 builds an empty model, compiles it, *trains
it on one example* (`model.fit`) only so that its variables exist, then reads the trained weights over them and
runs one prediction to trace the prediction graph (`RasaModel.load`, rasa/utils/tensorflow/models.py). Here the
weights are read first: Rasa saves them as a TensorFlow checkpoint, which restores each variable as soon as the
prediction creates it, so the one prediction builds exactly the variables prediction uses, with the trained
values. The optimizer's state, which only training needs, stays in the file (`expect_partial`). Fine-tuning
(`finetune_mode`, `rasa train --finetune`) keeps Rasa's way: it trains on.

**Why.** The training step traces TED's whole training graph (forward, gradients, optimizer): about 85% of
TED's load and half of a Rasa server's start-up.

**Measured.** Loading the test model's TED (`python -m bench.startup --stages`, CPU time, the shared machine):
19.7 s with Rasa's method, 2.6 s with this one; the same 43 variables with the same values, and the same
predictions. Contract: `tests/test_rasa_patches_cost.py::test_model_load_*` (the variables and a prediction
are Rasa's; Rasa's method still trains a step).
"""

from __future__ import annotations

from typing import Any

from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
from rasa.utils.tensorflow.models import RasaModel


def load(
    cls: type[RasaModel],
    model_file_name: str,
    model_data_example: Any,
    predict_data_example: Any = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    """`RasaModel.load`: the weights restored as the prediction creates the variables, without a training step."""
    if finetune_mode or predict_data_example is None:
        original: RasaModel = _rasa_load(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                                         *args, **kwargs)  # fmt: skip
        return original
    import tensorflow as tf  # type: ignore[import-untyped]

    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    model.compile(
        optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=config.get(RUN_EAGERLY)
    )
    model.load_weights(model_file_name).expect_partial()
    model.run_inference(predict_data_example)
    return model


_rasa_load: Any = None


def rasa_original() -> Any:
    """Rasa's own `RasaModel.load` (the function under the classmethod), whether or not the patch is installed."""
    return _rasa_load or RasaModel.load.__func__


def install() -> None:
    """Replaces Rasa's classmethod; calling it again does nothing."""
    global _rasa_load
    if RasaModel.load.__func__ is load:
        return
    _rasa_load = RasaModel.load.__func__
    RasaModel.load = classmethod(load)
