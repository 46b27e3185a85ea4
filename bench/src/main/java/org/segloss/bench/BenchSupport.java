package org.segloss.bench;

import org.segloss.tensor.kernel.KernelProvider;
import org.segloss.tensor.kernel.Kernels;

/**
 * What every benchmark shares: the fork flags, the kernel choice behind the {@code impl} param
 * and result checks ({@link Work} holds the counters that bench/Table.java turns into GB/s and
 * GFLOP/s).
 *
 * <p>Conventions: every benchmark class has the params {@code threads} (1, 2; applied with
 * {@link org.segloss.tensor.kernel.Parallel#setThreads}) and {@code impl} (scalar, vector), runs
 * in {@code Mode.Throughput} with ops/s, and verifies its result once in {@code @Setup}
 * against a plain-Java reference computed in double, before any timing.
 */
final class BenchSupport {
    private BenchSupport() {}

    // The fork flags, in one place (annotation values must be constants). Transparent huge pages
    // and a pre-touched, pinned heap keep first-touch page faults (~12 us per 4 KiB page on these
    // machines) out of the measurement.
    static final String VECTOR_MODULE = "--add-modules=jdk.incubator.vector";
    static final String THP = "-XX:+UseTransparentHugePages";
    static final String XMS = "-Xms4g";
    static final String XMX = "-Xmx4g";
    static final String PRETOUCH = "-XX:+AlwaysPreTouch";
    static final String QUIET = "-Dsegloss.quiet=true";

    /** The kernels behind the impl param: the scalar reference or the widest vector kernels. */
    static Kernels kernels(String impl) {
        return switch (impl) {
            case "scalar" -> KernelProvider.scalar();
            case "vector" -> KernelProvider.vector(KernelProvider.preferredVectorBits());
            default -> throw new IllegalArgumentException("impl must be one of [scalar, vector], got '" + impl + "'");
        };
    }

    /** n floats uniform in [lo, hi), reproducible. */
    static float[] uniform(long seed, int n, float lo, float hi) {
        return org.segloss.tensor.Tensor.uniform(seed, lo, hi, n).toArray();
    }

    /** Throws unless |actual - expected| <= atol + rtol * |expected| at every index. */
    static void check(String what, float[] actual, double[] expected, double atol, double rtol) {
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], d = Math.abs(actual[i] - e);
            if (!(d <= atol + rtol * Math.abs(e))) {
                throw new IllegalStateException(what + ": wrong result at " + i + ": expected " + e
                        + ", got " + actual[i] + " (atol " + atol + ", rtol " + rtol + ")");
            }
        }
    }

    /** Scalar version of {@link #check(String, float[], double[], double, double)}. */
    static void check(String what, double actual, double expected, double atol, double rtol) {
        check(what, new float[] {(float) actual}, new double[] {expected}, atol, rtol);
    }
}
