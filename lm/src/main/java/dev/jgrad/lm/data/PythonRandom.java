package dev.jgrad.lm.data;

import java.util.List;

/**
 * CPython's {@code random.Random}: MT19937 seeded the way {@code random.seed(int)} seeds it, with
 * {@code getrandbits} and {@code shuffle} drawing exactly the numbers CPython draws.
 *
 * <p>Exists for one reason: published experiments (makemore's MLP among them) split their data with
 * {@code random.seed(42); random.shuffle(words)}, and the held-out loss they report depends on which
 * names land in the dev set. Reproducing the split makes those numbers comparable; it is not a
 * general-purpose generator (use {@code dev.jgrad.tensor.Generator} for that).
 *
 * <p>All arithmetic is on {@code int}: Java's wrap-around multiplication and addition are exactly
 * the uint32 arithmetic of the reference MT19937 code, and {@code >>>} is its unsigned shift.
 */
public final class PythonRandom {
    private static final int N = 624;
    private static final int M = 397;

    private final int[] mt = new int[N];
    private int index;

    /** {@code random.seed(seed)} for a non-negative integer seed. */
    public PythonRandom(long seed) {
        if (seed < 0) {
            throw new IllegalArgumentException("PythonRandom: seed must be non-negative, got " + seed);
        }
        // CPython takes |seed| as little-endian 32-bit words (at least one) and calls init_by_array.
        int[] key = (seed >>> 32) == 0 ? new int[] {(int) seed} : new int[] {(int) seed, (int) (seed >>> 32)};
        initByArray(key);
    }

    private void initGenrand(int s) {
        mt[0] = s;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        index = N;
    }

    private void initByArray(int[] key) {
        initGenrand(19650218);
        int i = 1;
        int j = 0;
        for (int k = Math.max(N, key.length); k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
            i++;
            j++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if (j >= key.length) {
                j = 0;
            }
        }
        for (int k = N - 1; k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
            i++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x80000000;
    }

    /** The next 32 random bits (MT19937's {@code genrand_uint32}), as an unsigned value. */
    public long nextUint32() {
        if (index >= N) {
            for (int k = 0; k < N; k++) {
                int y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
                mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
            }
            index = 0;
        }
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xffffffffL;
    }

    /** {@code random.getrandbits(k)} for 0 ≤ k ≤ 32. */
    public long getrandbits(int k) {
        if (k < 0 || k > 32) {
            throw new IllegalArgumentException("getrandbits: k must be in [0, 32], got " + k);
        }
        return k == 0 ? 0 : nextUint32() >>> (32 - k);
    }

    /** CPython's {@code _randbelow}: a uniform integer in [0, n) by rejection on {@code bit_length(n)} bits. */
    public int randbelow(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("randbelow: n must be positive, got " + n);
        }
        int k = 32 - Integer.numberOfLeadingZeros(n);
        long r = getrandbits(k);
        while (r >= n) {
            r = getrandbits(k);
        }
        return (int) r;
    }

    /** {@code random.shuffle(list)} in place: the same permutation CPython produces from the same state. */
    public <T> void shuffle(List<T> list) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = randbelow(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
