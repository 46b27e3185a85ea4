import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints the JMH results of the segloss suite (JSON from {@code -rf json}) as one Markdown table:
 * time per operation, GB/s or GFLOP/s, the vector speed-up over scalar, and the share of the
 * triad bandwidth (same n, same thread count) or of the vector FMA peak (same thread count).
 *
 * <p>Usage: {@code java bench/Table.java [--cmd "command line"] results.json}. A single-file
 * program with no dependencies: the JSON reader below handles what JMH writes.
 */
public class Table {
    /** Elementwise ops and reductions: at least this share of the triad bandwidth, on 2 threads. */
    static final double MEMORY_TARGET = 0.70;
    /** SGEMM: at least this share of the single-thread FMA peak, on 1 thread. */
    static final double GEMM_TARGET = 0.60;
    /** Conv3d 16->16 forward + backward: at least this share of the FMA peak, on 2 threads. */
    static final double CONV_TARGET = 0.50;
    /** The [2, 4, 64, 64, 64] tensors of OpBench hold this many floats: their triad reference. */
    static final String OP_N = "2097152";

    /**
     * Benchmark classes whose only impl is scalar (their {@code @Param impl} lists "scalar" alone),
     * with the reason: their rows are results, not missing vector runs.
     */
    static final Map<String, String> SCALAR_ONLY = Map.of(
            "DistanceBench", "the exact distance transform has no vector kernel");

    record Row(String cls, String method, String n, String size, int threads, String impl,
               double opsPerSec, double errorPct, double bytesPerSec, double flopsPerSec) {
        String key() { return cls + "." + method + "/" + size; }
    }

    public static void main(String[] args) throws IOException {
        String cmd = null, file = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--cmd") && i + 1 < args.length) cmd = args[++i];
            else file = args[i];
        }
        if (file == null) {
            System.err.println("usage: java bench/Table.java [--cmd \"command line\"] results.json");
            System.exit(2);
        }
        List<?> results = (List<?>) new Json(Files.readString(Path.of(file))).value();
        List<Row> rows = new ArrayList<>();
        String jdk = "?", jvmArgs = "";
        for (Object o : results) {
            Map<?, ?> r = (Map<?, ?>) o;
            String bench = (String) r.get("benchmark");
            String cls = bench.substring(0, bench.lastIndexOf('.'));
            cls = cls.substring(cls.lastIndexOf('.') + 1);
            String method = bench.substring(bench.lastIndexOf('.') + 1);
            Map<?, ?> params = r.get("params") instanceof Map<?, ?> p ? p : Map.of();
            Map<?, ?> primary = (Map<?, ?>) r.get("primaryMetric");
            if (!"ops/s".equals(primary.get("scoreUnit"))) {
                throw new IllegalArgumentException("Table: expected throughput in ops/s (the suite's mode), got "
                        + primary.get("scoreUnit") + " for " + bench);
            }
            double score = num(primary.get("score")), err = num(primary.get("scoreError"));
            Map<?, ?> sec = r.get("secondaryMetrics") instanceof Map<?, ?> s ? s : Map.of();
            String n = str(params.get("n"));
            // LossBench.catalog runs every loss of the CLI's catalogue: one row per loss name
            if (params.get("loss") != null) method = method + " " + str(params.get("loss"));
            String size = switch (cls) {
                case "OpBench", "LossBench" -> "[2,4,64,64,64]";
                case "GemmBench" -> str(params.get("size")) + "³";
                case "FmaPeakBench" -> "registers";
                case "ConvBench" -> "[1,16,64³]";
                case "UNetStepBench" -> unetBatch(params.get("patch"));
                default -> "n=" + n;
            };
            if (cls.equals("OpBench")) n = OP_N;
            rows.add(new Row(cls, method, n, size, Integer.parseInt(str(params.get("threads"))),
                    str(params.get("impl")), score, 100 * err / score,
                    secondary(sec, "bytes"), secondary(sec, "flops")));
            jdk = str(r.get("jdkVersion"));
            if (r.get("jvmArgs") instanceof List<?> l) jvmArgs = String.join(" ", l.stream().map(String::valueOf).toList());
        }

