package dev.jgrad.lm.train;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.lm.LanguageModel;
import dev.jgrad.lm.data.TokenData;
import dev.jgrad.lm.eval.Evaluation;
import dev.jgrad.lm.models.CountsBigramLM;
import dev.jgrad.nn.Module;
import dev.jgrad.nn.io.Checkpoint;
import dev.jgrad.nn.optim.AdamW;
import dev.jgrad.nn.optim.GradClip;
import dev.jgrad.nn.optim.LrSchedule;
import dev.jgrad.nn.optim.Optimizer;
import dev.jgrad.nn.optim.SGD;
import dev.jgrad.tensor.Generator;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One training loop for every model of the ladder: random windows from a seeded generator,
 * an optimizer with a learning-rate schedule and optional clipping, periodic validation, a
 * checkpoint every N steps that resumes exactly (parameters, optimizer moments, step and the
 * generator that positions the data), a progress line, a CSV of the curves and a PNG plot.
 * The counts bigram is "trained" by counting.
 */
public final class Trainer {
    public enum OptimizerKind { ADAMW, SGD }

    /**
     * @param evalTokens validation tokens used at each evaluation (0 = all of them)
     * @param checkpointEvery steps between checkpoints (0 = only at the end, when a path is given)
     */
    public record Config(int steps, int batchSize, int contextLength, OptimizerKind optimizer, LrSchedule schedule,
                         double weightDecay, double momentum, double gradClip, int evalEvery, int evalTokens,
                         int checkpointEvery, Path checkpoint, Path csv, Path plot, long seed) {
        public Config {
            if (steps < 0 || batchSize <= 0 || contextLength <= 0 || evalEvery < 0 || evalTokens < 0
                    || checkpointEvery < 0 || gradClip < 0) {
                throw new IllegalArgumentException("Trainer.Config: invalid " + this);
            }
        }

        public static Config of(int steps, int batchSize, int contextLength, double lr, long seed) {
            return new Config(steps, batchSize, contextLength, OptimizerKind.ADAMW, LrSchedule.constant(lr), 0.0, 0.0,
                    1.0, Math.max(1, steps / 10), 20_000, 0, null, null, null, seed);
        }

        public Config withSchedule(OptimizerKind kind, LrSchedule s, double weightDecay, double momentum) {
            return new Config(steps, batchSize, contextLength, kind, s, weightDecay, momentum, gradClip, evalEvery,
                    evalTokens, checkpointEvery, checkpoint, csv, plot, seed);
        }

        public Config withOutputs(Path checkpointFile, int every, Path csvFile, Path plotFile) {
            return new Config(steps, batchSize, contextLength, optimizer, schedule, weightDecay, momentum, gradClip,
                    evalEvery, evalTokens, every, checkpointFile, csvFile, plotFile, seed);
        }

        public Config withEval(int every, int tokens, double clip) {
            return new Config(steps, batchSize, contextLength, optimizer, schedule, weightDecay, momentum, clip, every,
                    tokens, checkpointEvery, checkpoint, csv, plot, seed);
        }
    }

    /** One row of the curves: the mean training loss since the previous row, and validation then. */
    public record Point(long step, double trainLoss, double valLoss, double lr, double tokensPerSecond) {
    }

    public record Result(List<Point> curve, double valLoss, long steps, double seconds) {
        public double valPerplexity() {
            return Math.exp(valLoss);
        }
    }

    private Trainer() {
    }

    public static Result train(LanguageModel model, int[] train, int[] val, Config cfg, PrintStream log) {
        return train(model, train, val, cfg, log, Map.of());
    }

