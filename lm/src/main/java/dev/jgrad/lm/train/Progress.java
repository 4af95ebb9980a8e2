package dev.jgrad.lm.train;

import java.io.PrintStream;
import java.util.Locale;

/** A console progress line: steps, loss, tokens/s and ETA, redrawn in place on a terminal. */
final class Progress {
    private final PrintStream out;
    private final String name;
    private final long total;
    private final long started = System.nanoTime();
    private final boolean terminal = System.console() != null;
    private long lastPrint;
    private long tokens;

    Progress(PrintStream out, String name, long total) {
        this.out = out;
        this.name = name;
        this.total = total;
    }

    void update(long step, double loss, double valLoss, long batchTokens) {
        tokens += batchTokens;
        long now = System.nanoTime();
        boolean due = terminal ? now - lastPrint > 200_000_000L : step % Math.max(1, total / 10) == 0;
        if (!due && step != total) {
            return;
        }
        lastPrint = now;
        double secs = (now - started) / 1e9;
        double rate = tokens / Math.max(secs, 1e-9);
        double eta = step == 0 ? 0 : secs / step * (total - step);
        int width = 24;
        int filled = (int) (width * step / Math.max(total, 1));
        String bar = "#".repeat(filled) + ".".repeat(width - filled);
        String line = String.format(Locale.ROOT, "%-13s [%s] %d/%d  loss %.4f  val %.4f  %,.0f tok/s  ETA %s",
                name, bar, step, total, loss, valLoss, rate, clock(eta));
        if (terminal) {
            out.print("\r" + line);
        } else {
            out.println(line);
        }
    }

    void done() {
        if (terminal) {
            out.println();
        }
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
