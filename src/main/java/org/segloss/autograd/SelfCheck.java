package org.segloss.autograd;

import java.util.ArrayList;
import java.util.List;
import org.segloss.tensor.Backend;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.KernelProvider;
import org.segloss.tensor.kernel.Kernels;

/**
 * What {@code segloss check} runs: for every entry of the {@link OpCatalog}, a small case
 * (full-Jacobian gradient check) and a large case (directional check, vector tails), each also
 * run with the scalar kernels and with the vector kernels at every width the CPU allows; the
 * forward values and input gradients must agree within {@link #SIMD_RTOL} of their scale.
 */
public final class SelfCheck {
    private SelfCheck() {}

    /**
     * Vector vs scalar: |v - s| &lt;= SIMD_RTOL * max(1, max|s|). The kernels differ only in
     * summation order and in ulp-level differences of exp/log/tanh/pow, so 1e-5 leaves room for
     * sums of up to ~10^5 terms while catching any wrong lane or tail.
     */
    public static final double SIMD_RTOL = 1e-5;

    public record Row(String op, String detail, String mode, double gradError, double simdDiff, boolean passed,
                      String failure) {}

    /** Runs every check; {@code seed} picks the sampled shapes. */
    public static List<Row> run(long seed) {
        List<Row> rows = new ArrayList<>();
        List<Kernels> vectors = new ArrayList<>();
        for (int bits : KernelProvider.supportedWidths()) vectors.add(KernelProvider.vector(bits));
        List<OpCatalog.Entry> entries = OpCatalog.entries();
        for (int i = 0; i < entries.size(); i++) {
            for (boolean large : new boolean[] {false, true}) {
                OpCatalog.Case c = entries.get(i).sample(seed * 1_000_003L + 2L * i + (large ? 1 : 0), large);
                GradCheck.Report r;
                try (Backend.Scope ignored = Backend.use(vectors.isEmpty() ? KernelProvider.scalar() : vectors.getLast())) {
                    r = GradCheck.check(c.fn(), c.inputs());
                }
                double diff = 0;
                float[][] reference;
                try (Backend.Scope ignored = Backend.use(KernelProvider.scalar())) {
                    reference = forwardBackward(c);
                }
                for (Kernels k : vectors) {
                    float[][] got;
                    try (Backend.Scope ignored = Backend.use(k)) {
                        got = forwardBackward(c);
                    }
                    diff = Math.max(diff, relativeDiff(reference, got));
                }
                boolean ok = r.passed() && diff <= SIMD_RTOL;
                String why = ok ? "" : (!r.passed() ? "gradient: " + r.worst() : "") + (diff > SIMD_RTOL ? " SIMD/scalar differ" : "");
                rows.add(new Row(c.op(), c.detail(), r.mode(), r.maxRelError(), vectors.isEmpty() ? Double.NaN : diff, ok, why));
            }
        }
        return rows;
    }

    /** The output and every input gradient, for a fixed non-uniform seed gradient. */
    static float[][] forwardBackward(OpCatalog.Case c) {
        Var[] in = new Var[c.inputs().length];
        for (int i = 0; i < in.length; i++) in[i] = Var.param(c.inputs()[i].copy());
        Var y = c.fn().apply(in);
        Tensor seed = Tensor.arange(y.shape().size()).reshape(y.shape()).mul(0.01f).add(1f);
        y.backward(seed);
        float[][] out = new float[1 + in.length][];
        out[0] = y.value().toArray();
        for (int i = 0; i < in.length; i++) out[i + 1] = in[i].grad().toArray();
        return out;
    }

    static double relativeDiff(float[][] ref, float[][] got) {
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double scale = 1;
            for (float v : ref[i]) scale = Math.max(scale, Math.abs(v));
            for (int j = 0; j < ref[i].length; j++) {
                double d = Math.abs((double) ref[i][j] - got[i][j]);
                if (Double.isNaN(d)) return Double.POSITIVE_INFINITY;
                worst = Math.max(worst, d / scale);
            }
        }
        return worst;
    }
}
