package dev.jgrad.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report reads JMH's JSON, takes medians (not means) and computes GFLOP/s and ratios. */
class ReportTest {
    private static String result(String method, String shape, String threads, String... raw) {
        return """
            {"benchmark": "dev.jgrad.bench.GemmBench.%s", "params": {"shape": "%s", "threads": "%s"},
             "primaryMetric": {"score": 0, "scoreUnit": "us/op", "rawData": [[%s]]}}
            """.formatted(method, shape, threads, String.join(", ", raw));
    }

    @Test
    void gemmRowsBecomeMediansGflopsAndPercentOfOpenBlas(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("gemm.json");
        // 2 * 512^3 flop = 268.4 MFLOP: 2684.35456 us is 100 GFLOP/s, 1342.17728 us is 200.
        Files.writeString(json, "[" + result("jgrad", "512", "1", "9999", "2684.35456", "1", "2684.35456", "2684.35456")
                + "," + result("openblas", "512", "1", "1342.17728")
                + "," + result("jgradFreshResult", "512", "1", "5368.70912") + "]");
        List<Report.Row> rows = Report.readJmh(json);
        assertEquals(3, rows.size());
        assertEquals("GemmBench.jgrad", rows.get(0).method());
        assertEquals(2684.35456, rows.get(0).medianUs(), 1e-9, "median of five, not the mean");
        StringBuilder md = new StringBuilder();
        Report.gemmTable(rows, new TreeMap<>(Map.of()), md);
        assertTrue(md.toString().contains("| 512 | 1 | - | 100.0 | 50.0 | - | 200.0 | - | 50% | - |"), md.toString());
        Report.chart(rows, dir.resolve("gemm.png"));
        assertTrue(Files.size(dir.resolve("gemm.png")) > 1000);
    }

    /** PeakBench's rows become GFLOP/s (FLOPS x threads / median time), start and end side by side. */
    @Test
    void peakRowsBecomeGflopsAtBothEndsOfTheRun(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("peak.json");
        // 384 x 2^20 flop per thread: 4026.531840 us is 100 GFLOP/s on one thread, 200 on two.
        String row = """
            {"benchmark": "dev.jgrad.bench.PeakBench.fmaLoop", "params": {"threads": "%s", "when": "%s"},
             "primaryMetric": {"score": 0, "scoreUnit": "us/op", "rawData": [[%s]]}}
            """;
        Files.writeString(json, "[" + row.formatted("1", "start", "4026.53184, 1, 99999")
                + "," + row.formatted("1", "end", "8053.06368") + "," + row.formatted("2", "start", "4026.53184") + "]");
        StringBuilder md = new StringBuilder();
        Report.peakTable(Report.readJmh(json), md);
        assertTrue(md.toString().contains("| peak | 1 | 100.0 | 50.0 |"), md.toString());
        assertTrue(md.toString().contains("| peak | 2 | 200.0 | - |"), md.toString());
    }

    @Test
    void shapesParseAsBatchMKN() {
        assertEquals(List.of(1, 64, 64, 64), List.of(box(GemmBench.parse("64"))));
        assertEquals(List.of(1, 768, 128, 65), List.of(box(GemmBench.parse("768x128x65"))));
        assertEquals(List.of(48, 256, 64, 64), List.of(box(GemmBench.parse("48x256x64x64"))));
    }

    private static Integer[] box(int[] a) {
        Integer[] b = new Integer[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }
}
