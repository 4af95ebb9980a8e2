package dev.jgrad.lm.cli;

import dev.jgrad.lm.LanguageModel;
import dev.jgrad.lm.models.CountsBigramLM;
import dev.jgrad.lm.models.GPT;
import dev.jgrad.lm.models.LSTMLanguageModel;
import dev.jgrad.lm.models.MLPLanguageModel;
import dev.jgrad.lm.models.NeuralBigramLM;
import dev.jgrad.lm.models.NextTokenLM;
import dev.jgrad.tensor.Generator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the ladder's models from command-line options and writes their configuration as
 * checkpoint metadata, so {@code sample} and {@code eval} can rebuild a trained model.
 */
final class Models {
    static final String KIND = "jgrad.model";
    static final String CONFIG = "jgrad.config";

    private Models() {
    }

    /** Defaults per model, overridable with --key value. */
    static Map<String, String> defaults(String kind) {
        Map<String, String> d = new LinkedHashMap<>();
        switch (kind) {
            case "counts" -> d.put("k", "1");
            case "bigram" -> d.put("embd", "32");
            case "mlp" -> {
                d.put("context", "8");
                d.put("embd", "16");
                d.put("hidden", "256");
                d.put("init-fixes", "true");
            }
            case "lstm" -> {
                d.put("embd", "32");
                d.put("hidden", "192");
                d.put("layers", "1");
            }
            case "next-token" -> {
                d.put("embd", "32");
                d.put("hidden", "128");   // the LSTM contextualizer; 0 leaves it out
            }
            case "gpt" -> {
                d.put("block", "64");
                d.put("layers", "4");
                d.put("heads", "4");
                d.put("embd", "128");
                d.put("dropout", "0");
                d.put("bias", "true");
            }
            default -> throw new IllegalArgumentException("unknown model '" + kind
                    + "' (expected counts, bigram, mlp, lstm, next-token or gpt)");
        }
        return d;
    }

    static LanguageModel build(String kind, Map<String, String> o, int vocab, long seed) {
        Generator g = new Generator(seed);
        return switch (kind) {
            case "counts" -> new CountsBigramLM(vocab, dbl(o, "k"));
            case "bigram" -> new NeuralBigramLM(vocab, integer(o, "embd"), g);
            case "mlp" -> new MLPLanguageModel(new MLPLanguageModel.Config(vocab, integer(o, "context"),
                    integer(o, "embd"), integer(o, "hidden"), Boolean.parseBoolean(o.get("init-fixes"))), g);
            case "lstm" -> new LSTMLanguageModel(new LSTMLanguageModel.Config(vocab, integer(o, "embd"),
                    integer(o, "hidden"), integer(o, "layers")), g);
            case "next-token" -> new NextTokenLM(vocab, integer(o, "embd"), integer(o, "hidden"), g);
            case "gpt" -> new GPT(new GPT.Config(vocab, integer(o, "block"), integer(o, "layers"), integer(o, "heads"),
                    integer(o, "embd"), dbl(o, "dropout"), !"false".equals(o.getOrDefault("bias", "true"))), g);
            default -> throw new IllegalArgumentException("unknown model '" + kind + "'");
        };
    }

    /** The model's own options as one metadata string "k=v;k=v". */
    static String encode(Map<String, String> modelOptions) {
        StringBuilder sb = new StringBuilder();
        modelOptions.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ";").append(k).append('=').append(v));
        return sb.toString();
    }

    static Map<String, String> decode(String s) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : s.split(";")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return m;
    }

    static int integer(Map<String, String> o, String key) {
        try {
            return Integer.parseInt(o.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be an integer, got '" + o.get(key) + "'");
        }
    }

    static double dbl(Map<String, String> o, String key) {
        try {
            return Double.parseDouble(o.get(key));
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException("--" + key + " must be a number, got '" + o.get(key) + "'");
        }
    }
}
