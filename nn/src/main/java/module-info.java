/** Neural-network layers, losses, optimizers and checkpoints (see issue "nn layers ..."). */
module dev.jgrad.nn {
    requires transitive dev.jgrad.autograd;
}
