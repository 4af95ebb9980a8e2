/** Neural-network layers, losses, optimizers. */
module dev.jgrad.nn {
    requires transitive dev.jgrad.autograd;

    exports dev.jgrad.nn;
    exports dev.jgrad.nn.optim;
    exports dev.jgrad.nn.io;
}
