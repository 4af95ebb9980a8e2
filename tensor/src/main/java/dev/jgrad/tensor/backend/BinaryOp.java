package dev.jgrad.tensor.backend;

/** Elementwise functions of two broadcast tensors; comparisons produce I32 masks (0 or 1). */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE;

    /**
     * The op's name as errors spell it ("add"), made once: every binary op passes it to its
     * shape checks, and lower-casing the enum name per call was 4% of an LSTM training step.
     */
    private final String label = name().toLowerCase(java.util.Locale.ROOT);

    public String label() {
        return label;
    }

    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }

    /** Ops defined on I32 (true division and pow need a floating dtype, as integer results would round). */
    public boolean integerOk() {
        return this != DIV && this != POW;
    }
}
