"""Class names of the data sets, in label order: the one copy in training/.

`FASHION_NAMES[label]` is the Fashion-MNIST name of `label`, as Zalando's
README gives them; the digit sets are named by their digit.
"""

DIGIT_NAMES = [str(i) for i in range(10)]
FASHION_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
# The copy task's symbols: blank, the eight digits 1-8, the delimiter.
COPY_NAMES = ["blank", *DIGIT_NAMES[1:9], "delimiter"]
