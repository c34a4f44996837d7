"""`training.data.classes`: the class names the data layer gives a bundle."""

import zoo
from training.data import classes
from training.data import sources


def test_fashion_names_in_label_order():
    assert len(classes.FASHION_NAMES) == 10
    assert classes.FASHION_NAMES[0] == "T-shirt/top"
    assert classes.FASHION_NAMES[9] == "Ankle boot"
    assert classes.COPY_NAMES[0] == "blank"
    assert classes.COPY_NAMES[-1] == "delimiter"


def test_sources_and_registry_use_the_same_names():
    assert sources.FASHION_NAMES is classes.FASHION_NAMES
    # The zoo library cannot import training/: its presets must agree.
    info = zoo.model_info("fashion_cnn")
    assert list(info["class_names"]) == classes.FASHION_NAMES
