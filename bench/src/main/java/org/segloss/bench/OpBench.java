package org.segloss.bench;

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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.segloss.tensor.Backend;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Parallel;

/**
 * Tensor-level operations on logits of shape [B, C, D, H, W] = [2, 4, 64, 64, 64] (2,097,152
 * floats, 8 MiB), with the kernels forced by {@link Backend#use}. Each Tensor operation allocates
 * its output (zeroed by the JVM), which the byte counts do not include; {@code softmaxKernel}
 * is the same softmax into a preallocated output, to show what the allocation costs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {BenchSupport.VECTOR_MODULE, BenchSupport.THP, BenchSupport.XMS,
        BenchSupport.XMX, BenchSupport.PRETOUCH, BenchSupport.QUIET})
public class OpBench {
    static final int B = 2, C = 4, S = 64;
    static final int INNER = S * S * S, N = B * C * INNER;

    @Param({"1", "2"})
    public int threads;

    @Param({"scalar", "vector"})
    public String impl;

    private Kernels k;
    private Backend.Scope scope;
    private float[] xs, ys, out;
    private Tensor x, y;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        k = BenchSupport.kernels(impl);
        scope = Backend.use(k);
        xs = BenchSupport.uniform(5, N, -4f, 4f);
        ys = BenchSupport.uniform(6, N, -4f, 4f);
        x = Tensor.wrap(xs, B, C, S, S, S);
        y = Tensor.wrap(ys, B, C, S, S, S);
        out = new float[N];
        verify();
    }

    @TearDown
    public void tearDown() {
        scope.close();
    }

    private void verify() {
        Work w = new Work();
        double[] ref = new double[N];
        for (int i = 0; i < N; i++) ref[i] = xs[i] + ys[i];
        BenchSupport.check("Tensor.add/" + k.name(), add(w).toArray(), ref, 0, 1e-7);

        for (int bi = 0; bi < B; bi++) {
            for (int j = 0; j < INNER; j++) {
                int base = bi * C * INNER + j;
                double m = Double.NEGATIVE_INFINITY, z = 0;
                for (int c = 0; c < C; c++) m = Math.max(m, xs[base + c * INNER]);
                for (int c = 0; c < C; c++) z += Math.exp(xs[base + c * INNER] - m);
                for (int c = 0; c < C; c++) ref[base + c * INNER] = Math.exp(xs[base + c * INNER] - m) / z;
            }
        }
        BenchSupport.check("Tensor.softmax/" + k.name(), softmax(w).toArray(), ref, 1e-7, 2e-6);
        softmaxKernel(w);
        BenchSupport.check("softmax kernel/" + k.name(), out, ref, 1e-7, 2e-6);

        double[] sums = new double[B * C];
        for (int i = 0; i < N; i++) sums[i / INNER] += xs[i];
        // values in [-4, 4]: 262,144 terms summed in float blocks of 4096, blocks in double
        BenchSupport.check("Tensor.sum/" + k.name(), sum(w).toArray(), sums, 1e-2, 0);
    }

    /** x + y: reads 2 tensors, writes 1 (plus allocating it). */
    @Benchmark
    public Tensor add(Work w) {
        w.bytes += 12.0 * N;
        return x.add(y);
    }

    /** Softmax along the channel axis: reads 1 tensor, writes 1 (plus allocating it). */
    @Benchmark
    public Tensor softmax(Work w) {
        w.bytes += 8.0 * N;
        return x.softmax(1);
    }

    /** The softmax kernel over the same split as Tensor.softmax (one task per batch item), no allocation. */
    @Benchmark
    public void softmaxKernel(Work w) {
        Parallel.forEach(B, bi -> k.softmax(xs, bi * C * INNER, C, INNER, out, bi * C * INNER));
        w.bytes += 8.0 * N;
    }

    /** Sum over the spatial axes, [2, 4, 64, 64, 64] -> [2, 4]: reads 1 tensor. */
    @Benchmark
    public Tensor sum(Work w) {
        w.bytes += 4.0 * N;
        return x.sum(new int[] {2, 3, 4}, false);
    }
}
