/** Strided n-dimensional arrays and their CPU kernels. No gradients live here. */
module dev.jgrad.tensor {
    requires jdk.incubator.vector;

    exports dev.jgrad.tensor;
    exports dev.jgrad.tensor.backend;
    exports dev.jgrad.tensor.cpu;

    uses dev.jgrad.tensor.backend.Backend;
    provides dev.jgrad.tensor.backend.Backend with dev.jgrad.tensor.cpu.CpuBackend;
}
