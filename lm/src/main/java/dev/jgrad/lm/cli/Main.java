package dev.jgrad.lm.cli;

import dev.jgrad.lm.LanguageModel;
import dev.jgrad.lm.data.Corpus;
import dev.jgrad.lm.data.TokenData;
import dev.jgrad.lm.eval.Evaluation;
import dev.jgrad.lm.sample.Sampler;
import dev.jgrad.lm.models.NextTokenLM;
import dev.jgrad.lm.text.BpeTokenizer;
import dev.jgrad.lm.text.CharTokenizer;
import dev.jgrad.lm.text.Tokenizer;
import dev.jgrad.lm.train.Plot;
import dev.jgrad.lm.train.Trainer;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.io.Checkpoint;
import dev.jgrad.nn.io.Json;
import dev.jgrad.nn.io.SafeTensors;
import dev.jgrad.nn.optim.LrSchedule;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The {@code ./jgrad} command line: ladder, train, sample, eval and the engine demo. */
public final class Main {
    /** Checkpoint metadata keys of the tokenizer: its kind (char, bpe) and its alphabet or merges. */
    static final String TOKENIZER_KIND = "jgrad.tokenizer.kind";
    static final String TOKENIZER = "jgrad.tokenizer";
    private static final Set<String> MODEL_KEYS = Set.of("k", "embd", "context", "hidden", "init-fixes", "layers", "block",
            "heads", "dropout", "bias");
    private static final Set<String> TRAIN_KEYS = union(MODEL_KEYS, Set.of("model", "data", "steps", "batch", "lr",
            "min-lr", "warmup", "weight-decay", "clip", "eval-every", "eval-tokens", "checkpoint", "checkpoint-every",
            "out", "seed", "metrics-json", "sample-tokens", "temperature", "tokenizer", "vocab"));
    private static final Set<String> SAMPLE_KEYS = Set.of("checkpoint", "prompt", "tokens", "temperature", "top-k",
            "top-p", "seed", "stop", "metrics-json");
    private static final Set<String> EVAL_KEYS = Set.of("checkpoint", "data", "metrics-json", "window");
    private static final Set<String> LADDER_KEYS = Set.of("data", "out", "seed", "metrics-json", "scale", "eval-tokens",
            "tokenizer", "vocab");
    private static final Set<String> PREDICT_KEYS = Set.of("checkpoint", "text", "top-k", "metrics-json");
    /** The ladder, lowest rung first; `next-token` is AllenNLP's model (embedder, LSTM, head). */
    static final List<String> LADDER = List.of("counts", "bigram", "mlp", "lstm", "next-token", "gpt");

    private Main() {
    }

