"""Everything with a forward and a backward pass: layers, activations, losses, initializers."""
