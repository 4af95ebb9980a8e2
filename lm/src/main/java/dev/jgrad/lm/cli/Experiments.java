package dev.jgrad.lm.cli;

import dev.jgrad.autograd.NoGrad;
import dev.jgrad.autograd.Tensor;
import dev.jgrad.lm.data.PythonRandom;
import dev.jgrad.lm.eval.Evaluation;
import dev.jgrad.lm.models.CountsBigramLM;
import dev.jgrad.lm.models.MLPLanguageModel;
import dev.jgrad.lm.models.NeuralBigramLM;
import dev.jgrad.lm.text.CharTokenizer;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.optim.AdamW;
import dev.jgrad.nn.optim.SGD;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The published makemore experiments on names.txt (one lowercase name per line, '.' marks
 * start and end): the bigram table and the Bengio MLP of makemore parts 2 and 3.
 */
final class Experiments {
    static final CharTokenizer NAMES = CharTokenizer.of(".abcdefghijklmnopqrstuvwxyz");

    private Experiments() {
    }

    static List<String> names(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("--data names.txt is required (one name per line)");
        }
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                out.add(line.strip());
            }
        }
        return out;
    }

    /** Counts bigram (MLE and add-one) and a neural bigram trained to convergence, all on every bigram. */
    static Map<String, Double> bigram(Options o, PrintStream out) throws IOException {
        int[] ids = NAMES.encode("." + String.join(".", names(o.path("data"))) + ".");
        double mle = Evaluation.evaluate(new CountsBigramLM(27, 0).fit(ids), ids, 4096).meanNll();
        double addOne = Evaluation.evaluate(new CountsBigramLM(27, 1).fit(ids), ids, 4096).meanNll();
        NeuralBigramLM nb = new NeuralBigramLM(27, 27, new Generator(o.integer("seed", 1)));
        AdamW opt = AdamW.adam(nb.parameters(), o.dbl("lr", 0.1));
        Tensor x = Tensor.of(NdArray.of(Arrays.copyOf(ids, ids.length - 1), 1, ids.length - 1));
        Tensor y = Tensor.of(NdArray.of(Arrays.copyOfRange(ids, 1, ids.length), 1, ids.length - 1));
        int steps = o.integer("steps", 400);
        for (int s = 0; s < steps; s++) {
            Tensor loss = nb.loss(x, y);
            opt.zeroGrad();
            loss.backward();
            opt.step();
        }
        double neural = Evaluation.evaluate(nb, ids, 1 << 20).meanNll();
        out.printf(Locale.ROOT, "names.txt, %,d bigrams%n", ids.length - 1);
        out.printf(Locale.ROOT, "counts bigram, MLE:        mean NLL %.4f   (published 2.4540)%n", mle);
        out.printf(Locale.ROOT, "counts bigram, add-one:    mean NLL %.4f   (published 2.4546)%n", addOne);
        out.printf(Locale.ROOT, "neural bigram, %d full-batch Adam steps: mean NLL %.4f   (|diff to MLE| %.4f)%n", steps,
                neural, Math.abs(neural - mle));
        return Map.of("counts_mle_nll", mle, "counts_add_one_nll", addOne, "neural_nll", neural);
    }

    /**
     * makemore's MLP: examples are (3 previous characters, next character) with '.' padding,
     * names shuffled and split 80/10/10 — by default exactly as makemore does it ({@code random.seed(42)} in
     * CPython, see {@link PythonRandom}), with {@code --split seeded} by our own generator and {@code --seed};
     * SGD, batch 32, lr 0.1 then 0.01. {@code --seed} always drives the initialisation and the minibatches.
     */
    static Map<String, Double> mlp(Options o, PrintStream out) throws IOException {
        List<String> words = new ArrayList<>(names(o.path("data")));
        Generator g = new Generator(o.integer("seed", 42));
        String split = o.get("split", "makemore");
        switch (split) {
            // makemore's own split (random.seed(42); random.shuffle(words)), so dev losses compare
            case "makemore" -> new PythonRandom(42).shuffle(words);
            case "seeded" -> {
                for (int i = words.size() - 1; i > 0; i--) {
                    int j = g.nextInt(i + 1);
                    String t = words.get(i);
                    words.set(i, words.get(j));
                    words.set(j, t);
                }
            }
            default -> throw new IllegalArgumentException("experiment names-mlp: --split must be makemore or seeded, got "
                    + split);
        }
        int n1 = (int) (0.8 * words.size());
        int n2 = (int) (0.9 * words.size());
        int ctx = o.integer("context", 3);
        int[][] tr = examples(words.subList(0, n1), ctx);
        int[][] dev = examples(words.subList(n1, n2), ctx);
        boolean fixes = o.has("init-fixes");
        MLPLanguageModel m = new MLPLanguageModel(new MLPLanguageModel.Config(27, ctx, o.integer("embd", 10),
                o.integer("hidden", 200), fixes), g);
        int steps = o.integer("steps", 200_000);
        int batch = o.integer("batch", 32);
        SGD opt = new SGD(m.parameters(), 0.1);
        int n = tr[1].length;
        long t0 = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            opt.setLr(s < steps / 2 ? 0.1 : 0.01);
            int[] xb = new int[batch * ctx];
            int[] yb = new int[batch];
            for (int b = 0; b < batch; b++) {
                int k = g.nextInt(n);
                System.arraycopy(tr[0], k * ctx, xb, b * ctx, ctx);
                yb[b] = tr[1][k];
            }
            Tensor loss = lastPositionLoss(m, xb, yb, batch, ctx);
            opt.zeroGrad();
            loss.backward();
            opt.step();
            if ((s + 1) % Math.max(1, steps / 10) == 0) {
                out.printf(Locale.ROOT, "step %7d/%d  minibatch loss %.4f  (%.0f s)%n", s + 1, steps, loss.item(),
                        (System.nanoTime() - t0) / 1e9);
            }
        }
        double trainLoss;
        double devLoss;
        try (NoGrad ignored = NoGrad.enter()) {
            trainLoss = lastPositionLoss(m, tr[0], tr[1], tr[1].length, ctx).item();
            devLoss = lastPositionLoss(m, dev[0], dev[1], dev[1].length, ctx).item();
        }
        out.printf(Locale.ROOT, "MLP (context %d, %s init), %d steps: train loss %.4f, dev loss %.4f  (published: dev"
                + " <= 2.17 plain, <= 2.11 with the init fixes)%n", ctx, fixes ? "fixed" : "plain N(0,1)", steps,
                trainLoss, devLoss);
        return Map.of("train_loss", trainLoss, "dev_loss", devLoss, "steps", (double) steps);
    }

    private static Tensor lastPositionLoss(MLPLanguageModel m, int[] x, int[] y, int count, int ctx) {
        Tensor logits = m.nextLogits(Tensor.of(NdArray.of(x, count, ctx)));   // (N, V)
        return Losses.crossEntropy(logits, Tensor.of(NdArray.of(y, count)));
    }

    /** (contexts flattened, targets) for every character of every word plus its final '.'. */
    static int[][] examples(List<String> words, int ctx) {
        List<Integer> xs = new ArrayList<>();
        List<Integer> ys = new ArrayList<>();
        for (String w : words) {
            int[] window = new int[ctx];
            for (int id : NAMES.encode(w + ".")) {
                for (int c : window) {
                    xs.add(c);
                }
                ys.add(id);
                System.arraycopy(window, 1, window, 0, ctx - 1);
                window[ctx - 1] = id;
            }
        }
        return new int[][] {xs.stream().mapToInt(Integer::intValue).toArray(), ys.stream().mapToInt(Integer::intValue).toArray()};
    }
}
