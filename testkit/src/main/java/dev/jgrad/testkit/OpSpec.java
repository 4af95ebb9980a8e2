package dev.jgrad.testkit;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.tensor.NdArray;
import java.util.Arrays;
import java.util.function.Supplier;
import net.jqwik.api.Arbitrary;

/**
 * One row of the op spec table: how to generate inputs, the op under test (written with
 * {@link Tensor} ops) and a plain double-precision reference built on {@link RefArray}.
 * Floating inputs are generated as F64; I32 inputs (indices, masks) are constants.
 *
 * @param differentiable false for ops whose gradient is not checked (none at present)
 */
public record OpSpec(String name, Supplier<Arbitrary<Inputs>> inputs, Op op, Reference reference,
                     boolean differentiable) {

    /** Arrays plus integer parameters (dims, sizes, flags) that the op and the reference read. */
    public record Inputs(NdArray[] arrays, int[] params) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (NdArray a : arrays) {
                sb.append(a.dtype()).append(a.shape()).append(' ');
            }
            return sb.append("params=").append(Arrays.toString(params)).toString();
        }
    }

    @FunctionalInterface
    public interface Op {
        Tensor apply(Tensor[] in, int[] params);
    }

    @FunctionalInterface
    public interface Reference {
        RefArray apply(RefArray[] in, int[] params);
    }

    public static OpSpec of(String name, Supplier<Arbitrary<Inputs>> inputs, Op op, Reference reference) {
        return new OpSpec(name, inputs, op, reference, true);
    }

    /** Generated cases of this op. */
    public Arbitrary<OpCase> cases() {
        return inputs.get().map(in -> new OpCase(this, in.arrays(), in.params()));
    }

    @Override
    public String toString() {
        return name;
    }
}
