"""The pictures of the README's tour that the command line does not draw.

Run from the repository root after `plainnet train --dataset fashion-mnist ... --out fashion.npz`.
"""

import plainnet as pn
from plainnet import datasets, plotting

# the first tutorial's circles, and the boundary a 2-10-5-1 network learns
(X, y), _ = datasets.load("circles")
net = pn.mlp([2, 10, 5, 1], output="sigmoid", seed=0)
net.fit(X, y, epochs=100, verbose=0)
plotting.plot_decision_boundary(net, X, y).savefig("docs/boundary.png")

# Fashion-MNIST: 25 test images with the mistakes in red, and what the first layer looks for
fashion = pn.load("fashion.npz")
_, (X_test, y_test) = datasets.load("fashion-mnist")
names = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat",
         "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]
plotting.plot_images(X_test, y_test, fashion.predict(X_test),
                     class_names=names).savefig("docs/mistakes.png")
plotting.plot_weights(fashion, (28, 28)).savefig("docs/weights.png")
