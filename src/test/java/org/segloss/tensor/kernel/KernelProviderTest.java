package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The kernel choice as a user makes it: {@code -Dsegloss.simd=...} in a fresh JVM, the one log
 * line, and the scalar fallback when the Vector API module is not added.
 */
class KernelProviderTest {

    /** Prints the chosen kernels' name; run in a child JVM. */
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println("CHOSEN " + KernelProvider.get().name());
        }
    }

    record Run(int exit, String out, String err) {}

    static Run run(boolean withModule, String... props) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (withModule) cmd.add("--add-modules=jdk.incubator.vector");
        for (String p : props) cmd.add("-D" + p);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Probe.class.getName());
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out, err);
    }

    static long segLossLines(String err) {
        return err.lines().filter(l -> l.startsWith("segloss:")).count();
    }

    @Test
    void defaultIsTheWidestVectorAndIsLoggedOnce() throws Exception {
        Assumptions.assumeTrue(KernelProvider.vectorAvailable(), "no Vector API in this JVM");
        Run r = run(true);
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("CHOSEN vector-" + KernelProvider.preferredVectorBits()), r.out());
        assertEquals(1, segLossLines(r.err()), r.err());
    }

    @Test
    void thePropertyForcesScalarOrAWidth() throws Exception {
        assertTrue(run(true, "segloss.simd=scalar").out().contains("CHOSEN scalar"));
        Assumptions.assumeTrue(KernelProvider.supportedWidths().contains(256), "no 256-bit vectors here");
        Run r = run(true, "segloss.simd=256");
        assertTrue(r.out().contains("CHOSEN vector-256"), r.out() + r.err());
        assertTrue(r.err().contains("forced"), r.err());
    }

    @Test
    void withoutTheModuleItFallsBackToScalarWithOneWarning() throws Exception {
        Run r = run(false);
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("CHOSEN scalar"), r.out());
        assertEquals(1, segLossLines(r.err()), r.err());
        assertTrue(r.err().contains("WARNING"), r.err());
    }

    @Test
    void aBadValueIsAClearError() throws Exception {
        Run r = run(true, "segloss.simd=fast");
        assertTrue(r.exit() != 0);
        assertTrue(r.err().contains("segloss.simd") && r.err().contains("fast") && r.err().contains("scalar"), r.err());
    }
}
