package dev.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.nn.io.Checkpoint;
import dev.jgrad.nn.io.SafeTensors;
import dev.jgrad.nn.optim.AdamW;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Generator;
import dev.jgrad.tensor.NdArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    static Sequential model(long seed) {
        return new Sequential(new Linear(3, 4, new Generator(seed)), Activation.tanh(), new Linear(4, 2, new Generator(seed + 1)));
    }

    @Test
    void roundTripsModelAndOptimizerState(@TempDir Path dir) throws IOException {
        Sequential a = model(1);
        AdamW opt = new AdamW(a.parameters(), 0.01);
        a.forward(dev.jgrad.autograd.Tensor.of(NdArray.ones(DType.F32, 2, 3))).sum().backward();
        opt.step();
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(f, a, opt, Map.of("step", "1"));
        Sequential b = model(7);
        AdamW opt2 = new AdamW(b.parameters(), 0.01);
        Map<String, String> meta = Checkpoint.load(f, b, opt2);
        assertEquals("1", meta.get("step"));
        assertEquals(1, opt2.steps());
        for (var e : a.namedParameters().entrySet()) {
            assertArrayEquals(e.getValue().data().toFloatArray(), b.namedParameters().get(e.getKey()).data().toFloatArray());
        }
        assertEquals(opt.stateArrays().keySet(), opt2.stateArrays().keySet());
    }

    @Test
    void fileFollowsTheSafetensorsLayout(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("t.safetensors");
        SafeTensors.write(f, Map.of("x", NdArray.of(new float[] {1.5f, -2f}, 2)), Map.of());
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong();
        String header = new String(Arrays.copyOfRange(b.array(), 8, 8 + (int) n), StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"), header);
        assertEquals(1.5f, b.getFloat(8 + (int) n), 0);
        assertEquals(0, n % 8);
    }

    @Test
    void truncatedOrCorruptFilesFailAndLeaveTheModelUntouched(@TempDir Path dir) throws IOException {
        Sequential a = model(1);
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(f, a, null, Map.of());
        byte[] bytes = Files.readAllBytes(f);
        Sequential b = model(5);
        float[] before = b.parameters().getFirst().data().toFloatArray();

        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 10));
        IOException e1 = assertThrows(IOException.class, () -> Checkpoint.load(cut, b, null));
        assertTrue(e1.getMessage().contains("checksum") || e1.getMessage().contains("truncated"), e1.getMessage());

        byte[] flipped = bytes.clone();
        flipped[flipped.length - 3] ^= 0x40;
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, flipped);
        IOException e2 = assertThrows(IOException.class, () -> Checkpoint.load(bad, b, null));
        assertTrue(e2.getMessage().contains("checksum mismatch"), e2.getMessage());

        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertThrows(IOException.class, () -> Checkpoint.load(tiny, b, null));

        Sequential other = new Sequential(new Linear(3, 5, new Generator(1)));
        IOException e3 = assertThrows(IOException.class, () -> Checkpoint.load(f, other, null));
        assertTrue(e3.getMessage().contains("0.weight"), e3.getMessage());
        assertArrayEquals(before, b.parameters().getFirst().data().toFloatArray());
    }
}
