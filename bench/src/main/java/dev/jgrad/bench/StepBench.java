package dev.jgrad.bench;

import dev.jgrad.autograd.Tensor;
import dev.jgrad.lm.LanguageModel;
import dev.jgrad.lm.models.GPT;
import dev.jgrad.lm.models.LSTMLanguageModel;
import dev.jgrad.lm.models.MLPLanguageModel;
import dev.jgrad.lm.models.NeuralBigramLM;
import dev.jgrad.nn.Losses;
import dev.jgrad.nn.optim.AdamW;
import dev.jgrad.nn.optim.GradClip;
import dev.jgrad.nn.optim.Optimizer;
import dev.jgrad.nn.optim.SGD;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import dev.jgrad.tensor.cpu.Parallel;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step (forward, backward, optimizer update) of each model of the ladder at its
 * standard configuration, on a fixed random batch. bench/pytorch_bench.py runs the same models,
 * shapes and optimizers in PyTorch.
 *
 * <ul>
 *   <li>bigram: V 65, D 32, batch 32 x 64, AdamW lr 1e-3
 *   <li>mlp (makemore): V 27, context 3, embedding 10, hidden 200, batch 32, SGD lr 0.1
 *   <li>lstm: V 65, embedding 64, hidden 384, 1 layer, batch 32 x 64, AdamW lr 3e-3, clip 1
 *   <li>gpt (nanoGPT's CPU config): V 65, block 64, batch 12, 4 layers, 4 heads, 128 embd,
 *       dropout 0, AdamW lr 1e-3 betas (0.9, 0.99) weight decay 0.1, clip 1
 * </ul>
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class StepBench extends JmhDefaults {
    @Param({"bigram", "mlp", "lstm", "gpt"})
    String model;

    @Param({"1", "2"})
    int threads;

    LanguageModel lm;
    MLPLanguageModel mlp;
    Optimizer opt;
    Tensor x;
    Tensor y;
    double clip;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        Generator g = new Generator(1337);
        switch (model) {
            case "bigram" -> {
                lm = new NeuralBigramLM(65, 32, g);
                batch(g, 65, 32, 64);
                opt = new AdamW(lm.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0.0);
            }
            case "mlp" -> {
                mlp = new MLPLanguageModel(new MLPLanguageModel.Config(27, 3, 10, 200, true), g);
                lm = mlp;
                x = Tensor.of(NdArray.randint(g, 0, 27, 32, 3));
                y = Tensor.of(NdArray.randint(g, 0, 27, 32));
                opt = new SGD(lm.parameters(), 0.1);
            }
            case "lstm" -> {
                lm = new LSTMLanguageModel(new LSTMLanguageModel.Config(65, 64, 384, 1), g);
                batch(g, 65, 32, 64);
                opt = new AdamW(lm.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0.0);
                clip = 1.0;
            }
            case "gpt" -> {
                lm = new GPT(new GPT.Config(65, 64, 4, 4, 128, 0.0, true), g);
                batch(g, 65, 12, 64);
                opt = new AdamW(lm.parameters(), 1e-3, 0.9, 0.99, 1e-8, 0.1);
                clip = 1.0;
            }
            default -> throw new IllegalArgumentException("StepBench: unknown model " + model);
        }
        lm.train(true);
    }

    private void batch(Generator g, int vocab, int b, int t) {
        x = Tensor.of(NdArray.randint(g, 0, vocab, b, t));
        y = Tensor.of(NdArray.randint(g, 0, vocab, b, t));
    }

    @Benchmark
    public double step() {
        Tensor loss = mlp != null ? Losses.crossEntropy(mlp.nextLogits(x), y) : lm.loss(x, y);
        opt.zeroGrad();
        loss.backward();
        if (clip > 0) {
            GradClip.clipGradNorm(lm.parameters(), clip);
        }
        opt.step();
        return loss.item();
    }
}
