package dev.jgrad.lm.cli;

import dev.jgrad.lm.LanguageModel;
import dev.jgrad.lm.data.Corpus;
import dev.jgrad.lm.data.TokenData;
import dev.jgrad.lm.eval.Evaluation;
import dev.jgrad.lm.sample.Sampler;
import dev.jgrad.lm.text.CharTokenizer;
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
    private static final Set<String> MODEL_KEYS = Set.of("k", "embd", "context", "hidden", "init-fixes", "layers", "block",
            "heads", "dropout", "bias");
    private static final Set<String> TRAIN_KEYS = union(MODEL_KEYS, Set.of("model", "data", "steps", "batch", "lr",
            "min-lr", "warmup", "weight-decay", "clip", "eval-every", "eval-tokens", "checkpoint", "checkpoint-every",
            "out", "seed", "metrics-json", "sample-tokens", "temperature"));
    private static final Set<String> SAMPLE_KEYS = Set.of("checkpoint", "prompt", "tokens", "temperature", "top-k",
            "top-p", "seed", "stop", "metrics-json");
    private static final Set<String> EVAL_KEYS = Set.of("checkpoint", "data", "metrics-json", "window");
    private static final Set<String> LADDER_KEYS = Set.of("data", "out", "seed", "metrics-json", "scale", "eval-tokens");

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
                case "demo" -> Demo.run(out);
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
        Options o = new Options(args, 2, Set.of("data", "steps", "seed", "lr", "context", "embd", "hidden", "batch",
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

    static void usage(PrintStream out) {
        out.println("usage: ./jgrad <command> [--option value ...]");
        out.println("  ladder   train every model of the ladder on one text, print perplexities and samples, plot the curves");
        out.println("           --data FILE (default: Dickens, The Old Curiosity Shop)  --out DIR (runs/ladder)");
        out.println("           --scale X (multiplies the steps, default 1)  --seed N  --metrics-json FILE");
        out.println("  train    --model counts|bigram|mlp|lstm|gpt  --data FILE  --steps N  --batch B  --block T  --lr LR");
        out.println("           --min-lr  --warmup  --weight-decay  --clip  --eval-every  --checkpoint FILE (resumes if present)");
        out.println("           --checkpoint-every N  --out DIR  --seed  --metrics-json FILE  and model sizes:");
        out.println("           --embd --hidden --layers --heads --context --dropout --bias true|false --k");
        out.println("  sample   --checkpoint FILE --prompt TEXT --tokens N --temperature T --top-k K --top-p P --greedy --seed S --stop TEXT");
        out.println("  eval     --checkpoint FILE [--data FILE]: perplexity and bits per character on the last 10% of the text");
        out.println("  experiment names-bigram|names-mlp --data names.txt [--init-fixes] [--steps N]: makemore's published runs");
        out.println("  demo     the engine on micrograd's expression and a tiny MLP");
        out.println("  test     run every test;  bench  run the JMH benchmarks;  bench-report  every benchmark, PyTorch"
                + " included, then bench/results/report.md and gemm.png;  mutation  PIT over the autograd ops");
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.HashSet<String> s = new java.util.HashSet<>(a);
        s.addAll(b);
        return Set.copyOf(s);
    }

    // ------------------------------------------------------------------ data

    record Data(CharTokenizer tok, int[] train, int[] val, String source) {
    }

    static Data data(Path file) {
        String text = Corpus.load(file);
        CharTokenizer tok = CharTokenizer.fromCorpus(text);
        int[][] split = TokenData.split(tok.encode(text), 0.9);
        return new Data(tok, split[0], split[1], file == null ? "dickens.txt (default corpus)" : file.toString());
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
        meta.put("jgrad.tokenizer", data.tok().alphabet());
        Trainer.Result r = Trainer.train(model, data.train(), data.val(), cfg, out, meta);
        int[] prompt = {data.val()[0]};
        int[] s = Sampler.sample(model, prompt, o.integer("sample-tokens", 200),
                Sampler.Options.defaults(seed).withTemperature(o.dbl("temperature", 0.8)));
        return new Run(kind, model, r, s);
    }

    static void train(Options o, PrintStream out) throws IOException {
        String kind = o.get("model", "gpt");
        Data data = data(o.path("data"));
        out.printf("training %s on %s: %,d train / %,d val characters, vocabulary %d%n", kind, data.source(),
                data.train().length, data.val().length, data.tok().vocabSize());
        Path outDir = Path.of(o.get("out", "runs/" + kind));
        Run run = trainOne(kind, o, data, outDir, 1.0, out);
        printRuns(List.of(run), data, out);
        out.println("curves: " + outDir.resolve(kind + ".csv") + ", " + outDir.resolve(kind + ".png"));
        metrics(o.path("metrics-json"), "train", List.of(run), data);
    }

    static void ladder(Options o, PrintStream out) throws IOException {
        Data data = data(o.path("data"));
        double scale = o.dbl("scale", 1.0);
        Path outDir = Path.of(o.get("out", "runs/ladder"));
        out.printf("the ladder on %s: %,d train / %,d val characters, vocabulary %d%n%n", data.source(),
                data.train().length, data.val().length, data.tok().vocabSize());
        List<Run> runs = new ArrayList<>();
        for (String kind : List.of("counts", "bigram", "mlp", "lstm", "gpt")) {
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
        out.println("| model | parameters | steps | val loss (nats/char) | val perplexity | bits/char | seconds |");
        out.println("|---|---|---|---|---|---|---|");
        for (Run r : runs) {
            long params = r.lm() instanceof Module m ? m.numParameters() : (long) r.lm().vocabSize() * r.lm().vocabSize();
            out.printf(Locale.ROOT, "| %s | %,d | %d | %.4f | %.3f | %.3f | %.1f |%n", r.model(), params, r.result().steps(),
                    r.result().valLoss(), r.result().valPerplexity(), r.result().valLoss() / Math.log(2), r.result().seconds());
        }
        for (Run r : runs) {
            out.println();
            out.println("--- sample from " + r.model() + " (temperature 0.8):");
            out.println(data.tok().decode(r.sample()));
        }
        out.println();
    }

    static void metrics(Path file, String command, List<Run> runs, Data data) throws IOException {
        if (file == null) {
            return;
        }
        StringBuilder sb = new StringBuilder("{\"command\":").append(Json.quote(command)).append(",\"data\":")
                .append(Json.quote(data.source())).append(",\"vocab\":").append(data.tok().vocabSize()).append(",\"models\":[");
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"model\":%s,\"steps\":%d,\"val_loss\":%.6f,\"val_perplexity\":%.6f,\"bits_per_char\":%.6f,\"seconds\":%.3f}",
                    Json.quote(r.model()), r.result().steps(), r.result().valLoss(), r.result().valPerplexity(),
                    r.result().valLoss() / Math.log(2), r.result().seconds()));
        }
        sb.append("]}\n");
        writeJson(file, sb.toString());
    }

    // ------------------------------------------------------------------ sample / eval from a checkpoint

    record Loaded(LanguageModel model, CharTokenizer tok) {
    }

    static Loaded load(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("--checkpoint FILE is required");
        }
        Map<String, String> meta = SafeTensors.read(file).metadata();
        String kind = meta.get(Models.KIND);
        String alphabet = meta.get("jgrad.tokenizer");
        if (kind == null || alphabet == null) {
            throw new IllegalArgumentException("checkpoint " + file + " was not written by ./jgrad train (no model kind"
                    + " or tokenizer in its metadata)");
        }
        CharTokenizer tok = CharTokenizer.of(alphabet);
        LanguageModel model = Models.build(kind, Models.decode(meta.getOrDefault(Models.CONFIG, "")), tok.vocabSize(), 0);
        if (model instanceof Module m) {
            Checkpoint.load(file, m, null);
        }
        return new Loaded(model, tok);
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
        int[] ids = l.tok().encode(text);
        int[] val = TokenData.split(ids, 0.9)[1];
        Evaluation.Result r = Evaluation.evaluate(l.model(), val, o.integer("window", 256));
        out.printf(Locale.ROOT, "%s on %,d held-out characters: loss %.4f nats/char, perplexity %.3f, %.4f bits/char%n",
                l.model().name(), r.tokens(), r.meanNll(), r.perplexity(), r.bitsPerToken());
        Path file = o.path("metrics-json");
        if (file != null) {
            writeJson(file, String.format(Locale.ROOT,
                    "{\"command\":\"eval\",\"model\":%s,\"tokens\":%d,\"val_loss\":%.6f,\"val_perplexity\":%.6f,\"bits_per_char\":%.6f}%n",
                    Json.quote(l.model().name()), r.tokens(), r.meanNll(), r.perplexity(), r.bitsPerToken()));
        }
    }
}
