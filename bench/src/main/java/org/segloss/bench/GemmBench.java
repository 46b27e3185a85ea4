package org.segloss.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.segloss.tensor.kernel.Gemm;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Parallel;

/**
 * SGEMM C = A * B on square row-major matrices through the parallel {@link Gemm} driver:
 * 2 * size^3 flops per operation. bench/Table.java compares the rate with the vector FMA peak
 * ({@link FmaPeakBench}) at the same thread count.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {BenchSupport.VECTOR_MODULE, BenchSupport.THP, BenchSupport.XMS,
        BenchSupport.XMX, BenchSupport.PRETOUCH, BenchSupport.QUIET})
public class GemmBench {
    @Param({"512", "1024"})
    public int size;

    @Param({"1", "2"})
    public int threads;

    @Param({"scalar", "vector"})
    public String impl;

    private Kernels k;
    private float[] a, b, c;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        k = BenchSupport.kernels(impl);
        a = BenchSupport.uniform(7, size * size, -1f, 1f);
        b = BenchSupport.uniform(8, size * size, -1f, 1f);
        c = new float[size * size];
        java.util.Arrays.fill(c, Float.NaN);   // beta = 0 must never read C
        sgemm(new Work());
        // 256 sampled entries against a dot product in double (a full reference costs seconds)
        SplittableRandom r = new SplittableRandom(9);
        for (int t = 0; t < 256; t++) {
            int i = r.nextInt(size), j = r.nextInt(size);
            double ref = 0, mag = 0;
            for (int p = 0; p < size; p++) {
                ref += (double) a[i * size + p] * b[p * size + j];
                mag += Math.abs((double) a[i * size + p] * b[p * size + j]);
            }
            BenchSupport.check("sgemm " + size + "/" + k.name() + " C[" + i + "," + j + "]",
                    c[i * size + j], ref, 1e-6 * mag, 0);
        }
    }

    @Benchmark
    public void sgemm(Work w) {
        Gemm.gemm(k, false, false, size, size, size, a, 0, size, b, 0, size, 0f, c, 0, size);
        w.flops += 2.0 * size * size * size;
    }
}
