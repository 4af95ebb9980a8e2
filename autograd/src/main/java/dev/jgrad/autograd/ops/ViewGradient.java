package dev.jgrad.autograd.ops;

import dev.jgrad.tensor.NdArray;

/**
 * Ops whose output is a view of part of their input (slice, narrow, select). The engine uses
 * this to add a gradient straight into that part of the input's gradient buffer, instead of
 * building an input-sized tensor of zeros per piece: stepping through a sequence one slice at a
 * time then costs O(T) rather than O(T²).
 */
public interface ViewGradient {
    /** The region of an input-shaped array that this op's output occupies. */
    NdArray viewOf(NdArray inputShaped);
}
