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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.segloss.autograd.Var;
import org.segloss.nn.Conv3d;
import org.segloss.tensor.Backend;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * {@link Conv3d} 16 -> 16 (3x3x3, padding 1, no bias, as in the U-Net) on x [1, 16, 64, 64, 64],
 * the workload of bench/conv_torch.py:
 * <ul>
 *   <li>{@code forward}: y = conv3d(x, w); 2 * 16 * 16*27 * 64^3 = 3.62 GFLOP.</li>
 *   <li>{@code forwardBackward}: y, then dx and dw from a fixed dy (backward(dy)): three
 *       products of that size, 10.9 GFLOP.</li>
 * </ul>
 * {@code Work} counts those flops (2 per multiply-add), so bench/Table.java prints GFLOP/s and
 * the share of the FMA peak at the same thread count. Only {@code impl=vector} by default: the
 * scalar twin takes seconds per operation here (pass {@code -p impl=scalar} to see it).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {BenchSupport.VECTOR_MODULE, BenchSupport.THP, BenchSupport.XMS,
        BenchSupport.XMX, BenchSupport.PRETOUCH, BenchSupport.QUIET})
public class ConvBench {
    static final int C = 16, S = 64, V = S * S * S;
    /** Multiply-adds of one product (forward, dx or dw), times 2 flops. */
    static final double FLOPS = 2.0 * C * C * 27 * V;

    @Param({"1", "2"})
    public int threads;

    @Param({"vector"})
    public String impl;

    private Backend.Scope scope;
    private Tensor x, w, dy;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        scope = Backend.use(BenchSupport.kernels(impl));
        x = Tensor.randn(1, 1, C, S, S, S);
        w = Tensor.randn(2, C, C, 3, 3, 3).muli((float) Math.sqrt(2.0 / (C * 27)));
        dy = Tensor.randn(3, 1, C, S, S, S);
        // sampled entries of y, dx and dw against sums in double
        Var vx = Var.param(x), vw = Var.param(w);
        Var y = Conv3d.conv3d(vx, vw, null);
        y.backward(dy);
        float[] xa = x.toArray(), wa = w.toArray(), ya = y.value().toArray(), ga = dy.toArray();
        float[] dx = vx.grad().toArray(), dw = vw.grad().toArray();
        SplittableRandom r = new SplittableRandom(4);
        for (int t = 0; t < 64; t++) {
            int o = r.nextInt(C), z = r.nextInt(S), yy = r.nextInt(S), xx = r.nextInt(S);
            if (t % 4 == 0) { z = 0; xx = S - 1; }   // borders too
            double ref = 0, mag = 0, refDx = 0, magDx = 0;
            for (int i = 0; i < C; i++) {
                for (int k = 0; k < 27; k++) {
                    int kz = k / 9, ky = k / 3 % 3, kx = k % 3;
                    // y[o, p] = sum w[o, i, k] x[i, p + k - 1]; dx[o(as i), p] = sum w[i, o, k] dy[i, p - k + 1]
                    int sz = z + kz - 1, sy = yy + ky - 1, sx = xx + kx - 1;
                    if (sz >= 0 && sz < S && sy >= 0 && sy < S && sx >= 0 && sx < S) {
                        double p = (double) wa[(o * C + i) * 27 + k] * xa[i * V + (sz * S + sy) * S + sx];
                        ref += p;
                        mag += Math.abs(p);
                    }
                    int tz = z - kz + 1, ty = yy - ky + 1, tx = xx - kx + 1;
                    if (tz >= 0 && tz < S && ty >= 0 && ty < S && tx >= 0 && tx < S) {
                        double p = (double) wa[(i * C + o) * 27 + k] * ga[i * V + (tz * S + ty) * S + tx];
                        refDx += p;
                        magDx += Math.abs(p);
                    }
                }
            }
            int at = o * V + (z * S + yy) * S + xx;
            BenchSupport.check("conv y[" + at + "]", ya[at], ref, 1e-5 * mag, 0);
            BenchSupport.check("conv dx[" + at + "]", dx[at], refDx, 1e-5 * magDx, 0);
        }
        for (int t = 0; t < 4; t++) {
            int o = r.nextInt(C), i = r.nextInt(C), k = r.nextInt(27), kz = k / 9, ky = k / 3 % 3, kx = k % 3;
            double ref = 0, mag = 0;
            for (int z = 0; z < S; z++) {
                for (int yy = 0; yy < S; yy++) {
                    for (int xx = 0; xx < S; xx++) {
                        int sz = z + kz - 1, sy = yy + ky - 1, sx = xx + kx - 1;
                        if (sz < 0 || sz >= S || sy < 0 || sy >= S || sx < 0 || sx >= S) continue;
                        double p = (double) ga[o * V + (z * S + yy) * S + xx] * xa[i * V + (sz * S + sy) * S + sx];
                        ref += p;
                        mag += Math.abs(p);
                    }
                }
            }
            BenchSupport.check("conv dw[" + o + "," + i + "," + k + "]", dw[(o * C + i) * 27 + k], ref, 1e-5 * mag, 0);
        }
    }

    @TearDown
    public void tearDown() {
        scope.close();
    }

    @Benchmark
    public Tensor forward(Work work) {
        Var y = Conv3d.conv3d(Var.constant(x), Var.constant(w), null);
        work.flops += FLOPS;
        return y.value();
    }

    @Benchmark
    public Tensor forwardBackward(Work work) {
        Var vx = Var.param(x), vw = Var.param(w);
        Conv3d.conv3d(vx, vw, null).backward(dy);
        work.flops += 3 * FLOPS;
        return vw.grad();
    }
}
