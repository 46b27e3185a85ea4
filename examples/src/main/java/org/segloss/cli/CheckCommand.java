package org.segloss.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.SelfCheck;
import org.segloss.tensor.kernel.KernelProvider;
import org.segloss.tensor.kernel.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code segloss check}: gradient and SIMD-vs-scalar checks of every registered primitive. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Checks every primitive: analytic gradients against finite differences (GradCheck), and the"
                + " vector kernels against the scalar ones at every width the CPU allows. Exits 1 on any failure.")
final class CheckCommand implements Callable<Integer> {
    @Option(names = "--seed", description = "Seed of the sampled shapes and inputs (default: ${DEFAULT-VALUE}).")
    long seed = 2026;

    @Option(names = "--threads", description = "Threads for parallel kernels (default: all cores).")
    Integer threads;

    @Override
    public Integer call() {
        if (threads != null) Parallel.setThreads(threads);
        System.out.printf("segloss check: kernels %s, vector widths %s, %d threads, seed %d%n",
                KernelProvider.get().name(), KernelProvider.supportedWidths(), Parallel.threads(), seed);
        System.out.printf("gradient tolerance: |a - n| <= %.0e + %.0e max(|a|, |n|) + u (u: uncertainty of the Richardson-"
                + "extrapolated difference, spec/numerics.md); SIMD/scalar: <= %.0e of the scale%n%n",
                GradCheck.DEFAULTS.atol(), GradCheck.DEFAULTS.rtol(), SelfCheck.SIMD_RTOL);
        List<SelfCheck.Row> rows = SelfCheck.run(seed);
        int opWidth = 18, shapeWidth = 44;
        for (SelfCheck.Row r : rows) {
            opWidth = Math.max(opWidth, r.op().length());
        }
        String fmt = "%-" + opWidth + "s  %-" + shapeWidth + "s  %-11s  %14s  %16s  %s%n";
        System.out.printf(fmt, "op", "shapes", "mode", "max rel. grad", "max SIMD/scalar", "pass");
        System.out.printf(fmt, "-".repeat(opWidth), "-".repeat(shapeWidth), "-".repeat(11), "-".repeat(14), "-".repeat(16), "----");
        int failed = 0;
        for (SelfCheck.Row r : rows) {
            String shapes = r.detail().length() > shapeWidth ? r.detail().substring(0, shapeWidth - 3) + "..." : r.detail();
            System.out.printf(fmt, r.op(), shapes, r.mode(), String.format("%.2e", r.gradError()),
                    Double.isNaN(r.simdDiff()) ? "n/a (scalar)" : String.format("%.2e", r.simdDiff()),
                    r.passed() ? "PASS" : "FAIL  " + r.failure());
            if (!r.passed()) failed++;
        }
        System.out.printf("%n%d passed, %d failed%n", rows.size() - failed, failed);
        return failed == 0 ? 0 : 1;
    }
}
