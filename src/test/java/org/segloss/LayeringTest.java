package org.segloss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point one way: kernels know nothing of tensors, tensors nothing of autograd,
 * autograd nothing of losses or layers, layers (nn) nothing of losses, io (file formats) nothing beyond tensors; only
 * org.segloss.tensor.simd imports the Vector API.
 * Read from the import lines of the main sources.
 */
class LayeringTest {
    /** package -> packages (prefixes) it must not import. */
    static final Map<String, List<String>> FORBIDDEN = Map.of(
            "org.segloss.tensor.kernel", List.of("org.segloss.tensor.", "org.segloss.autograd", "org.segloss.loss", "org.segloss.nn"),
            "org.segloss.tensor.simd", List.of("org.segloss.tensor.Tensor", "org.segloss.tensor.Shape", "org.segloss.autograd",
                    "org.segloss.loss", "org.segloss.nn"),
            "org.segloss.tensor", List.of("org.segloss.autograd", "org.segloss.loss", "org.segloss.nn"),
            "org.segloss.autograd", List.of("org.segloss.loss", "org.segloss.nn"),
            "org.segloss.loss", List.of("org.segloss.nn"),
            "org.segloss.nn", List.of("org.segloss.loss", "org.segloss.io", "org.segloss.distance"),
            "org.segloss.io", List.of("org.segloss.autograd", "org.segloss.loss", "org.segloss.nn", "org.segloss.metrics"),
            "org.segloss.distance", List.of("org.segloss.autograd", "org.segloss.loss", "org.segloss.nn", "org.segloss.metrics"),
            "org.segloss.util", List.of("org.segloss.tensor", "org.segloss.autograd", "org.segloss.loss", "org.segloss.nn",
                    "org.segloss.io", "org.segloss.distance", "org.segloss.metrics"),
            "org.segloss.metrics", List.of("org.segloss.autograd", "org.segloss.loss", "org.segloss.nn", "org.segloss.io"));

    @Test
    void importsFollowTheLayers() throws IOException {
        Path root = Path.of("main/java");
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
                files++;
                String pkg = root.relativize(p.getParent()).toString().replace('/', '.');
                for (String line : Files.readAllLines(p)) {
                    if (!line.startsWith("import ")) continue;
                    String imp = line.substring(7).replace("static ", "").replace(";", "").trim();
                    if (imp.startsWith("jdk.incubator.vector") && !pkg.equals("org.segloss.tensor.simd")) {
                        violations.add(p + ": " + imp + " (only org.segloss.tensor.simd may use the Vector API)");
                    }
                    for (String bad : FORBIDDEN.getOrDefault(pkg, List.of())) {
                        boolean sibling = pkg.equals("org.segloss.tensor.kernel") && imp.startsWith("org.segloss.tensor.kernel.");
                        boolean simdOk = pkg.equals("org.segloss.tensor.simd")
                                && (imp.startsWith("org.segloss.tensor.kernel.") || imp.startsWith("org.segloss.tensor.simd."));
                        if (imp.startsWith(bad) && !sibling && !simdOk) violations.add(p + ": " + imp);
                    }
                }
            }
        }
        assertTrue(files > 10, "found the sources (" + files + " files)");
        assertTrue(violations.isEmpty(), String.join("\n", violations));
    }
}
