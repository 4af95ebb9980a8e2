package dev.jgrad.tensor;

/**
 * Element types. F32 is the fast path (SIMD kernels); F64 exists so gradients can be checked
 * at float64 tolerances; I32 holds token ids, indices and comparison masks. Mixing dtypes in
 * one op is always an error: conversion is explicit through {@link NdArray#to(DType)}.
 */
public enum DType {
    F32("float32"),
    F64("float64"),
    I32("int32");

    private final String torchName;

    DType(String torchName) {
        this.torchName = torchName;
    }

    public boolean isFloating() {
        return this != I32;
    }

    /** The PyTorch spelling, used by {@code toString}. */
    public String torchName() {
        return torchName;
    }
}
