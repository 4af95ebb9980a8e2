package dev.jgrad.lm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train → sample → eval through the command line's own entry points, on a tiny corpus. */
class CliTest {
    private static Options opts(Set<String> keys, Set<String> flags, String... args) {
        return new Options(args, 0, keys, flags);
    }

    @Test
    void trainSampleAndEvalFromACheckpoint(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("tiny.txt");
        Files.writeString(text, "\uFEFF" + "the cat sat on the mat. the dog sat on the log. ".repeat(40));
        Path ckpt = dir.resolve("gpt.safetensors");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        Main.train(opts(Set.of("model", "data", "steps", "batch", "block", "embd", "heads", "layers", "checkpoint",
                "out", "metrics-json", "sample-tokens", "eval-every"), Set.of(),
                "--model", "gpt", "--data", text.toString(), "--steps", "6", "--batch", "2", "--block", "8", "--embd", "16",
                "--heads", "2", "--layers", "1", "--checkpoint", ckpt.toString(), "--out", dir.toString(),
                "--metrics-json", dir.resolve("train.json").toString(), "--sample-tokens", "5", "--eval-every", "3"), out);
        assertTrue(Files.exists(ckpt));
        assertTrue(Files.exists(dir.resolve("gpt.csv")) && Files.exists(dir.resolve("gpt.png")));
        String train = Files.readString(dir.resolve("train.json"));
        assertTrue(train.contains("\"model\":\"gpt\"") && train.contains("\"val_perplexity\""), train);
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("| gpt |"));

        Main.sample(opts(Set.of("checkpoint", "prompt", "tokens", "seed", "metrics-json"), Set.of("greedy"),
                "--checkpoint", ckpt.toString(), "--prompt", "the ", "--tokens", "12", "--greedy",
                "--metrics-json", dir.resolve("sample.json").toString()), out);
        String sample = Files.readString(dir.resolve("sample.json"));
        assertTrue(sample.contains("\"tokens\":12"), sample);

