/** Reverse-mode automatic differentiation over {@code dev.jgrad.tensor}. */
module dev.jgrad.autograd {
    requires transitive dev.jgrad.tensor;

    exports dev.jgrad.autograd;
    exports dev.jgrad.autograd.check;
    exports dev.jgrad.autograd.ops;
}
