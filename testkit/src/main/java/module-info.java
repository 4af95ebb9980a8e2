/** jqwik generators, the op spec table and reusable gradient-check properties. */
module dev.jgrad.testkit {
    requires transitive dev.jgrad.autograd;
    requires transitive net.jqwik.api;

    exports dev.jgrad.testkit;
}
