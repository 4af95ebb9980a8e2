package dev.jgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ArrayPoolTest {
    private static final int N = ArrayPool.MIN_LENGTH * 3;

    @BeforeEach
    void emptyPool() {
        ArrayPool.clear();
    }

    @Test
    void releasedStorageComesBackZeroFilled() {
        NdArray a;
        try (ArrayPool.Recording r = ArrayPool.record()) {
            a = NdArray.zeros(DType.F32, 3, ArrayPool.MIN_LENGTH);
            a.storageF32()[5] = 7f;
            assertTrue(r.recorded(a));
            assertTrue(r.release(a));
            assertFalse(r.release(a), "the same array twice");
            assertFalse(r.recorded(a));
        }
        assertEquals(N, ArrayPool.heldFloats());
        NdArray b = NdArray.zeros(DType.F32, N);   // any shape of the same length
        assertSame(a.storageF32(), b.storageF32());
        assertArrayEquals(new float[N], b.storageF32());
        assertEquals(0, ArrayPool.heldFloats());
        assertNotSame(b.storageF32(), NdArray.zeros(DType.F32, N).storageF32(), "the pool is empty again");
    }

    @Test
    void emptyHandsBackReleasedStorageAndTheTestsPoisonIt() {
        // The build sets jgrad.poisonEmpty for every test run: NaN wherever a kernel fails to write.
        assertTrue(Boolean.getBoolean("jgrad.poisonEmpty"), "tests must run with -Djgrad.poisonEmpty=true");
        assertTrue(Float.isNaN(NdArray.empty(DType.F32, 2, 3).storageF32()[5]), "fresh and small");
        assertTrue(Double.isNaN(NdArray.empty(DType.F64, 4).storageF64()[0]));
        NdArray a;
        try (ArrayPool.Recording r = ArrayPool.record()) {
            a = NdArray.zeros(DType.F32, N);
            assertTrue(r.release(a));
        }
        NdArray b = NdArray.empty(DType.F32, 3, ArrayPool.MIN_LENGTH);
        assertSame(a.storageF32(), b.storageF32());
        assertTrue(b.isContiguous());
        assertEquals(0, ArrayPool.heldFloats());
        for (float v : b.storageF32()) {
            assertTrue(Float.isNaN(v));
        }
    }

    @Test
    void refusesWhatItDidNotSeeBorn() {
        NdArray before = NdArray.zeros(DType.F32, N);
        NdArray user = NdArray.of(new float[N], N);
        try (ArrayPool.Recording r = ArrayPool.record()) {
            NdArray small = NdArray.zeros(DType.F32, ArrayPool.MIN_LENGTH - 1);
            NdArray f64 = NdArray.zeros(DType.F64, N);
            assertFalse(r.release(before), "allocated before the recording");
            assertFalse(r.release(user), "user data");
            assertFalse(r.release(small), "small arrays are not tracked");
            assertFalse(r.release(f64), "only F32 is pooled");
        }
        assertEquals(0, ArrayPool.heldFloats());
    }

    @Test
    void anArrayBelongsToTheInnermostRecording() {
        try (ArrayPool.Recording outer = ArrayPool.record()) {
            NdArray a = NdArray.zeros(DType.F32, N);
            NdArray b;
            try (ArrayPool.Recording inner = ArrayPool.record()) {
                b = NdArray.zeros(DType.F32, N);
                assertFalse(inner.release(a));
                assertThrows(IllegalStateException.class, outer::close, "closing out of order");
            }
            assertFalse(outer.release(b), "b was born in the inner recording, now closed");
            assertTrue(outer.release(a));
        }
    }

    @Test
    void misuseIsAClearError() {
        ArrayPool.Recording r = ArrayPool.record();
        NdArray a = NdArray.zeros(DType.F32, N);
        r.close();
        var e = assertThrows(IllegalStateException.class, () -> r.release(a));
        assertTrue(e.getMessage().contains("ArrayPool.release") && e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void holdsNoMoreThanItsCapacity() {
        int big = (int) (ArrayPool.CAPACITY / 2 + 1);
        try (ArrayPool.Recording r = ArrayPool.record()) {
            NdArray a = NdArray.zeros(DType.F32, big);
            NdArray b = NdArray.zeros(DType.F32, big);
            assertTrue(r.release(a));
            assertTrue(r.release(b), "taken from the caller, left to the GC");
        }
        assertEquals(big, ArrayPool.heldFloats());
        ArrayPool.clear();
    }

    @Test
    void adoptedAndDisownedStorage() {
        NdArray before = NdArray.zeros(DType.F32, N);
        assertFalse(ArrayPool.adopt(before), "no recording open");
        try (ArrayPool.Recording r = ArrayPool.record()) {
            assertFalse(ArrayPool.adopt(NdArray.zeros(DType.F32, ArrayPool.MIN_LENGTH - 1)), "small arrays are not tracked");
            assertFalse(ArrayPool.adopt(NdArray.zeros(DType.F64, N)), "only F32 is pooled");
            assertTrue(ArrayPool.adopt(before));
            assertTrue(r.recorded(before));
            NdArray born = NdArray.zeros(DType.F32, N);
            assertTrue(r.disown(born));
            assertFalse(r.disown(born), "the same array twice");
            assertFalse(r.release(born), "disowned storage never goes back to the pool");
            assertTrue(r.release(before), "adopted storage does");
        }
        assertEquals(N, ArrayPool.heldFloats());
    }
}