        Main.eval(opts(Set.of("checkpoint", "data", "metrics-json"), Set.of(), "--checkpoint", ckpt.toString(),
                "--data", text.toString(), "--metrics-json", dir.resolve("eval.json").toString()), out);
        assertTrue(Files.readString(dir.resolve("eval.json")).contains("\"bits_per_char\""));
    }

    private static final Set<String> TRAIN = Set.of("model", "data", "steps", "batch", "block", "embd", "hidden", "heads",
            "layers", "checkpoint", "out", "metrics-json", "sample-tokens", "eval-every", "tokenizer", "vocab");

    @Test
    void bpeTokenizerTravelsInTheCheckpoint(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("tiny.txt");
        String corpus = "the cat sat on the mat. the dog sat on the log. ".repeat(40);
        Files.writeString(text, corpus);
        Path ckpt = dir.resolve("lstm.safetensors");
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Main.train(opts(TRAIN, Set.of(), "--model", "lstm", "--data", text.toString(), "--steps", "4", "--batch", "2",
                "--block", "8", "--embd", "8", "--hidden", "8", "--checkpoint", ckpt.toString(), "--out", dir.toString(),
                "--tokenizer", "bpe", "--vocab", "270", "--sample-tokens", "4", "--eval-every", "2",
                "--metrics-json", dir.resolve("train.json").toString()), out);
        assertTrue(Files.readString(dir.resolve("train.json")).contains("\"tokenizer\":\"bpe\""));
        Main.Loaded loaded = Main.load(ckpt);
        assertEquals("bpe", loaded.tokenizer());
        // The same merges as a tokenizer trained on the first 90% of the text, hence the same ids.
        var expected = dev.jgrad.lm.text.BpeTokenizer.train(Main.splitText(corpus)[0], 270);
        assertEquals(270, loaded.tok().vocabSize());
        assertArrayEquals(expected.encode("the cat sat on the log."), loaded.tok().encode("the cat sat on the log."));

        Main.eval(opts(Set.of("checkpoint", "data", "metrics-json"), Set.of(), "--checkpoint", ckpt.toString(),
                "--data", text.toString(), "--metrics-json", dir.resolve("eval.json").toString()), out);
        assertTrue(Files.readString(dir.resolve("eval.json")).contains("\"bits_per_char\""));
        var e = assertThrows(IllegalArgumentException.class, () -> Main.data(opts(Set.of("data", "tokenizer"), Set.of(),
                "--data", text.toString(), "--tokenizer", "words")));
        assertTrue(e.getMessage().contains("'words'"), e.getMessage());
    }

    @Test
    void nextTokenModelPredictsFromACheckpoint(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("tiny.txt");
        Files.writeString(text, "the cat sat on the mat. the dog sat on the log. ".repeat(40));
        Path ckpt = dir.resolve("next.safetensors");
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Main.train(opts(TRAIN, Set.of(), "--model", "next-token", "--data", text.toString(), "--steps", "30", "--batch", "4",
                "--block", "16", "--embd", "8", "--hidden", "16", "--checkpoint", ckpt.toString(), "--out", dir.toString(),
                "--sample-tokens", "4", "--eval-every", "10"), out);
        Path json = dir.resolve("predict.json");
        Main.predict(opts(Set.of("checkpoint", "text", "top-k", "metrics-json"), Set.of(), "--checkpoint", ckpt.toString(),
                "--text", "the cat", "--top-k", "3", "--metrics-json", json.toString()), out);
        Object parsed = dev.jgrad.nn.io.Json.parse(Files.readString(json));
        var m = (java.util.Map<?, ?>) parsed;
        var top = (java.util.List<?>) m.get("top");
        var saliency = (java.util.List<?>) m.get("saliency");
        assertEquals(3, top.size());
        assertEquals(7, saliency.size(), "one saliency per input character of 'the cat'");
        double previous = 1;
        double sum = 0;
        for (Object c : top) {
            double p = ((Number) ((java.util.Map<?, ?>) c).get("probability")).doubleValue();
            assertTrue(p <= previous && p > 0, "descending probabilities");
            previous = p;
        }
        for (Object s : saliency) {
            sum += ((Number) ((java.util.Map<?, ?>) s).get("saliency")).doubleValue();
        }
        assertEquals(1.0, sum, 1e-4);

        Path gpt = dir.resolve("gpt.safetensors");
        Main.train(opts(TRAIN, Set.of(), "--model", "gpt", "--data", text.toString(), "--steps", "1", "--batch", "2",
                "--block", "8", "--embd", "8", "--heads", "2", "--layers", "1", "--checkpoint", gpt.toString(),
                "--out", dir.toString(), "--sample-tokens", "2"), out);
        var e = assertThrows(IllegalArgumentException.class, () -> Main.predict(opts(Set.of("checkpoint", "text"),
                Set.of(), "--checkpoint", gpt.toString(), "--text", "the"), out));
        assertTrue(e.getMessage().contains("next-token") && e.getMessage().contains("gpt"), e.getMessage());
    }

    @Test
    void optionsAreChecked() {
        var e = assertThrows(IllegalArgumentException.class, () -> opts(Set.of("steps"), Set.of(), "--stpes", "3"));
        assertTrue(e.getMessage().contains("--stpes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> opts(Set.of("steps"), Set.of(), "--steps"));
        assertThrows(IllegalArgumentException.class, () -> opts(Set.of("steps"), Set.of(), "--steps", "x").integer("steps", 1));
        assertThrows(IllegalArgumentException.class, () -> Models.defaults("transformer"));
        var config = new java.util.LinkedHashMap<String, String>();
        config.put("block", "64");
        config.put("dropout", "0.1");
        assertEquals(config, Models.decode(Models.encode(config)));
    }

    @Test
    void defaultCorpusIsDickensWithoutItsByteOrderMark() {
        String text = dev.jgrad.lm.data.Corpus.load(null);
        assertTrue(text.startsWith("The Old Curiosity Shop"), text.substring(0, 40));
        assertTrue(text.length() > 1_000_000);
    }
}
