package dev.jgrad.nn.io;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.NdArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The safetensors format (8-byte little-endian header length, a JSON header of name → dtype,
 * shape and data offsets plus string metadata, then the raw little-endian data), so PyTorch and
 * Hugging Face tools can read what we write. Writes are atomic (temp file, fsync, rename) and
 * carry a CRC32 of the data in the metadata, checked on load: a truncated or corrupt file is an
 * error that says what is wrong, never a half-loaded model.
 */
public final class SafeTensors {
    public static final String CRC_KEY = "jgrad.crc32";
    private static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {
    }

    /** Tensors and string metadata, in file order. */
    public record Contents(Map<String, NdArray> tensors, Map<String, String> metadata) {
    }

    private static String dtypeName(DType d) {
        return switch (d) {
            case F32 -> "F32";
            case F64 -> "F64";
            case I32 -> "I32";
        };
    }

    private static int width(DType d) {
        return d == DType.F64 ? 8 : 4;
    }

    public static void write(Path file, Map<String, NdArray> tensors, Map<String, String> metadata) throws IOException {
        long offset = 0;
        StringBuilder header = new StringBuilder("{");
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        CRC32 crc = new CRC32();
        List<byte[]> blobs = new java.util.ArrayList<>();
        for (var e : tensors.entrySet()) {
            NdArray a = e.getValue();
            byte[] bytes = toBytes(a);
            crc.update(bytes);
            blobs.add(bytes);
            header.append(Json.quote(e.getKey())).append(":{\"dtype\":\"").append(dtypeName(a.dtype()))
                    .append("\",\"shape\":").append(java.util.Arrays.toString(a.shape().dims()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes.length).append("]},");
            offset += bytes.length;
        }
        meta.put(CRC_KEY, Long.toString(crc.getValue()));
        header.append("\"__metadata__\":{");
        boolean first = true;
        for (var m : meta.entrySet()) {
            header.append(first ? "" : ",").append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
            first = false;
        }
        header.append("}}");
        byte[] h = header.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int pad = (8 - h.length % 8) % 8; // the format lets the header be padded with spaces
        byte[] hp = java.util.Arrays.copyOf(h, h.length + pad);
        java.util.Arrays.fill(hp, h.length, hp.length, (byte) ' ');
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hp.length).flip();
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(hp));
            for (byte[] b : blobs) {
                writeFully(ch, ByteBuffer.wrap(b));
            }
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static byte[] toBytes(NdArray a) {
        ByteBuffer buf = ByteBuffer.allocate(a.numel() * width(a.dtype())).order(ByteOrder.LITTLE_ENDIAN);
        switch (a.dtype()) {
            case F32 -> buf.asFloatBuffer().put(a.toFloatArray());
            case F64 -> buf.asDoubleBuffer().put(a.toDoubleArray());
            case I32 -> buf.asIntBuffer().put(a.toIntArray());
        }
        return buf.array();
    }

    @SuppressWarnings("unchecked")
    public static Contents read(Path file) throws IOException {
        long size = Files.size(file);
        String where = "safetensors " + file + ": ";
        if (size < 8) {
            throw new IOException(where + "file is " + size + " bytes, too short for a header length");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, where);
            long hlen = lenBuf.flip().getLong();
            if (hlen <= 0 || hlen > MAX_HEADER || 8 + hlen > size) {
                throw new IOException(where + "header length " + hlen + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) hlen);
            readFully(ch, hb, where);
            Map<String, Object> header;
            try {
                header = (Map<String, Object>) Json.parse(new String(hb.array(), java.nio.charset.StandardCharsets.UTF_8));
            } catch (IllegalArgumentException | ClassCastException e) {
                throw new IOException(where + "header is not a JSON object: " + e.getMessage(), e);
            }
            long dataLen = size - 8 - hlen;
            ByteBuffer data = ByteBuffer.allocate((int) dataLen).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, data, where);
            Map<String, String> meta = new LinkedHashMap<>();
            Object m = header.remove("__metadata__");
            if (m instanceof Map<?, ?> mm) {
                mm.forEach((k, v) -> meta.put((String) k, String.valueOf(v)));
            }
            String crcText = meta.get(CRC_KEY);
            if (crcText != null) {
                CRC32 crc = new CRC32();
                crc.update(data.array());
                if (crc.getValue() != Long.parseLong(crcText)) {
                    throw new IOException(where + "checksum mismatch (stored " + crcText + ", computed " + crc.getValue()
                            + "): the file is corrupt");
                }
            }
            Map<String, NdArray> tensors = new LinkedHashMap<>();
            for (var e : header.entrySet()) {
                tensors.put(e.getKey(), decode(e.getKey(), (Map<String, Object>) e.getValue(), data, dataLen, where));
            }
            return new Contents(tensors, meta);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, String where) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException(where + "file ends early (truncated)");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static NdArray decode(String name, Map<String, Object> info, ByteBuffer data, long dataLen, String where)
            throws IOException {
        String dt = String.valueOf(info.get("dtype"));
        DType dtype = switch (dt) {
            case "F32" -> DType.F32;
            case "F64" -> DType.F64;
            case "I32" -> DType.I32;
            default -> throw new IOException(where + "tensor '" + name + "' has unsupported dtype " + dt);
        };
        List<Object> shapeList = (List<Object>) info.get("shape");
        List<Object> offs = (List<Object>) info.get("data_offsets");
        if (shapeList == null || offs == null || offs.size() != 2) {
            throw new IOException(where + "tensor '" + name + "' lacks shape or data_offsets");
        }
        int[] shape = shapeList.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
        long begin = ((Number) offs.get(0)).longValue();
        long end = ((Number) offs.get(1)).longValue();
        long numel = 1;
        for (int d : shape) {
            numel *= d;
        }
        if (begin < 0 || end > dataLen || end - begin != numel * width(dtype)) {
            throw new IOException(where + "tensor '" + name + "' offsets [" + begin + ", " + end + ") do not hold "
                    + numel + " " + dt + " values in " + dataLen + " data bytes (truncated?)");
        }
        ByteBuffer slice = data.slice((int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
        return switch (dtype) {
            case F32 -> {
                float[] v = new float[(int) numel];
                slice.asFloatBuffer().get(v);
                yield NdArray.of(v, shape);
            }
            case F64 -> {
                double[] v = new double[(int) numel];
                slice.asDoubleBuffer().get(v);
                yield NdArray.of(v, shape);
            }
            case I32 -> {
                int[] v = new int[(int) numel];
                slice.asIntBuffer().get(v);
                yield NdArray.of(v, shape);
            }
        };
    }
}
