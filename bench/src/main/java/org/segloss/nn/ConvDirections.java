package org.segloss.nn;

import java.util.Arrays;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * Conv3d's three products one at a time, without the autograd around them: the forward
 * ({@code Conv3d.conv} on the padded x), dx (the same on the padded dy with flipped, transposed
 * weights), dw ({@code Conv3d.weightGrad}) and the padding copy, C -> C channels, 3x3x3, at shapes
 * {@code BxCxS} ([B, C, S^3]). In package org.segloss.nn to reach those package-private kernels.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -XX:G1HeapRegionSize=32m -Xms4g -Xmx4g \
 *     -cp bench/target/benchmarks.jar org.segloss.nn.ConvDirections THREADS SECONDS SHAPE...
 * </pre>
 * prints per shape the min / median milliseconds of each direction over SECONDS of repeated calls
 * (after as long a warm-up) and the min's GFLOP/s (2 * B * C^2 * 27 * S^3 flops per product).
 * The min is the figure to compare on a loaded machine (preemption only adds time); the first
 * shape is still warming the JIT, so repeat it. With {@code -Dconv.hash=true} it prints instead
 * hashes of the bits of y, dx and dw (fixed seeds): equal hashes before and after a kernel
 * change, and for any THREADS, show the change is bit-neutral.
 */
public final class ConvDirections {
    private ConvDirections() {}

    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: ConvDirections THREADS SECONDS BxCxS...");
            System.exit(2);
        }
        int threads = Integer.parseInt(args[0]);
        double secs = Double.parseDouble(args[1]);
        boolean hash = Boolean.getBoolean("conv.hash");
        Parallel.setThreads(threads);
        for (int ai = 2; ai < args.length; ai++) {
            String[] p = args[ai].split("x");
            if (p.length != 3) throw new IllegalArgumentException("ConvDirections: shape must be BxCxS, got " + args[ai]);
            int b = Integer.parseInt(p[0]), c = Integer.parseInt(p[1]), s = Integer.parseInt(p[2]);
            Conv3d.Padded g = new Conv3d.Padded(s, s, s);
            float[] x = Tensor.randn(1, b, c, s, s, s).toArray();
            float[] w = Tensor.randn(2, c, c, 3, 3, 3).toArray();
            float[] dy = Tensor.randn(3, b, c, s, s, s).toArray();
            float[] xp = g.pad(x, b, c), dyp = g.pad(dy, b, c), wf = Conv3d.flipTranspose(w, c, c);
            float[] y = new float[b * c * s * s * s];
            if (hash) {
                Conv3d.conv(xp, b, c, s, s, s, w, c, null, y);
                int hy = Arrays.hashCode(y);
                Conv3d.conv(dyp, b, c, s, s, s, wf, c, null, y);
                int hx = Arrays.hashCode(y);
                int hw = Arrays.hashCode(Conv3d.weightGrad(xp, dyp, b, c, c, s, s, s));
                System.out.printf("%s threads=%d bits of y %08x dx %08x dw %08x%n", args[ai], threads, hy, hx, hw);
                continue;
            }
            double flops = 2.0 * b * c * c * 27 * s * s * s;
            StringBuilder out = new StringBuilder(String.format("%-8s threads=%d", args[ai], threads));
            for (String dir : new String[] {"fwd", "dx", "dw", "pad"}) {
                Runnable r = switch (dir) {
                    case "fwd" -> () -> Conv3d.conv(xp, b, c, s, s, s, w, c, null, y);
                    case "dx" -> () -> Conv3d.conv(dyp, b, c, s, s, s, wf, c, null, y);
                    case "dw" -> () -> Conv3d.weightGrad(xp, dyp, b, c, c, s, s, s);
                    default -> () -> g.pad(x, b, c);
                };
                for (long e = System.nanoTime() + (long) (secs * 1e9); System.nanoTime() < e; ) r.run();
                double[] t = new double[1 << 16];
                int n = 0;
                for (long e = System.nanoTime() + (long) (secs * 1e9); (System.nanoTime() < e || n < 5) && n < t.length; n++) {
                    long t0 = System.nanoTime();
                    r.run();
                    t[n] = (System.nanoTime() - t0) / 1e6;
                }
                double[] ts = Arrays.copyOf(t, n);
                Arrays.sort(ts);
                out.append(String.format("  %s %.3f/%.3f ms", dir, ts[0], ts[n / 2]));
                if (!dir.equals("pad")) out.append(String.format(" (%.0f GF/s)", flops / ts[0] / 1e6));
            }
            System.out.println(out);
        }
    }
}
