package dev.jgrad.lm.text;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * One token per Unicode code point, the vocabulary being the sorted set of code points of a
 * corpus (as in char-rnn and makemore). Text with a code point outside it is an error.
 */
public final class CharTokenizer implements Tokenizer {
    private final int[] codePoints;

    private CharTokenizer(int[] codePoints) {
        this.codePoints = codePoints;
    }

    public static CharTokenizer fromCorpus(String corpus) {
        TreeSet<Integer> set = new TreeSet<>();
        corpus.codePoints().forEach(set::add);
        if (set.isEmpty()) {
            throw new IllegalArgumentException("CharTokenizer: empty corpus");
        }
        return new CharTokenizer(set.stream().mapToInt(Integer::intValue).toArray());
    }

    /** A tokenizer over exactly these characters, in this order. */
    public static CharTokenizer of(String alphabet) {
        int[] cps = alphabet.codePoints().toArray();
        if (cps.length == 0 || Arrays.stream(cps).distinct().count() != cps.length) {
            throw new IllegalArgumentException("CharTokenizer: alphabet must be non-empty without repeats");
        }
        return new CharTokenizer(cps);
    }

    @Override
    public int vocabSize() {
        return codePoints.length;
    }

    private int idOf(int cp, int at) {
        for (int i = 0; i < codePoints.length; i++) {
            if (codePoints[i] == cp) {
                return i;
            }
        }
        throw new IllegalArgumentException("CharTokenizer: character '" + new String(Character.toChars(cp))
                + "' (U+" + Integer.toHexString(cp).toUpperCase() + ") at position " + at + " is not in the vocabulary");
    }

    @Override
    public int[] encode(String text) {
        int[] cps = text.codePoints().toArray();
        int[] ids = new int[cps.length];
        // Sorted vocabulary: binary search when built from a corpus, linear scan otherwise.
        boolean sorted = isSorted();
        for (int i = 0; i < cps.length; i++) {
            int k = sorted ? Arrays.binarySearch(codePoints, cps[i]) : idOf(cps[i], i);
            if (k < 0) {
                idOf(cps[i], i);
            }
            ids[i] = k;
        }
        return ids;
    }

    private boolean isSorted() {
        for (int i = 1; i < codePoints.length; i++) {
            if (codePoints[i - 1] >= codePoints[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= codePoints.length) {
                throw new IllegalArgumentException("CharTokenizer: id " + ids[i] + " at position " + i
                        + " is outside the vocabulary of " + codePoints.length);
            }
            sb.appendCodePoint(codePoints[ids[i]]);
        }
        return sb.toString();
    }

    /** The vocabulary as a string, in id order. */
    public String alphabet() {
        return new String(codePoints, 0, codePoints.length);
    }
}
