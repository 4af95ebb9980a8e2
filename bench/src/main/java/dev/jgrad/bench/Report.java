package dev.jgrad.bench;

import dev.jgrad.lm.train.Plot;
import dev.jgrad.nn.io.Json;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns JMH JSON results (and the PyTorch script's JSON) into the README's markdown tables and
 * a PNG chart of GEMM GFLOP/s against size. Every number is the median of the measured
 * iterations, not JMH's mean.
 *
 * <p>Usage: {@code Report OUT_DIR jmh.json... [--pytorch t1.json t2.json...]}
 */
public final class Report {
    private Report() {
    }

    /** One JMH row: benchmark method, params, median time in microseconds. */
    record Row(String method, Map<String, String> params, double medianUs) {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: Report OUT_DIR jmh.json... [--pytorch f.json...]");
        }
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        List<Row> rows = new ArrayList<>();
        Map<Integer, Map<String, Double>> torch = new TreeMap<>();
        boolean py = false;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--pytorch")) {
                py = true;
            } else if (py) {
                readTorch(Path.of(args[i]), torch);
            } else {
                rows.addAll(readJmh(Path.of(args[i])));
            }
        }
        StringBuilder md = new StringBuilder();
        // run-all.sh's line on the machine (CPU, vector instructions, OpenBLAS kernels) leads.
        Path machine = out.resolve("machine.md");
        if (Files.isRegularFile(machine)) {
            md.append(Files.readString(machine));
        }
        peakTable(rows, md);
        gemmTable(rows, torch, md);
        kernelTable(rows, torch, md);
        stepTable(rows, torch, md);
        Files.writeString(out.resolve("report.md"), md.toString());
        chart(rows, out.resolve("gemm.png"));
        System.out.print(md);
        System.out.println("wrote " + out.resolve("report.md") + " and " + out.resolve("gemm.png"));
    }

    @SuppressWarnings("unchecked")
    static List<Row> readJmh(Path file) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (Object o : (List<Object>) Json.parse(Files.readString(file))) {
            Map<String, Object> r = (Map<String, Object>) o;
            String bench = (String) r.get("benchmark");
            Map<String, String> params = new LinkedHashMap<>();
            Object p = r.get("params");
            if (p != null) {
                ((Map<String, Object>) p).forEach((k, v) -> params.put(k, String.valueOf(v)));
            }
            Map<String, Object> metric = (Map<String, Object>) r.get("primaryMetric");
            List<Double> raw = new ArrayList<>();
            for (Object fork : (List<Object>) metric.get("rawData")) {
                for (Object v : (List<Object>) fork) {
                    raw.add(((Number) v).doubleValue());
                }
            }
            double scale = switch ((String) metric.get("scoreUnit")) {
                case "us/op" -> 1;
                case "ms/op" -> 1e3;
                case "ns/op" -> 1e-3;
                case "s/op" -> 1e6;
                default -> throw new IllegalArgumentException("Report: unsupported unit " + metric.get("scoreUnit"));
            };
            rows.add(new Row(bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1), params,
                    median(raw) * scale));
        }
        return rows;
    }

    @SuppressWarnings("unchecked")
    static void readTorch(Path file, Map<Integer, Map<String, Double>> torch) throws IOException {
        Map<String, Object> doc = (Map<String, Object>) Json.parse(Files.readString(file));
        int threads = ((Number) ((Map<String, Object>) doc.get("meta")).get("threads")).intValue();
        Map<String, Double> best = torch.computeIfAbsent(threads, t -> new TreeMap<>());
        ((Map<String, Object>) doc.get("results")).forEach((k, v) ->
                best.merge(k, ((Number) v).doubleValue(), Math::min));   // best thread setting per row
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static double gflops(String shape, double us) {
        int[] s = GemmBench.parse(shape);
        return 2.0 * s[0] * s[1] * s[2] * s[3] / (us * 1e3);
    }

    private static Double find(List<Row> rows, String method, String key, String value, String threads) {
        for (Row r : rows) {
            if (r.method().equals(method) && value.equals(r.params().get(key)) && threads.equals(r.params().get("threads"))) {
                return r.medianUs();
            }
        }
        return null;
    }

    private static String cell(Double v, String fmt) {
        return v == null ? "-" : String.format(Locale.ROOT, fmt, v);
    }

    /**
     * The register-only FMA loop ({@link PeakBench}) at the start and the end of the run, on one
     * thread and on two: how fast the machine was while the rows below ran.
     */
    static void peakTable(List<Row> rows, StringBuilder md) {
        boolean any = false;
        for (Row r : rows) {
            any |= r.method().equals("PeakBench.fmaLoop");
        }
        if (!any) {
            return;
        }
        md.append("| FMA loop (registers only), GFLOP/s | threads | start of the run | end of the run |\n");
        md.append("|---|---|---|---|\n");
        for (String t : new String[] {"1", "2"}) {
            Double start = null;
            Double end = null;
            for (Row r : rows) {
                if (r.method().equals("PeakBench.fmaLoop") && t.equals(r.params().get("threads"))) {
                    double gf = PeakBench.FLOPS * Double.parseDouble(t) / (r.medianUs() * 1e3);
                    if ("end".equals(r.params().get("when"))) {
                        end = gf;
                    } else {
                        start = gf;
                    }
                }
            }
            if (start != null || end != null) {
                md.append("| peak | ").append(t).append(" | ").append(cell(start, "%.1f")).append(" | ")
                        .append(cell(end, "%.1f")).append(" |\n");
            }
        }
        md.append("\nThe ceiling every GFLOP/s below is measured against, taken in the same sitting: twelve"
                + " independent FMA chains on registers, each summing into its addend as a GEMM micro-kernel does"
                + " (`FmaPeak`; until session 24 it summed into a multiplicand, which read about 84 GFLOP/s a core"
                + " on the Zen 3 machine where this form reads 102).\n\n");
    }

    static void gemmTable(List<Row> rows, Map<Integer, Map<String, Double>> torch, StringBuilder md) {
        List<String> shapes = new ArrayList<>();
        for (Row r : rows) {
            String s = r.params().get("shape");
            if (r.method().startsWith("GemmBench") && s != null && !shapes.contains(s)) {
                shapes.add(s);
            }
        }
        if (shapes.isEmpty()) {
            return;
        }
        md.append("| shape (B×)M×K×N | threads | scalar twin | jgrad | jgrad, fresh result | EJML | OpenBLAS | PyTorch"
                + " | jgrad % of OpenBLAS | jgrad / EJML |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (String s : shapes) {
            for (String t : new String[] {"1", "2"}) {
                Double jg = find(rows, "GemmBench.jgrad", "shape", s, t);
                Double ob = find(rows, "GemmBench.openblas", "shape", s, t);
                Double ej = find(rows, "GemmBench.ejml", "shape", s, t);
                Double sc = find(rows, "GemmBench.scalarTwin", "shape", s, t);
                Double fr = find(rows, "GemmBench.jgradFreshResult", "shape", s, t);
                Double pt = torch.getOrDefault(Integer.parseInt(t), Map.of()).get("gemm/" + s);
                if (jg == null && ob == null) {
                    continue;
                }
                md.append("| ").append(s).append(" | ").append(t)
                        .append(" | ").append(cell(sc == null ? null : gflops(s, sc), "%.1f"))
                        .append(" | ").append(cell(jg == null ? null : gflops(s, jg), "%.1f"))
                        .append(" | ").append(cell(fr == null ? null : gflops(s, fr), "%.1f"))
                        .append(" | ").append(cell(ej == null ? null : gflops(s, ej), "%.1f"))
                        .append(" | ").append(cell(ob == null ? null : gflops(s, ob), "%.1f"))
                        .append(" | ").append(cell(pt == null ? null : gflops(s, pt), "%.1f"))
                        .append(" | ").append(cell(jg == null || ob == null ? null : 100 * ob / jg, "%.0f%%"))
                        .append(" | ").append(cell(jg == null || ej == null ? null : ej / jg, "%.1f×"))
                        .append(" |\n");
            }
        }
        md.append("\nGFLOP/s = 2·B·M·K·N / median time. Every column but \"fresh result\" writes into a result"
                + " array allocated once (PyTorch: `torch.mm(out=)`). Each shape and thread count is its own JMH run"
                + " (EJML, jgrad and OpenBLAS seconds apart); PyTorch's column comes after all of them.\n\n");
    }

    static void kernelTable(List<Row> rows, Map<Integer, Map<String, Double>> torch, StringBuilder md) {
        String[][] kinds = {{"KernelBench.softmax", "softmax"},
            {"KernelBench.crossEntropyForwardBackward", "cross_entropy_fwd_bwd"},
            {"KernelBench.layerNormForwardBackward", "layernorm_fwd_bwd"}};
        boolean header = false;
        for (String[] kind : kinds) {
            List<String> shapes = new ArrayList<>();
            for (Row r : rows) {
                if (r.method().equals(kind[0]) && !shapes.contains(r.params().get("shape"))) {
                    shapes.add(r.params().get("shape"));
                }
            }
            for (String s : shapes) {
                for (String t : new String[] {"1", "2"}) {
                    Double jg = find(rows, kind[0], "shape", s, t);
                    Double pt = torch.getOrDefault(Integer.parseInt(t), Map.of()).get(kind[1] + "/" + s);
                    if (jg == null) {
                        continue;
                    }
                    if (!header) {
                        md.append("| kernel | rows×cols | threads | jgrad µs | GB/s | PyTorch µs | PyTorch / jgrad |\n");
                        md.append("|---|---|---|---|---|---|---|\n");
                        header = true;
                    }
                    String[] rc = s.split("x");
                    // Effective traffic: softmax reads and writes the matrix once; the fused
                    // forward+backward passes read it and write its gradient.
                    double bytes = 2.0 * 4 * Long.parseLong(rc[0]) * Long.parseLong(rc[1]);
                    md.append("| ").append(kind[1]).append(" | ").append(s).append(" | ").append(t).append(" | ")
                            .append(String.format(Locale.ROOT, "%.1f", jg)).append(" | ")
                            .append(String.format(Locale.ROOT, "%.1f", bytes / (jg * 1e3))).append(" | ")
                            .append(cell(pt, "%.1f")).append(" | ")
                            .append(cell(pt == null ? null : pt / jg, "%.2f×")).append(" |\n");
                }
            }
        }
        for (String t : new String[] {"1", "2"}) {
            Double jg = findMethod(rows, "AttentionBench.forwardBackward", t);
            Double pt = torch.getOrDefault(Integer.parseInt(t), Map.of()).get("attention_fwd_bwd/12x4x64x32");
            if (jg != null) {
                md.append("| causal attention fwd+bwd | 12×4×64×32 | ").append(t).append(" | ")
                        .append(String.format(Locale.ROOT, "%.1f", jg)).append(" | - | ").append(cell(pt, "%.1f"))
                        .append(" | ").append(cell(pt == null ? null : pt / jg, "%.2f×")).append(" |\n");
            }
        }
        if (header) {
            md.append("\nGB/s counts one read and one write of the matrix (a lower bound on the traffic).\n\n");
        }
    }

    static void stepTable(List<Row> rows, Map<Integer, Map<String, Double>> torch, StringBuilder md) {
        boolean any = rows.stream().anyMatch(r -> r.method().startsWith("StepBench") || r.method().startsWith("GenerateBench"));
        if (!any) {
            return;
        }
        md.append("| workload | threads | jgrad | PyTorch | PyTorch / jgrad |\n|---|---|---|---|---|\n");
        for (String model : new String[] {"bigram", "mlp", "lstm", "gpt"}) {
            for (String t : new String[] {"1", "2"}) {
                Double jg = find(rows, "StepBench.step", "model", model, t);
                Double pt = torch.getOrDefault(Integer.parseInt(t), Map.of()).get("step/" + model);
                if (jg != null) {
                    md.append("| training step: ").append(model).append(" | ").append(t).append(" | ")
                            .append(String.format(Locale.ROOT, "%.3f ms", jg / 1e3)).append(" | ")
                            .append(cell(pt == null ? null : pt / 1e3, "%.3f ms")).append(" | ")
                            .append(cell(pt == null ? null : pt / jg, "%.2f×")).append(" |\n");
                }
            }
        }
        for (String t : new String[] {"1", "2"}) {
            Double kv = findMethod(rows, "GenerateBench.kvCache", t);
            Double re = findMethod(rows, "GenerateBench.rereading", t);
            Double pt = torch.getOrDefault(Integer.parseInt(t), Map.of()).get("generate/uncached_" + GenerateBench.TOKENS);
            if (kv != null) {
                md.append("| GPT generation, KV cache (tokens/s) | ").append(t).append(" | ")
                        .append(String.format(Locale.ROOT, "%.0f", GenerateBench.TOKENS / (kv / 1e6))).append(" | ")
                        .append(cell(pt == null ? null : GenerateBench.TOKENS / (pt / 1e6), "%.0f (uncached)"))
                        .append(" | ").append(cell(pt == null ? null : pt / kv, "%.1f×")).append(" |\n");
            }
            if (re != null) {
                md.append("| GPT generation, re-reading the context (tokens/s) | ").append(t).append(" | ")
                        .append(String.format(Locale.ROOT, "%.0f", GenerateBench.TOKENS / (re / 1e6))).append(" | ")
                        .append(cell(pt == null ? null : GenerateBench.TOKENS / (pt / 1e6), "%.0f")).append(" | ")
                        .append(cell(pt == null ? null : pt / re, "%.1f×")).append(" |\n");
            }
        }
        md.append("\nTimes are medians; ratios above 1 mean jgrad is faster.\n\n");
    }

    private static Double findMethod(List<Row> rows, String method, String threads) {
        for (Row r : rows) {
            if (r.method().equals(method) && threads.equals(r.params().get("threads"))) {
                return r.medianUs();
            }
        }
        return null;
    }

    /** GFLOP/s against n for the square shapes: one line per implementation and thread count. */
    static void chart(List<Row> rows, Path file) throws IOException {
        Map<String, TreeMap<Integer, Double>> lines = new TreeMap<>();
        for (Row r : rows) {
            String s = r.params().get("shape");
            if (!r.method().startsWith("GemmBench") || s == null || s.contains("x")) {
                continue;
            }
            String name = r.method().substring("GemmBench.".length()) + ", " + r.params().get("threads") + "T";
            lines.computeIfAbsent(name, k -> new TreeMap<>()).put(Integer.parseInt(s), gflops(s, r.medianUs()));
        }
        int w = 900;
        int h = 560;
        int left = 70;
        int bottom = 60;
        int top = 40;
        int right = 220;
        BufferedImage img = Plot.canvas(w, h);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        double maxY = 1;
        int minN = Integer.MAX_VALUE;
        int maxN = 1;
        for (TreeMap<Integer, Double> l : lines.values()) {
            for (Map.Entry<Integer, Double> e : l.entrySet()) {
                maxY = Math.max(maxY, e.getValue());
                minN = Math.min(minN, e.getKey());
                maxN = Math.max(maxN, e.getKey());
            }
        }
        maxY *= 1.1;
        double lx0 = Math.log(Math.max(minN, 1));
        double lx1 = Math.log(Math.max(maxN, minN + 1));
        int pw = w - left - right;
        int ph = h - top - bottom;
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        g.drawString("F32 GEMM, square n x n x n: GFLOP/s (median)", left, top - 15);
        for (int i = 0; i <= 5; i++) {
            int y = top + ph - i * ph / 5;
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left + 1, y, left + pw - 1, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.0f", maxY * i / 5), 20, y + 5);
        }
        for (TreeMap<Integer, Double> l : lines.values()) {
            for (int n : l.keySet()) {
                int x = left + (int) ((Math.log(n) - lx0) / (lx1 - lx0 + 1e-12) * pw);
                g.drawString(Integer.toString(n), x - 10, top + ph + 20);
            }
            break;
        }
        g.drawString("n (log scale)", left + pw / 2 - 30, h - 15);
        int idx = 0;
        for (Map.Entry<String, TreeMap<Integer, Double>> e : lines.entrySet()) {
            Color c = Plot.color(idx);
            g.setColor(c);
            g.setStroke(new BasicStroke(e.getKey().endsWith("2T") ? 2.5f : 1.5f, BasicStroke.CAP_ROUND,
                    BasicStroke.JOIN_ROUND, 1f, e.getKey().endsWith("2T") ? null : new float[] {6f, 4f}, 0f));
            int px = -1;
            int py = -1;
            for (Map.Entry<Integer, Double> pt : e.getValue().entrySet()) {
                int x = left + (int) ((Math.log(pt.getKey()) - lx0) / (lx1 - lx0 + 1e-12) * pw);
                int y = top + ph - (int) (pt.getValue() / maxY * ph);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                g.fillOval(x - 3, y - 3, 6, 6);
                px = x;
                py = y;
            }
            int ly = top + 20 + idx * 20;
            g.drawLine(left + pw + 15, ly - 4, left + pw + 45, ly - 4);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), left + pw + 52, ly);
            idx++;
        }
        g.dispose();
        Plot.writePng(img, file);
    }
}
