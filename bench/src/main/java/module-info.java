/** JMH benchmarks of jgrad's hot paths (run from the shaded benchmarks.jar on the class path). */
open module dev.jgrad.bench {
    requires dev.jgrad.tensor;
    requires jmh.core;
}