    /** As above; {@code metadata} (model config, tokenizer) is stored in every checkpoint. */
    public static Result train(LanguageModel model, int[] train, int[] val, Config cfg, PrintStream log,
                               Map<String, String> metadata) {
        long t0 = System.nanoTime();
        int[] evalIds = cfg.evalTokens() > 0 && val.length > cfg.evalTokens() ? Arrays.copyOf(val, cfg.evalTokens()) : val;
        int window = Math.min(cfg.contextLength(), model.blockSize());
        if (model instanceof CountsBigramLM counts) {
            counts.fit(train);
            double v = Evaluation.evaluate(model, evalIds, 4096).meanNll();
            List<Point> curve = List.of(new Point(0, Evaluation.evaluate(model, train, 4096).meanNll(), v, 0, 0));
            writeOutputs(cfg, curve);
            return new Result(curve, v, 0, (System.nanoTime() - t0) / 1e9);
        }
        if (!(model instanceof Module module)) {
            throw new IllegalArgumentException("train: model " + model.name() + " has no parameters to train");
        }
        Optimizer opt = switch (cfg.optimizer()) {
            case ADAMW -> new AdamW(model.parameters(), cfg.schedule().lr(0), 0.9, 0.99, 1e-8, cfg.weightDecay());
            case SGD -> new SGD(model.parameters(), cfg.schedule().lr(0), cfg.momentum(), cfg.weightDecay());
        };
        Generator data = new Generator(cfg.seed());
        long start = 0;
        if (cfg.checkpoint() != null && Files.exists(cfg.checkpoint())) {
            try {
                Map<String, String> meta = Checkpoint.load(cfg.checkpoint(), module, opt);
                start = Long.parseLong(meta.getOrDefault("step", "0"));
                data.setState(Long.parseLong(meta.getOrDefault("data.rng", Long.toString(data.state()))));
                log.printf("resumed %s at step %d from %s%n", model.name(), start, cfg.checkpoint());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<Point> curve = new ArrayList<>();
        Progress progress = new Progress(log, model.name(), cfg.steps());
        double lossSum = 0;
        int lossCount = 0;
        long tokens = 0;
        long lastMark = System.nanoTime();
        model.train(true);
        for (long step = start; step < cfg.steps(); step++) {
            double lr = cfg.schedule().lr(step);
            opt.setLr(lr);
            TokenData.Batch b = TokenData.getBatch(train, window, cfg.batchSize(), data);
            Tensor loss = model.loss(b.x(), b.y());
            opt.zeroGrad();
            loss.backward();
            if (cfg.gradClip() > 0) {
                GradClip.clipGradNorm(model.parameters(), cfg.gradClip());
            }
            opt.step();
            double l = loss.item();
            if (!Double.isFinite(l)) {
                throw new IllegalStateException("train: loss became " + l + " at step " + step + " (lr " + lr + ")");
            }
            lossSum += l;
            lossCount++;
            tokens += (long) cfg.batchSize() * window;
            boolean last = step + 1 == cfg.steps();
            if ((cfg.evalEvery() > 0 && (step + 1) % cfg.evalEvery() == 0) || last) {
                double v = Evaluation.evaluate(model, evalIds, window).meanNll();
                double secs = (System.nanoTime() - lastMark) / 1e9;
                curve.add(new Point(step + 1, lossSum / lossCount, v, lr, tokens / Math.max(secs, 1e-9)));
                lossSum = 0;
                lossCount = 0;
                tokens = 0;
                lastMark = System.nanoTime();
            }
            progress.update(step + 1, l, curve.isEmpty() ? Double.NaN : curve.getLast().valLoss(),
                    (long) cfg.batchSize() * window);
            if (cfg.checkpoint() != null && ((cfg.checkpointEvery() > 0 && (step + 1) % cfg.checkpointEvery() == 0) || last)) {
                Map<String, String> meta = new LinkedHashMap<>(metadata);
                meta.put("step", Long.toString(step + 1));
                meta.put("data.rng", Long.toString(data.state()));
                meta.put("model", model.name());
                try {
                    Checkpoint.save(cfg.checkpoint(), module, opt, meta);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        progress.done();
        writeOutputs(cfg, curve);
        double finalVal = curve.isEmpty() ? Evaluation.evaluate(model, evalIds, window).meanNll() : curve.getLast().valLoss();
        return new Result(curve, finalVal, cfg.steps(), (System.nanoTime() - t0) / 1e9);
    }

    private static void writeOutputs(Config cfg, List<Point> curve) {
        try {
            if (cfg.csv() != null) {
                StringBuilder sb = new StringBuilder("step,train_loss,val_loss,val_ppl,lr,tokens_per_s\n");
                for (Point p : curve) {
                    sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.4f,%.6g,%.1f%n", p.step(), p.trainLoss(),
                            p.valLoss(), Math.exp(p.valLoss()), p.lr(), p.tokensPerSecond()));
                }
                Path parent = cfg.csv().toAbsolutePath().getParent();
                Files.createDirectories(parent);
                Files.writeString(cfg.csv(), sb.toString());
            }
            if (cfg.plot() != null) {
                Plot.curves(cfg.plot(), curve);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
