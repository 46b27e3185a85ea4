package org.segloss.tensor.simd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a main class of the test classpath in a fresh JVM with the Vector API module and the given
 * JVM flags. A fresh JVM is needed twice here: to choose the JIT tier (-Xint, C1 only, C2), and to
 * load only ONE {@code VectorKernels} width: with several loaded, {@code species()} is no longer a
 * JIT constant and every vector becomes a heap box (VectorKernels' class comment), too slow for
 * checking billions of inputs.
 */
final class ForkedJvm {

    record Run(int exit, String out, String err) {
        /**
         * The rest of the first line "KEY value" on stderr, else on stdout, or a failure message
         * with what ran. (A probe that asks for the JIT log, which goes to stdout and may write
         * into the middle of a line, prints its results to stderr.)
         */
        String line(String key) {
            String tag = key + " ";
            return java.util.stream.Stream.concat(err.lines(), out.lines()).filter(l -> l.startsWith(tag))
                    .map(l -> l.substring(tag.length()).strip())
                    .findFirst().orElseThrow(() -> new AssertionError("no line '" + key + " ...' in the child's output; exit "
                            + exit + "\nstdout:\n" + out + "\nstderr:\n" + err));
        }
    }

    private ForkedJvm() {}

    static Run run(List<String> jvmFlags, Class<?> main, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
        // stderr is small (warnings); read it on a thread so a full pipe cannot block the child
        StringBuilder err = new StringBuilder();
        Thread errReader = Thread.ofPlatform().start(() -> {
            try {
                err.append(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                err.append(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        errReader.join();
        return new Run(exit, out, err.toString());
    }

    /** The vector widths this CPU runs: 128 up to the preferred size. */
    static List<Integer> widths() {
        List<Integer> w = new ArrayList<>();
        for (int bits = 128; bits <= jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(); bits *= 2) w.add(bits);
        return w;
    }
}
