"""Class names of the data sets, in label order.

The digit sets are named by their digit, the copy task by its symbols.
Fashion-MNIST's names are the registry's (`zoo.models.presets.
FASHION_CLASSES`, as Zalando's README gives them); `sources` reads them
there when it loads Fashion-MNIST, so that importing `training.data` stays
free of Keras and the names exist once.
"""

DIGIT_NAMES = [str(i) for i in range(10)]
# The copy task's symbols: blank, the eight digits 1-8, the delimiter.
COPY_NAMES = ["blank", *DIGIT_NAMES[1:9], "delimiter"]
