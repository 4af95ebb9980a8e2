package dev.jgrad.tensor;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Per-thread reuse of F32 storage that is provably dead, the role PyTorch's caching allocator
 * plays. A fresh Java array costs more than its size suggests: the JVM zero-fills it in memory
 * that has usually left the caches, so an op on 768 x 512 floats spent about twice as long
 * allocating its result as computing it (a multiply measured 0.90 ns per element allocating,
 * 0.31 writing into an existing array). A recycled array is still warm.
 *
 * <p>Nothing is ever recycled on a guess. Only the code that made an array can know nobody else
 * holds it, so the pool accepts only arrays allocated on this thread inside an open
 * {@link Recording}, and only when its owner {@linkplain Recording#release releases} them. The
 * autograd engine records each backward pass and releases the intermediate gradients it has
 * finished with; they come back as the results of later ops (the rest of the backward pass, the
 * next forward pass). Every F32 allocation of at least {@link #MIN_LENGTH} elements made on this
 * thread looks here first, and gets an array of exactly its length: zero-filled, as from
 * {@code new float[n]}, or as it was left when the caller promises to overwrite it all
 * ({@link NdArray#empty}).
 */
public final class ArrayPool {
    /** Below this many floats a fresh array is cheap (it comes out of the thread's TLAB). */
    public static final int MIN_LENGTH = 1024;
    /** Floats each thread keeps at most (64 MiB); arrays released beyond it are left to the GC. */
    public static final long CAPACITY = 1L << 24;

    private static final ThreadLocal<ArrayPool> POOL = ThreadLocal.withInitial(ArrayPool::new);

    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private long held;
    private Recording recording;

    private ArrayPool() {
    }

    /**
     * Whether {@link NdArray#empty} fills its arrays with NaN, fresh or recycled: the tests run
     * with {@code -Djgrad.poisonEmpty=true}, so an op that reads an element of its output before
     * writing it gives NaN there instead of whatever the array last held (PyTorch's
     * {@code fill_uninitialized_memory} plays the same role).
     */
    static final boolean POISON_EMPTY = Boolean.getBoolean("jgrad.poisonEmpty");

    /** A zero-filled array of length n: a released one when this thread has one, else a new one. */
    static float[] zerosF32(int n) {
        return take(n, true);
    }

    /**
     * An array of length n whose contents the caller will overwrite: a released one is not
     * zero-filled first. Zero-filling the recycled results of a GPT training step (products,
     * attention, GELU, LayerNorm) was about 3% of its time (JFR, one and two threads), all of it
     * on the calling thread while the pool's other threads waited.
     */
    static float[] emptyF32(int n) {
        float[] a = take(n, false);
        if (POISON_EMPTY) {
            Arrays.fill(a, Float.NaN);
        }
        return a;
    }

    private static float[] take(int n, boolean zero) {
        if (n < MIN_LENGTH) {
            return new float[n];
        }
        ArrayPool pool = POOL.get();
        if (pool.held == 0 && pool.recording == null) {
            return new float[n];   // inference, or no backward on this thread yet: no lookup
        }
        ArrayDeque<float[]> list = pool.free.get(n);
        float[] a = list == null ? null : list.pollLast();
        if (a == null) {
            a = new float[n];
        } else {
            pool.held -= n;
            if (zero) {
                Arrays.fill(a, 0f);
            }
        }
        if (pool.recording != null) {
            pool.recording.born.add(a);
        }
        return a;
    }

    /**
     * Starts recording the F32 arrays this thread allocates until the recording is closed.
     * Recordings nest; an array belongs to the innermost one open when it was made.
     */
    public static Recording record() {
        ArrayPool pool = POOL.get();
        Recording r = new Recording(pool, pool.recording);
        pool.recording = r;
        return r;
    }

    /**
     * Puts {@code a}'s storage into the innermost recording open on this thread, as if it had
     * been allocated there: for an op that made an array earlier and hands it over now, keeping
     * no reference to it (the fused cross-entropy computes its gradient in the forward pass and
     * gives it away in the backward). The caller promises that nothing else refers to that
     * storage. Returns whether a recording took it; with none open, or for storage below
     * {@link #MIN_LENGTH} (never recorded), nothing happens.
     */
    public static boolean adopt(NdArray a) {
        ArrayPool pool = POOL.get();
        if (pool.recording == null || a.dtype() != DType.F32 || a.storageF32().length < MIN_LENGTH) {
            return false;
        }
        return pool.recording.born.add(a.storageF32());
    }

    /** Floats this thread's pool holds for reuse (for tests and diagnostics). */
    public static long heldFloats() {
        return POOL.get().held;
    }

    /** Drops every array this thread's pool holds. */
    public static void clear() {
        ArrayPool pool = POOL.get();
        pool.free.clear();
        pool.held = 0;
    }

    /** The arrays allocated while it was open, which its owner may hand back once they are dead. */
    public static final class Recording implements AutoCloseable {
        private final ArrayPool pool;
        private final Recording outer;
        private final Thread owner = Thread.currentThread();
        final Set<float[]> born = Collections.newSetFromMap(new IdentityHashMap<>());
        private boolean closed;

        private Recording(ArrayPool pool, Recording outer) {
            this.pool = pool;
            this.outer = outer;
        }

        /**
         * Hands back the storage of {@code a} if it was allocated during this recording: the
         * caller promises that nothing (no array, view or tensor still in use) refers to that
         * storage any more. Returns whether the storage was taken; storage from elsewhere (user
         * data, arrays made before the recording) is never taken, and nor is the same array twice.
         */
        public boolean release(NdArray a) {
            if (closed || Thread.currentThread() != owner) {
                throw new IllegalStateException("ArrayPool.release: the recording is "
                        + (closed ? "closed" : "owned by thread " + owner.getName()));
            }
            if (a.dtype() != DType.F32) {
                return false;
            }
            float[] s = a.storageF32();
            if (!born.remove(s)) {
                return false;
            }
            if (pool.held + s.length <= CAPACITY) {
                pool.free.computeIfAbsent(s.length, n -> new ArrayDeque<>()).addLast(s);
                pool.held += s.length;
            }
            return true;
        }

        /**
         * Takes {@code a}'s storage out of the recording for good (its owner hands it to a holder
         * that outlives the recording): later releases refuse it. Returns whether the storage was
         * allocated during this recording and not yet released or disowned.
         */
        public boolean disown(NdArray a) {
            return a.dtype() == DType.F32 && born.remove(a.storageF32());
        }

        /** Whether {@code a}'s storage was allocated during this recording and not yet released. */
        public boolean recorded(NdArray a) {
            return a.dtype() == DType.F32 && born.contains(a.storageF32());
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (pool.recording != this) {
                throw new IllegalStateException("ArrayPool.Recording.close: recordings must close innermost first");
            }
            closed = true;
            pool.recording = outer;
            born.clear();
        }
    }
}
