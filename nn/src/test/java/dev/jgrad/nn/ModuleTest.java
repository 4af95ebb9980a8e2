package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModuleTest {
    static final class Block extends Module {
        final Linear attn;
        final LayerNorm ln;

        Block(Generator g) {
            ln = child("ln", new LayerNorm(4));
            attn = child("attn", new Linear(4, 4, true, g, DType.F32));
        }
    }

    static final class Net extends Module {
        Net(Generator g) {
            parameter("scale", NdArray.ones(DType.F32, 1));
            child("blocks", new Sequential(new Wrapper(new Block(g)), new Wrapper(new Block(g))));
        }
    }

    /** Lets a non-Layer module sit in a Sequential for the naming test. */
    static final class Wrapper extends Module implements Layer {
        Wrapper(Block b) {
            child("b", b);
        }

        @Override
        public dev.jgrad.autograd.Tensor forward(dev.jgrad.autograd.Tensor x) {
            return x;
        }
    }

    @Test
    void namesAreDottedPathsInRegistrationOrder() {
        Net net = new Net(new Generator(0));
        assertEquals(List.of("scale",
                "blocks.0.b.ln.weight", "blocks.0.b.ln.bias", "blocks.0.b.attn.weight", "blocks.0.b.attn.bias",
                "blocks.1.b.ln.weight", "blocks.1.b.ln.bias", "blocks.1.b.attn.weight", "blocks.1.b.attn.bias"),
                List.copyOf(net.namedParameters().keySet()));
        assertEquals(1 + 2 * (4 + 4 + 16 + 4), net.numParameters());
    }

    @Test
    void badOrDuplicateNamesAreRejected() {
        class Bad extends Module {
            Bad(String first, String second) {
                parameter(first, NdArray.ones(DType.F32, 1));
                parameter(second, NdArray.ones(DType.F32, 1));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new Bad("w", "w"));
        assertThrows(IllegalArgumentException.class, () -> new Bad("a.b", "c"));
        assertThrows(IllegalArgumentException.class, () -> new Bad("", "c"));
    }

    @Test
    void trainAndEvalReachEveryDescendant() {
        Net net = new Net(new Generator(0));
        net.eval();
        assertFalse(net.isTraining());
        net.train(true);
        assertTrue(net.isTraining());
    }

    @Test
    void parametersOwnACopyOfTheirInitialValues() {
        NdArray init = NdArray.ones(DType.F32, 2);
        class One extends Module {
            final Parameter p = parameter("p", init);
        }
        One m = new One();
        m.p.assign(NdArray.zeros(DType.F32, 2));
        assertEquals(1.0, init.getDouble(0), 0);
        assertThrows(IllegalArgumentException.class, () -> m.p.assign(NdArray.zeros(DType.F32, 3)));
    }
}
