package dev.jgrad.lm.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Text corpora: any UTF-8 file, or the default Dickens novel from the classpath. */
public final class Corpus {
    /** Resource name of The Old Curiosity Shop inside org.apache.crunch:crunch-test:0.15.0. */
    public static final String DICKENS = "dickens.txt";

    private Corpus() {
    }

    /** The text of {@code file}, or of the default corpus when it is null; a leading BOM is removed. */
    public static String load(Path file) {
        try {
            if (file != null) {
                return stripBom(Files.readString(file, StandardCharsets.UTF_8));
            }
            try (InputStream in = Corpus.class.getClassLoader().getResourceAsStream(DICKENS)) {
                if (in == null) {
                    throw new IllegalStateException("corpus: the default corpus " + DICKENS + " is not on the class path"
                            + " (it comes from org.apache.crunch:crunch-test:0.15.0); pass --data FILE instead");
                }
                return stripBom(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("corpus: cannot read " + (file == null ? DICKENS : file) + ": " + e.getMessage(), e);
        }
    }

    static String stripBom(String s) {
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }
}