    public static void main(String[] args) {
        String cmd = args.length == 0 ? "help" : args[0];
        PrintStream out = System.out;
        try {
            switch (cmd) {
                case "ladder" -> ladder(new Options(args, 1, LADDER_KEYS, Set.of()), out);
                case "train" -> train(new Options(args, 1, TRAIN_KEYS, Set.of()), out);
                case "sample" -> sample(new Options(args, 1, SAMPLE_KEYS, Set.of("greedy")), out);
                case "eval" -> eval(new Options(args, 1, EVAL_KEYS, Set.of()), out);
                case "predict" -> predict(new Options(args, 1, PREDICT_KEYS, Set.of()), out);
                case "demo" -> demo(new Options(args, 1, Set.of("metrics-json"), Set.of()), out);
                case "experiment" -> experiment(args, out);
                case "help", "--help", "-h" -> usage(out);
                default -> {
                    System.err.println("jgrad: unknown command '" + cmd + "'");
                    usage(System.err);
                    System.exit(2);
                }
            }
        } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
            System.err.println("jgrad " + cmd + ": " + e.getMessage());
            System.exit(1);
        } catch (IOException e) {
            System.err.println("jgrad " + cmd + ": " + e.getMessage());
            System.exit(1);
        }
    }

    static void experiment(String[] args, PrintStream out) throws IOException {
        String which = args.length > 1 ? args[1] : "";
        Options o = new Options(args, 2, Set.of("data", "steps", "seed", "lr", "context", "embd", "hidden", "batch", "split",
                "metrics-json"), Set.of("init-fixes"));
        Map<String, Double> results = switch (which) {
            case "names-bigram" -> Experiments.bigram(o, out);
            case "names-mlp" -> Experiments.mlp(o, out);
            default -> throw new IllegalArgumentException("unknown experiment '" + which
                    + "' (expected names-bigram or names-mlp)");
        };
        Path file = o.path("metrics-json");
        if (file != null) {
            StringBuilder sb = new StringBuilder("{\"command\":\"experiment\",\"experiment\":").append(Json.quote(which));
            results.forEach((k, v) -> sb.append(',').append(Json.quote(k)).append(':').append(String.format(Locale.ROOT, "%.6f", v)));
            writeJson(file, sb.append("}\n").toString());
        }
    }

    static void demo(Options o, PrintStream out) throws IOException {
        double[] r = Demo.run(out);
        Path file = o.path("metrics-json");
        if (file != null) {
            writeJson(file, String.format(Locale.ROOT, "{\"command\":\"demo\",\"micrograd_g\":%.6f,\"micrograd_dg_da\":%.6f,"
                    + "\"micrograd_dg_db\":%.6f,\"mlp_loss_step0\":%.6f,\"mlp_loss_step1\":%.6f}%n", r[0], r[1], r[2], r[3], r[4]));
        }
    }

    static void usage(PrintStream out) {
        out.println("usage: ./jgrad <command> [--option value ...]");
        out.println("  ladder   train every model of the ladder on one text, print perplexities and samples, plot the curves");
        out.println("           --data FILE (default: Dickens, The Old Curiosity Shop)  --out DIR (runs/ladder)");
        out.println("           --scale X (multiplies the steps, default 1)  --seed N  --metrics-json FILE");
        out.println("           --tokenizer char|bpe (default char)  --vocab N (BPE vocabulary, default 512)");
        out.println("  train    --model counts|bigram|mlp|lstm|next-token|gpt  --data FILE  --tokenizer char|bpe  --vocab N");
        out.println("           --steps N  --batch B  --block T  --lr LR");
        out.println("           --min-lr  --warmup  --weight-decay  --clip  --eval-every  --checkpoint FILE (resumes if present)");
        out.println("           --checkpoint-every N  --out DIR  --seed  --metrics-json FILE  and model sizes:");
        out.println("           --embd --hidden --layers --heads --context --dropout --bias true|false --k");
        out.println("  sample   --checkpoint FILE --prompt TEXT --tokens N --temperature T --top-k K --top-p P --greedy --seed S --stop TEXT");
        out.println("  eval     --checkpoint FILE [--data FILE]: perplexity and bits per character on the last 10% of the text");
        out.println("  predict  --checkpoint FILE (a next-token model) --text TEXT --top-k K: the likeliest next tokens,");
        out.println("           with the saliency of every input token");
        out.println("  experiment names-bigram|names-mlp --data names.txt [--init-fixes] [--split makemore|seeded] [--steps N]: makemore's published runs");
        out.println("  demo     the engine on micrograd's expression and a tiny MLP  [--metrics-json FILE]");
        out.println("  test     run every test;  bench  run the JMH benchmarks;  bench-report  every benchmark, PyTorch"
                + " included, then bench/results/report.md and gemm.png;  mutation  PIT over the autograd ops");
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.HashSet<String> s = new java.util.HashSet<>(a);
        s.addAll(b);
        return Set.copyOf(s);
    }

    // ------------------------------------------------------------------ data

    /**
     * A tokenized corpus: the first 90% of the text for training, the rest for validation.
     * {@code valCharsPerToken} turns a loss per token into bits per character, which is what
     * compares a character model with a BPE model.
     */
    record Data(Tokenizer tok, String tokenizer, int[] train, int[] val, double valCharsPerToken, String source) {
    }

    static Data data(Options o) {
        Path file = o.path("data");
        String text = Corpus.load(file);
        String source = file == null ? "dickens.txt (default corpus)" : file.toString();
        String kind = o.get("tokenizer", "char");
        return switch (kind) {
            case "char" -> {
                CharTokenizer tok = CharTokenizer.fromCorpus(text);
                int[][] split = TokenData.split(tok.encode(text), 0.9);
                yield new Data(tok, kind, split[0], split[1], 1.0, source);
            }
            case "bpe" -> {
                String[] parts = splitText(text);
                // Learned on the training text only, so no validation statistics leak into the vocabulary.
                BpeTokenizer tok = BpeTokenizer.train(parts[0], o.integer("vocab", 512));
                int[] val = tok.encode(parts[1]);
                yield new Data(tok, kind, tok.encode(parts[0]), val, charsPerToken(parts[1], val), source);
            }
            default -> throw new IllegalArgumentException("--tokenizer must be char or bpe, got '" + kind + "'");
        };
    }

    /** Characters (code points) of {@code text} per token of its encoding {@code ids}. */
    static double charsPerToken(String text, int[] ids) {
        return (double) text.codePointCount(0, text.length()) / Math.max(1, ids.length);
    }

    /** The text cut at 90% of its characters (never inside a surrogate pair). */
    static String[] splitText(String text) {
        int cut = (int) (text.length() * 0.9);
        if (cut > 0 && cut < text.length() && Character.isLowSurrogate(text.charAt(cut))) {
            cut--;
        }
        return new String[] {text.substring(0, cut), text.substring(cut)};
    }

    /** Checkpoint metadata that rebuilds the tokenizer: its kind, and the alphabet or the merges. */
    static Map<String, String> tokenizerMetadata(Data data) {
        String spec = switch (data.tok()) {
            case CharTokenizer c -> c.alphabet();
            case BpeTokenizer b -> String.join("\n", b.mergeList());
            default -> throw new IllegalStateException("no checkpoint form for " + data.tok().getClass().getSimpleName());
        };
        return Map.of(TOKENIZER_KIND, data.tokenizer(), TOKENIZER, spec);
    }

    // ------------------------------------------------------------------ train

    /** Hyperparameters per model: steps, batch, block, lr, min lr, warmup. */
    static Map<String, String> trainDefaults(String kind) {
        Map<String, String> d = new LinkedHashMap<>();
        switch (kind) {
            case "counts" -> d.putAll(Map.of("steps", "0", "batch", "1", "block", "256", "lr", "0"));
            case "bigram" -> d.putAll(Map.of("steps", "600", "batch", "32", "block", "64", "lr", "1e-2"));
            case "mlp" -> d.putAll(Map.of("steps", "1500", "batch", "32", "block", "64", "lr", "3e-3"));
            case "lstm" -> d.putAll(Map.of("steps", "400", "batch", "16", "block", "64", "lr", "5e-3"));
            case "next-token" -> d.putAll(Map.of("steps", "400", "batch", "16", "block", "64", "lr", "5e-3"));
            case "gpt" -> d.putAll(Map.of("steps", "500", "batch", "12", "block", "64", "lr", "2e-3"));
            default -> Models.defaults(kind);
        }
        return d;
    }

    record Run(String model, LanguageModel lm, Trainer.Result result, int[] sample) {
    }

    static Run trainOne(String kind, Options o, Data data, Path outDir, double scale, PrintStream out) {
        Map<String, String> mo = Models.defaults(kind);
        for (String k : mo.keySet()) {
            if (o.has(k)) {
                mo.put(k, o.get(k, null));
            }
        }
        Map<String, String> td = trainDefaults(kind);
        if (kind.equals("gpt")) {
            mo.put("block", o.get("block", mo.get("block")));
        }
        long seed = Long.parseLong(o.get("seed", "1337"));
        LanguageModel model = Models.build(kind, mo, data.tok().vocabSize(), seed);
        int steps = (int) Math.round(o.integer("steps", Integer.parseInt(td.get("steps"))) * scale);
        int block = o.integer("block", Integer.parseInt(td.get("block")));
        double lr = o.dbl("lr", Double.parseDouble(td.get("lr")));
        double minLr = o.dbl("min-lr", lr / 10);
        int warmup = o.integer("warmup", Math.min(100, steps / 10));
        LrSchedule schedule = LrSchedule.warmupCosine(lr, minLr, warmup, Math.max(steps, warmup));
        Trainer.Config cfg = Trainer.Config.of(steps, o.integer("batch", Integer.parseInt(td.get("batch"))), block, lr, seed)
                .withSchedule(Trainer.OptimizerKind.ADAMW, schedule, o.dbl("weight-decay", 0.0), 0)
                .withEval(o.integer("eval-every", Math.max(1, steps / 10)), o.integer("eval-tokens", 20_000),
                        o.dbl("clip", 1.0))
                .withOutputs(o.path("checkpoint"), o.integer("checkpoint-every", 0),
                        outDir == null ? null : outDir.resolve(kind + ".csv"), outDir == null ? null : outDir.resolve(kind + ".png"));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Models.KIND, kind);
        meta.put(Models.CONFIG, Models.encode(mo));
        meta.putAll(tokenizerMetadata(data));
        Trainer.Result r = Trainer.train(model, data.train(), data.val(), cfg, out, meta);
        int[] prompt = {data.val()[0]};
        int[] s = Sampler.sample(model, prompt, o.integer("sample-tokens", 200),
                Sampler.Options.defaults(seed).withTemperature(o.dbl("temperature", 0.8)));
        return new Run(kind, model, r, s);
    }

    static void train(Options o, PrintStream out) throws IOException {
        String kind = o.get("model", "gpt");
        Data data = data(o);
        out.printf("training %s on %s: %,d train / %,d val tokens (%s), vocabulary %d%n", kind, data.source(),
                data.train().length, data.val().length, data.tokenizer(), data.tok().vocabSize());
        Path outDir = Path.of(o.get("out", "runs/" + kind));
        Run run = trainOne(kind, o, data, outDir, 1.0, out);
        printRuns(List.of(run), data, out);
        out.println("curves: " + outDir.resolve(kind + ".csv") + ", " + outDir.resolve(kind + ".png"));
        metrics(o.path("metrics-json"), "train", List.of(run), data);
    }

    static void ladder(Options o, PrintStream out) throws IOException {
        Data data = data(o);
        double scale = o.dbl("scale", 1.0);
        Path outDir = Path.of(o.get("out", "runs/ladder"));
        out.printf("the ladder on %s: %,d train / %,d val tokens (%s), vocabulary %d%n%n", data.source(),
                data.train().length, data.val().length, data.tokenizer(), data.tok().vocabSize());
        List<Run> runs = new ArrayList<>();
        for (String kind : LADDER) {
            runs.add(trainOne(kind, o, data, outDir, scale, out));
        }
        printRuns(runs, data, out);
        Map<String, List<Trainer.Point>> curves = new LinkedHashMap<>();
        runs.stream().filter(r -> r.result().curve().size() > 1).forEach(r -> curves.put(r.model(), r.result().curve()));
        Path png = outDir.resolve("ladder.png");
        Plot.series(png, curves);
        out.println("plot: " + png.toAbsolutePath());
        metrics(o.path("metrics-json"), "ladder", runs, data);
    }

    static void printRuns(List<Run> runs, Data data, PrintStream out) {
        out.println();
        out.println("| model | parameters | steps | val loss (nats/token) | val perplexity | bits/char | seconds |");
        out.println("|---|---|---|---|---|---|---|");
        for (Run r : runs) {
            long params = r.lm() instanceof Module m ? m.numParameters() : (long) r.lm().vocabSize() * r.lm().vocabSize();
            out.printf(Locale.ROOT, "| %s | %,d | %d | %.4f | %.3f | %.3f | %.1f |%n", r.model(), params, r.result().steps(),
                    r.result().valLoss(), r.result().valPerplexity(), bitsPerChar(r.result().valLoss(), data),
                    r.result().seconds());
        }
        for (Run r : runs) {
            out.println();
            out.println("--- sample from " + r.model() + " (temperature 0.8):");
            out.println(data.tok().decode(r.sample()));
            if (r.lm() instanceof NextTokenLM ntl) {
                printPrediction(ntl.predict(data.tok(), promptFrom(data), 5), out);
            }
        }
        out.println();
    }

    static double bitsPerChar(double nllPerToken, Data data) {
        return nllPerToken / data.valCharsPerToken() / Math.log(2);
    }

    /** The opening of the validation text, whole words only, as a prediction example. */
    private static String promptFrom(Data data) {
        String head = data.tok().decode(java.util.Arrays.copyOf(data.val(), Math.min(data.val().length, 64)));
        int first = head.indexOf(' ');
        int last = head.lastIndexOf(' ');
        String words = first >= 0 && last > first ? head.substring(first + 1, last + 1) : head;
        return words.replaceAll("\\s+", " ").strip() + " ";
    }

    static void printPrediction(NextTokenLM.Prediction p, PrintStream out) {
        out.println("--- next-token prediction after " + Json.quote(String.join("", p.inputTokens())) + ":");
        for (NextTokenLM.Candidate c : p.top()) {
            out.printf(Locale.ROOT, "    %-10s %.4f%n", Json.quote(c.text()), c.probability());
        }
        StringBuilder sal = new StringBuilder("    saliency:");
        for (int i = 0; i < p.inputTokens().size(); i++) {
            sal.append(String.format(Locale.ROOT, " %s %.3f", Json.quote(p.inputTokens().get(i)), p.saliency()[i]));
        }
        out.println(sal);
    }

    static void metrics(Path file, String command, List<Run> runs, Data data) throws IOException {
        if (file == null) {
            return;
        }
        StringBuilder sb = new StringBuilder("{\"command\":").append(Json.quote(command)).append(",\"data\":")
                .append(Json.quote(data.source())).append(",\"tokenizer\":").append(Json.quote(data.tokenizer()))
                .append(",\"vocab\":").append(data.tok().vocabSize()).append(",\"models\":[");
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"model\":%s,\"steps\":%d,\"val_loss\":%.6f,\"val_perplexity\":%.6f,\"bits_per_char\":%.6f,\"seconds\":%.3f}",
                    Json.quote(r.model()), r.result().steps(), r.result().valLoss(), r.result().valPerplexity(),
                    bitsPerChar(r.result().valLoss(), data), r.result().seconds()));
        }
        sb.append("]}\n");
        writeJson(file, sb.toString());
    }

    // ------------------------------------------------------------------ sample / eval from a checkpoint

    record Loaded(LanguageModel model, Tokenizer tok, String tokenizer) {
    }

    static Loaded load(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("--checkpoint FILE is required");
        }
        Map<String, String> meta = SafeTensors.read(file).metadata();
        String kind = meta.get(Models.KIND);
        String spec = meta.get(TOKENIZER);
        if (kind == null || spec == null) {
            throw new IllegalArgumentException("checkpoint " + file + " was not written by ./jgrad train (no model kind"
                    + " or tokenizer in its metadata)");
        }
        String tokKind = meta.getOrDefault(TOKENIZER_KIND, "char");   // checkpoints before BPE support are char
        Tokenizer tok = switch (tokKind) {
            case "char" -> CharTokenizer.of(spec);
            case "bpe" -> BpeTokenizer.fromMerges(spec.isEmpty() ? List.of() : List.of(spec.split("\n")));
            default -> throw new IllegalArgumentException("checkpoint " + file + ": unknown tokenizer kind '" + tokKind + "'");
        };
        LanguageModel model = Models.build(kind, Models.decode(meta.getOrDefault(Models.CONFIG, "")), tok.vocabSize(), 0);
        if (model instanceof Module m) {
            Checkpoint.load(file, m, null);
        }
        return new Loaded(model, tok, tokKind);
    }

    static void predict(Options o, PrintStream out) throws IOException {
        Loaded l = load(o.path("checkpoint"));
        if (!(l.model() instanceof NextTokenLM ntl)) {
            throw new IllegalArgumentException("predict needs a next-token checkpoint (./jgrad train --model next-token),"
                    + " this one holds a " + l.model().name() + " model");
        }
        String text = o.get("text", null);
        if (text == null) {
            throw new IllegalArgumentException("--text TEXT is required");
        }
        NextTokenLM.Prediction p = ntl.predict(l.tok(), text, o.integer("top-k", 5));
        printPrediction(p, out);
        Path file = o.path("metrics-json");
        if (file != null) {
            StringBuilder sb = new StringBuilder("{\"command\":\"predict\",\"text\":").append(Json.quote(text)).append(",\"top\":[");
            for (int i = 0; i < p.top().size(); i++) {
                NextTokenLM.Candidate c = p.top().get(i);
                sb.append(i == 0 ? "" : ",").append("{\"token\":").append(Json.quote(c.text()))
                        .append(String.format(Locale.ROOT, ",\"id\":%d,\"probability\":%.6f}", c.id(), c.probability()));
            }
            sb.append("],\"saliency\":[");
            for (int i = 0; i < p.inputTokens().size(); i++) {
                sb.append(i == 0 ? "" : ",").append("{\"token\":").append(Json.quote(p.inputTokens().get(i)))
                        .append(String.format(Locale.ROOT, ",\"saliency\":%.6f}", p.saliency()[i]));
            }
            writeJson(file, sb.append("]}\n").toString());
        }
    }

    static void sample(Options o, PrintStream out) throws IOException {
        Loaded l = load(o.path("checkpoint"));
        String prompt = o.get("prompt", "\n");
        Sampler.Options so = new Sampler.Options(o.dbl("temperature", 1.0), o.integer("top-k", 0), o.dbl("top-p", 1.0),
                o.has("greedy"), -1, Long.parseLong(o.get("seed", "0")));
        String stop = o.get("stop", null);
        int[] ids = l.tok().encode(prompt);
        int[] generated = Sampler.sample(l.model(), ids, o.integer("tokens", 500), so,
                toks -> stop != null && l.tok().decode(toks).contains(stop));
        String text = l.tok().decode(generated);
        if (stop != null && text.contains(stop)) {
            text = text.substring(0, text.indexOf(stop) + stop.length());
        }
        out.print(prompt);
        out.println(text);
        Path file = o.path("metrics-json");
        if (file != null) {
            writeJson(file, "{\"command\":\"sample\",\"model\":" + Json.quote(l.model().name()) + ",\"tokens\":"
                    + generated.length + ",\"prompt\":" + Json.quote(prompt) + ",\"text\":" + Json.quote(text) + "}\n");
        }
    }

    static void writeJson(Path file, String json) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Files.writeString(file, json);
    }

    static void eval(Options o, PrintStream out) throws IOException {
        Loaded l = load(o.path("checkpoint"));
        String text = Corpus.load(o.path("data"));
        // The held-out part exactly as train made it: char ids split at 90%, BPE text split at 90%.
        String valText = l.tokenizer().equals("char") ? null : splitText(text)[1];
        int[] val = valText == null ? TokenData.split(l.tok().encode(text), 0.9)[1] : l.tok().encode(valText);
        Evaluation.Result r = Evaluation.evaluate(l.model(), val, o.integer("window", 256));
        double bpc = r.bitsPerToken() / (valText == null ? 1.0 : charsPerToken(valText, val));
        out.printf(Locale.ROOT, "%s on %,d held-out tokens (%s): loss %.4f nats/token, perplexity %.3f, %.4f bits/char%n",
                l.model().name(), r.tokens(), l.tokenizer(), r.meanNll(), r.perplexity(), bpc);
        Path file = o.path("metrics-json");
        if (file != null) {
            writeJson(file, String.format(Locale.ROOT,
                    "{\"command\":\"eval\",\"model\":%s,\"tokens\":%d,\"val_loss\":%.6f,\"val_perplexity\":%.6f,\"bits_per_char\":%.6f}%n",
                    Json.quote(l.model().name()), r.tokens(), r.meanNll(), r.perplexity(), bpc));
        }
    }
}
