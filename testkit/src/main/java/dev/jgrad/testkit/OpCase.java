package dev.jgrad.testkit;

import dev.jgrad.tensor.NdArray;
import java.util.Arrays;

/** One generated input of one op spec. */
public record OpCase(OpSpec spec, NdArray[] arrays, int[] params) {
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(spec.name()).append('(');
        for (int i = 0; i < arrays.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(arrays[i].dtype()).append(arrays[i].shape());
        }
        return sb.append(") params=").append(Arrays.toString(params)).toString();
    }
}