        // References: the best triad at each (n, threads), the vector FMA peak at each thread count.
        Map<String, Double> triad = new LinkedHashMap<>(), peak = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.cls.equals("TriadBench")) triad.merge(r.n + "/" + r.threads, r.bytesPerSec, Math::max);
            if (r.cls.equals("FmaPeakBench") && r.impl.equals("vector")) peak.put("" + r.threads, r.flopsPerSec);
        }
        Map<String, Row> scalar = new LinkedHashMap<>();
        for (Row r : rows) if (r.impl.equals("scalar")) scalar.put(r.key() + "/" + r.threads, r);

        List<String> order = List.of("FmaPeakBench", "TriadBench", "KernelBench", "OpBench", "GemmBench",
                "ConvBench", "UNetStepBench", "LossBench", "DistanceBench");
        rows.sort(Comparator.<Row>comparingInt(r -> order.indexOf(r.cls) < 0 ? 99 : order.indexOf(r.cls))
                .thenComparing(r -> r.method)
                .thenComparing(r -> -sizeValue(r))
                .thenComparingInt(r -> r.threads)
                .thenComparing(r -> r.impl));

        String cpu = cpuModel();
        System.out.println("## segloss benchmarks");
        System.out.println();
        if (cmd != null) System.out.println("- command: `" + cmd + "`");
        System.out.println("- date: " + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")));
        System.out.println("- CPU: " + cpu + "; JDK " + jdk + "; fork flags: `" + jvmArgs + "`");
        System.out.println("- results: `" + file + "`");
        String dram = "16777216";
        if (triad.containsKey(dram + "/1") || triad.containsKey(dram + "/2")) {
            System.out.printf(Locale.ROOT, "- memory bandwidth (triad, 3 x 64 MiB, DRAM): %s GB/s on 1 thread, %s GB/s on 2%n",
                    fmt(triad.get(dram + "/1"), 1e9), fmt(triad.get(dram + "/2"), 1e9));
        }
        if (!peak.isEmpty()) {
            System.out.printf(Locale.ROOT, "- float32 FMA peak (vector): %s GFLOP/s on 1 thread, %s GFLOP/s on 2%n",
                    fmt(peak.get("1"), 1e9), fmt(peak.get("2"), 1e9));
        }
        System.out.println();
        System.out.println("| benchmark | size | threads | impl | time/op | rate | vector/scalar | share | target |");
        System.out.println("|---|---|--:|---|--:|--:|--:|--:|---|");
        for (Row r : rows) {
            boolean flops = r.flopsPerSec > 0;
            String rate = flops ? fmt(r.flopsPerSec, 1e9) + " GFLOP/s"
                    : r.bytesPerSec > 0 ? fmt(r.bytesPerSec, 1e9) + " GB/s" : "—";
            String speedup = "—";
            Row s = scalar.get(r.key() + "/" + r.threads);
            if (!r.impl.equals("scalar") && s != null) speedup = String.format(Locale.ROOT, "%.2f×", work(r) / work(s));
            if (SCALAR_ONLY.containsKey(r.cls)) speedup = "scalar-only";
            String share = "—", target = "";
            if (flops) {
                Double p = peak.get("" + r.threads);
                if (p != null) {
                    double f = r.flopsPerSec / p;
                    share = pct(f) + " of FMA peak";
                    if (r.cls.equals("GemmBench") && r.threads == 1 && r.impl.equals("vector")) {
                        target = mark(f, GEMM_TARGET);
                    }
                    if (r.cls.equals("ConvBench") && r.method.equals("forwardBackward") && r.threads == 2
                            && r.impl.equals("vector")) {
                        target = mark(f, CONV_TARGET);
                    }
                }
            } else if (r.bytesPerSec > 0) {
                Double t = triad.get(r.n + "/" + r.threads);
                if (t != null) {
                    double f = r.bytesPerSec / t;
                    share = pct(f) + " of triad";
                    if (!r.cls.equals("TriadBench") && r.threads == 2 && r.impl.equals("vector") && r.n.equals(OP_N)) {
                        target = mark(f, MEMORY_TARGET);
                    }
                }
            }
            String err = Double.isFinite(r.errorPct) ? String.format(Locale.ROOT, " ±%.0f%%", r.errorPct) : "";
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %s | %s%s | %s | %s | %s | %s |%n",
                    label(r), r.size, r.threads, r.impl, time(1 / r.opsPerSec), err, rate, speedup, share, target);
        }
        if (rows.stream().anyMatch(r -> r.impl.equals("vector") && !r.cls.equals("FmaPeakBench"))) {
            List<String> missing = new ArrayList<>();
            for (Row r : rows) {
                if (r.impl.equals("scalar") && !SCALAR_ONLY.containsKey(r.cls) && rows.stream().noneMatch(v -> v.impl.equals("vector")
                        && v.key().equals(r.key()) && v.threads == r.threads)) {
                    missing.add(label(r) + " " + r.size + " t=" + r.threads);
                }
            }
            if (!missing.isEmpty()) {
                System.out.println();
                System.out.println("No vector result (failed or not run; see the JMH output): " + String.join(", ", missing));
            }
        }
        List<String> scalarOnly = SCALAR_ONLY.entrySet().stream()
                .filter(e -> rows.stream().anyMatch(r -> r.cls.equals(e.getKey())))
                .map(e -> e.getKey() + " (" + e.getValue() + ")").toList();
        if (!scalarOnly.isEmpty()) {
            System.out.println();
            System.out.println("Scalar-only by design, so no vector/scalar ratio: " + String.join(", ", scalarOnly) + ".");
        }
        System.out.println();
        System.out.println("Rates count logical traffic (inputs read once, outputs written once; the Tensor ops' output"
                + " allocation is not counted) and 2 flops per FMA. Share: of the best triad at the same n and thread"
                + " count (the [2,4,64,64,64] ops use n=2097152), or of the vector FMA peak at the same thread count."
                + " Targets (vector): memory-bound ops at n=2097152 >= " + pct(MEMORY_TARGET) + " of the triad on 2"
                + " threads; SGEMM >= " + pct(GEMM_TARGET) + " of the FMA peak on 1 thread; Conv3d forward + backward >= "
                + pct(CONV_TARGET) + " of the FMA peak on 2 threads. ± is JMH's 99.9% error.");
    }

    /** Work per second; the FMA-peak operations differ in work between impls (lanes), the others do not. */
    static double work(Row r) {
        return r.flopsPerSec > 0 ? r.flopsPerSec : r.bytesPerSec > 0 ? r.bytesPerSec : r.opsPerSec;
    }

    static String label(Row r) {
        return switch (r.cls + "." + r.method) {
            case "FmaPeakBench.fma" -> "FMA peak";
            case "TriadBench.triad" -> "triad a+s·b";
            case "KernelBench.add" -> "add (kernel)";
            case "KernelBench.dot" -> "dot = sum(a·b) (kernel)";
            case "KernelBench.exp" -> "exp (kernel)";
            case "OpBench.add" -> "Tensor.add";
            case "OpBench.softmax" -> "Tensor.softmax(1)";
            case "OpBench.softmaxKernel" -> "softmax(1) (kernel, no alloc)";
            case "OpBench.sum" -> "Tensor.sum({2,3,4})";
            case "GemmBench.sgemm" -> "SGEMM";
            case "ConvBench.forward" -> "Conv3d 16→16 forward";
            case "ConvBench.forwardBackward" -> "Conv3d 16→16 forward + backward";
            case "UNetStepBench.step" -> "U-Net training step (fwd, Dice+CE, bwd, AdamW)";
            default -> r.cls + "." + r.method;
        };
    }

    static double sizeValue(Row r) {
        try {
            return Double.parseDouble(r.size.replaceAll("[^0-9]", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static String mark(double share, double target) {
        return (share >= target ? "✓ " : "✗ ") + "≥" + pct(target);
    }

    static String pct(double f) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * f);
    }

    static String fmt(Double v, double unit) {
        if (v == null) return "—";
        double x = v / unit;
        return String.format(Locale.ROOT, x >= 100 ? "%.0f" : x >= 10 ? "%.1f" : "%.2f", x);
    }

    static String time(double s) {
        if (s >= 1) return String.format(Locale.ROOT, "%.2f s", s);
        if (s >= 1e-3) return String.format(Locale.ROOT, "%.3g ms", s * 1e3);
        if (s >= 1e-6) return String.format(Locale.ROOT, "%.3g µs", s * 1e6);
        return String.format(Locale.ROOT, "%.3g ns", s * 1e9);
    }

    static double num(Object o) {
        if (o instanceof Number n) return n.doubleValue();
        try {
            return Double.parseDouble(String.valueOf(o));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    static double secondary(Map<?, ?> sec, String name) {
        return sec.get(name) instanceof Map<?, ?> m ? num(m.get("score")) : 0;
    }


    /** UNetStepBench's batch from its patch param "BxS" ([B,1,S³]); runs from before the param were [1,1,64³]. */
    static String unetBatch(Object patch) {
        if (patch == null) return "[1,1,64³]";
        String[] bs = String.valueOf(patch).split("x");
        return bs.length == 2 ? "[" + bs[0] + ",1," + bs[1] + "³]" : String.valueOf(patch);
    }

    static String str(Object o) {
        return o == null ? "" : String.valueOf(o);
    }

    static String cpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            String model = lines.stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
            long cpus = lines.stream().filter(l -> l.startsWith("processor")).count();
            return model + " (" + cpus + " CPUs)";
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }

    /** A small JSON reader: objects become LinkedHashMaps, arrays Lists, numbers Doubles. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) { this.s = s; }

        Object value() {
            ws();
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> number();
            };
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            ws();
            if (s.charAt(i) == '}') { i++; return m; }
            while (true) {
                ws();
                String k = string();
                ws();
                expect(':');
                m.put(k, value());
                ws();
                if (s.charAt(i) == ',') { i++; continue; }
                expect('}');
                return m;
            }
        }

        private List<Object> array() {
            List<Object> l = new ArrayList<>();
            i++;
            ws();
            if (s.charAt(i) == ']') { i++; return l; }
            while (true) {
                l.add(value());
                ws();
                if (s.charAt(i) == ',') { i++; continue; }
                expect(']');
                return l;
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') { b.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    default -> b.append(e);
                }
            }
        }

        private Double number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            if (start == i) throw new IllegalArgumentException("Json: unexpected '" + s.charAt(i) + "' at " + i);
            return Double.valueOf(s.substring(start, i));
        }

        private Object literal(String word, Object v) {
            if (!s.startsWith(word, i)) throw new IllegalArgumentException("Json: expected " + word + " at " + i);
            i += word.length();
            return v;
        }

        private void expect(char c) {
            if (s.charAt(i) != c) throw new IllegalArgumentException("Json: expected '" + c + "' at " + i + ", got '" + s.charAt(i) + "'");
            i++;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }
    }
}
