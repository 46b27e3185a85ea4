package org.segloss.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * In the autograd package {@code Function} is the autograd base class: no source of the package
 * may import {@code java.util.function.Function}, which would shadow it (a newcomer reading
 * {@code Function<Var[], Var>} in GradCheck could not tell which one is meant). GradCheck takes a
 * {@link GradCheck.VarFunction} instead.
 */
class NoShadowedFunctionTest {
    @Test
    void noAutogradSourceImportsJavaUtilFunctionFunction() throws IOException {
        Path dir = Path.of("main/java/org/segloss/autograd");
        List<String> shadowing = new ArrayList<>();
        int files = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java"))::iterator) {
                files++;
                for (String line : Files.readAllLines(p)) {
                    if (line.trim().equals("import java.util.function.Function;")) shadowing.add(p.getFileName().toString());
                }
            }
        }
        assertTrue(files > 5, "found the autograd sources (" + files + ")");
        assertTrue(shadowing.isEmpty(), "these autograd sources import java.util.function.Function: " + shadowing);
    }
}
