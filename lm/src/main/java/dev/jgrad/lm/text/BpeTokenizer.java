package dev.jgrad.lm.text;

import dev.jgrad.nn.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE (Sennrich et al. 2016 as used by GPT-2). Text is split into pre-tokens with
 * GPT-2's pattern, each pre-token's UTF-8 bytes are written as printable characters (GPT-2's
 * byte-to-unicode table), and adjacent symbols are merged by rank. Any UTF-8 text round-trips
 * because every byte is a token. It can be trained on a corpus, or load GPT-2's published
 * {@code encoder.json} and {@code vocab.bpe}, after which it produces GPT-2's exact ids.
 */
public final class BpeTokenizer implements Tokenizer {
    /** GPT-2's pre-tokenizer: contractions, letters, numbers, other symbols, whitespace. */
    private static final Pattern PRETOKEN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final Map<Character, Integer> CHAR_TO_BYTE = new HashMap<>();

    static {
        // Printable bytes stand for themselves; the others are shifted above 255, in order.
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + extra++);
            CHAR_TO_BYTE.put(BYTE_TO_CHAR[b], b);
        }
    }

    private final Map<String, Integer> encoder;
    private final String[] decoder;
    private final Map<String, Integer> ranks;   // "a b" -> merge rank
    private final Map<String, int[]> cache = new HashMap<>();

    private BpeTokenizer(Map<String, Integer> encoder, Map<String, Integer> ranks) {
        this.encoder = encoder;
        this.ranks = ranks;
        int max = encoder.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        this.decoder = new String[max + 1];
        encoder.forEach((k, v) -> decoder[v] = k);
    }

    /** GPT-2's tokenizer from its published files. */
    @SuppressWarnings("unchecked")
    public static BpeTokenizer loadGpt2(Path encoderJson, Path vocabBpe) throws IOException {
        Map<String, Object> raw = (Map<String, Object>) Json.parse(Files.readString(encoderJson, StandardCharsets.UTF_8));
        Map<String, Integer> enc = new HashMap<>();
        raw.forEach((k, v) -> enc.put(k, ((Number) v).intValue()));
        Map<String, Integer> ranks = new HashMap<>();
        List<String> lines = Files.readAllLines(vocabBpe, StandardCharsets.UTF_8);
        int rank = 0;
        for (String line : lines) {
            if (line.startsWith("#version") || line.isBlank()) {
                continue;
            }
            if (line.split(" ").length != 2) {
                throw new IOException("vocab.bpe: malformed merge line '" + line + "'");
            }
            ranks.put(line, rank++);
        }
        return new BpeTokenizer(enc, ranks);
    }

    /**
     * Learns merges on {@code corpus} until the vocabulary has {@code vocabSize} tokens (256
     * byte tokens first). The most frequent adjacent pair is merged each round; ties go to the
     * pair that sorts first, so training is deterministic.
     */
    public static BpeTokenizer train(String corpus, int vocabSize) {
        if (vocabSize < 256) {
            throw new IllegalArgumentException("BPE: vocabulary size must be at least 256 (the bytes), got " + vocabSize);
        }
        java.util.Set<String> tokens = new java.util.HashSet<>(byteTokens().keySet());
        Map<List<String>, Integer> words = new HashMap<>();
        Matcher m = PRETOKEN.matcher(corpus);
        while (m.find()) {
            words.merge(symbols(toByteChars(m.group())), 1, Integer::sum);
        }
        List<String> merges = new ArrayList<>();
        while (tokens.size() < vocabSize) {
            Map<String, Integer> pairs = new HashMap<>();
            for (var w : words.entrySet()) {
                List<String> s = w.getKey();
                for (int i = 0; i + 1 < s.size(); i++) {
                    pairs.merge(s.get(i) + " " + s.get(i + 1), w.getValue(), Integer::sum);
                }
            }
            String best = null;
            int bestCount = 0;
            for (var p : pairs.entrySet()) {
                if (p.getValue() > bestCount || (p.getValue() == bestCount && p.getKey().compareTo(best) < 0)) {
                    best = p.getKey();
                    bestCount = p.getValue();
                }
            }
            if (best == null) {
                break; // nothing left to merge: every word is a single token
            }
            merges.add(best);
            String[] ab = best.split(" ");
            tokens.add(ab[0] + ab[1]);
            Map<List<String>, Integer> next = new HashMap<>();
            for (var w : words.entrySet()) {
                next.merge(mergePair(w.getKey(), ab[0], ab[1]), w.getValue(), Integer::sum);
            }
            words = next;
        }
        return fromMerges(merges);
    }

    /**
     * The tokenizer that {@link #train} returns when it learns {@code merges} (pairs "a b" in
     * merge order, as {@link #mergeList} gives them): ids 0-255 are the bytes, then one id per
     * merge in order (two merge paths can spell one token, "a bc" and "ab c": it keeps its first
     * id). {@link #train} builds its result here, and a trained tokenizer travels inside a
     * checkpoint as these merges.
     */
    public static BpeTokenizer fromMerges(List<String> merges) {
        Map<String, Integer> enc = byteTokens();
        Map<String, Integer> ranks = new HashMap<>();
        for (String merge : merges) {
            String[] ab = merge.split(" ");
            if (ab.length != 2 || !enc.containsKey(ab[0]) || !enc.containsKey(ab[1])) {
                throw new IllegalArgumentException("BPE: merge " + ranks.size() + " '" + merge
                        + "' is not two known symbols separated by one space");
            }
            if (ranks.putIfAbsent(merge, ranks.size()) != null) {
                throw new IllegalArgumentException("BPE: merge '" + merge + "' appears twice");
            }
            enc.putIfAbsent(ab[0] + ab[1], enc.size());
        }
        return new BpeTokenizer(enc, ranks);
    }

    private static Map<String, Integer> byteTokens() {
        Map<String, Integer> enc = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            enc.put(String.valueOf(BYTE_TO_CHAR[b]), b);
        }
        return enc;
    }

    /**
     * The merges in rank order, each "a b" over GPT-2's byte characters (the format of GPT-2's
     * {@code vocab.bpe}). {@link #fromMerges} rebuilds this tokenizer from them only when its ids
     * are laid out as {@link #train} lays them out; GPT-2's are not (they follow encoder.json), so
     * for a tokenizer loaded with {@link #loadGpt2} this throws rather than describe other ids.
     */
    public List<String> mergeList() {
        String[] byRank = new String[ranks.size()];
        ranks.forEach((pair, rank) -> byRank[rank] = pair);
        List<String> merges = List.of(byRank);
        if (!fromMerges(merges).encoder.equals(encoder)) {
            throw new IllegalStateException("BPE: this tokenizer's ids are not bytes-then-merges (GPT-2's"
                    + " encoder.json?), so its merges alone do not describe it");
        }
        return merges;
    }

    private static String toByteChars(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            sb.append(BYTE_TO_CHAR[b & 0xFF]);
        }
        return sb.toString();
    }

    private static List<String> symbols(String byteChars) {
        List<String> s = new ArrayList<>(byteChars.length());
        for (int i = 0; i < byteChars.length(); i++) {
            s.add(String.valueOf(byteChars.charAt(i)));
        }
        return s;
    }

    private static List<String> mergePair(List<String> s, String a, String b) {
        List<String> out = new ArrayList<>(s.size());
        for (int i = 0; i < s.size(); i++) {
            if (i + 1 < s.size() && s.get(i).equals(a) && s.get(i + 1).equals(b)) {
                out.add(a + b);
                i++;
            } else {
                out.add(s.get(i));
            }
        }
        return out;
    }

    /** Applies merges to one pre-token in rank order (lowest rank first, as GPT-2's bpe()). */
    private int[] encodeWord(String byteChars) {
        int[] cached = cache.get(byteChars);
        if (cached != null) {
            return cached;
        }
        List<String> s = symbols(byteChars);
        while (s.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String a = null;
            String b = null;
            for (int i = 0; i + 1 < s.size(); i++) {
                Integer r = ranks.get(s.get(i) + " " + s.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    a = s.get(i);
                    b = s.get(i + 1);
                }
            }
            if (a == null) {
                break;
            }
            s = mergePair(s, a, b);
        }
        int[] ids = new int[s.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = encoder.get(s.get(i));
            if (id == null) {
                throw new IllegalStateException("BPE: symbol '" + s.get(i) + "' has no id in the vocabulary");
            }
            ids[i] = id;
        }
        if (cache.size() < 100_000) {
            cache.put(byteChars, ids);
        }
        return ids;
    }

    @Override
    public int vocabSize() {
        return decoder.length;
    }

    public int merges() {
        return ranks.size();
    }

    @Override
    public int[] encode(String text) {
        List<int[]> parts = new ArrayList<>();
        int total = 0;
        Matcher m = PRETOKEN.matcher(text);
        while (m.find()) {
            int[] ids = encodeWord(toByteChars(m.group()));
            parts.add(ids);
            total += ids.length;
        }
        int[] out = new int[total];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= decoder.length || decoder[ids[i]] == null) {
                throw new IllegalArgumentException("BPE: id " + ids[i] + " at position " + i
                        + " is outside the vocabulary of " + decoder.length);
            }
            for (char c : decoder[ids[i]].toCharArray()) {
                bytes.write(CHAR_TO_BYTE.get(c));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
