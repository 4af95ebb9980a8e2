package dev.jgrad.lm.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/** PNG charts drawn with Java2D (headless): training curves and the ladder comparison. */
public final class Plot {
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    private Plot() {
    }

    /** Two panels: training loss and validation perplexity against step. */
    public static void curves(Path file, List<Trainer.Point> curve) throws IOException {
        series(file, Map.of("run", curve));
    }

    /** One line per named run in each panel. */
    public static void series(Path file, Map<String, List<Trainer.Point>> runs) throws IOException {
        int w = 1200;
        int h = 480;
        BufferedImage img = canvas(w, h);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        panel(g, 0, w / 2, h, "training loss (nats/token)", runs, Trainer.Point::trainLoss);
        panel(g, w / 2, w / 2, h, "validation perplexity", runs, p -> Math.exp(p.valLoss()));
        g.dispose();
        writePng(img, file);
    }

    /** A white w × h image, drawn on without a display (headless Java2D). */
    public static BufferedImage canvas(int w, int h) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }

    /** The i-th line colour (matplotlib's default cycle, repeating). */
    public static Color color(int i) {
        return PALETTE[i % PALETTE.length];
    }

    /** Writes {@code img} as PNG, creating the parent directories. */
    public static void writePng(BufferedImage img, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    private static void panel(Graphics2D g, int x0, int w, int h, String title, Map<String, List<Trainer.Point>> runs,
                              ToDoubleFunction<Trainer.Point> y) {
        int left = x0 + 70;
        int right = x0 + w - 20;
        int top = 40;
        int bottom = h - 50;
        double maxStep = 1;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (List<Trainer.Point> c : runs.values()) {
            for (Trainer.Point p : c) {
                maxStep = Math.max(maxStep, p.step());
                double v = y.applyAsDouble(p);
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (!(hi > lo)) {
            lo = Double.isFinite(lo) ? lo - 1 : 0;
            hi = lo + 2;
        }
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawLine(left, bottom, right, bottom);
        g.drawLine(left, top, left, bottom);
        for (int k = 0; k <= 4; k++) {
            double v = lo + (hi - lo) * k / 4;
            int py = bottom - (int) ((bottom - top) * k / 4.0);
            g.setColor(new Color(0xdddddd));
            g.drawLine(left + 1, py, right, py);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.3g", v), x0 + 5, py + 4);
            String s = String.format(Locale.ROOT, "%.0f", maxStep * k / 4);
            g.drawString(s, left + (int) ((right - left) * k / 4.0) - 10, bottom + 18);
        }
        g.drawString("step", (left + right) / 2, bottom + 38);
        int ci = 0;
        for (var e : runs.entrySet()) {
            Color col = color(ci);
            g.setColor(col);
            g.setStroke(new BasicStroke(2f));
            int px = -1;
            int py = -1;
            for (Trainer.Point p : e.getValue()) {
                double v = y.applyAsDouble(p);
                if (!Double.isFinite(v)) {
                    continue;
                }
                int cx = left + (int) ((right - left) * p.step() / maxStep);
                int cy = bottom - (int) ((bottom - top) * (v - lo) / (hi - lo));
                if (px >= 0) {
                    g.drawLine(px, py, cx, cy);
                }
                g.fillOval(cx - 3, cy - 3, 6, 6);
                px = cx;
                py = cy;
            }
            if (runs.size() > 1) {
                g.drawString(e.getKey(), right - 110, top + 15 + 16 * ci);
            }
            ci++;
        }
    }
}
