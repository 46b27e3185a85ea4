package org.segloss.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The machinery of the planted-error suites: each plant (an operation, one of its terms, a
 * factor of 1.01 or 0.99) is run through the checks that the core module's tests apply to that
 * operation (the detectors); the honest operation must pass every detector, the planted one must
 * fail at least one, and the detectors that failed are its "caught by" entry. The table of
 * plants and detectors is the one in spec/numerics.md: the suites assert that the page lists
 * exactly what they found.
 */
public final class PlantedErrors {
    private PlantedErrors() {}

    public static final float[] FACTORS = {1.01f, 0.99f};

    /** A check that a core test applies to an operation: true when the operation passes it. */
    public record Detector(String name, Predicate<MultiFunction> passes) {}

    /**
     * One planted term: an operation (fresh per use), which term, the operation with that term
     * scaled by a factor, and the checks that apply.
     */
    public record Plant(String op, String term, Supplier<MultiFunction> real, DoubleFunction<MultiFunction> planted,
                        List<Detector> detectors) {
        /** A plant at a {@link PlantedFault} site: one input's gradient, one output's term, or a forward output. */
        public Plant(String op, String term, Supplier<MultiFunction> real, PlantedFault.Site site, int index,
                     List<Detector> detectors) {
            this(op, term, real, factor -> new PlantedFault(real.get(), site, index, (float) factor), detectors);
        }
    }

    /** The names of the detectors that the plant with this factor fails (empty: not caught). */
    public static List<String> caughtBy(Plant p, float factor) {
        List<String> caught = new ArrayList<>();
        for (Detector d : p.detectors()) {
            assertTrue(d.passes().test(p.real().get()), () -> p.op() + ": the honest operation fails " + d.name());
            if (!d.passes().test(p.planted().apply(factor))) caught.add(d.name());
        }
        return caught;
    }

    /**
     * Runs every plant at both factors, fails when one is not caught, prints the table, and checks
     * that spec/numerics.md contains each of its rows.
     */
    public static void runSuite(String title, List<Plant> plants) {
        StringBuilder table = new StringBuilder();
        List<String> missed = new ArrayList<>();
        for (Plant p : plants) {
            String[] cells = new String[FACTORS.length];
            for (int f = 0; f < FACTORS.length; f++) {
                List<String> by = caughtBy(p, FACTORS[f]);
                if (by.isEmpty()) missed.add(p.op() + " " + p.term() + " x" + FACTORS[f]);
                cells[f] = by.isEmpty() ? "NOT CAUGHT" : String.join(", ", by);
            }
            table.append(row(p, cells)).append('\n');
        }
        System.out.println("Planted errors (" + title + "):\n| operation | planted term | x1.01 caught by | x0.99 caught by |\n"
                + table);
        if (!missed.isEmpty()) fail("planted errors not caught: " + missed + "\n" + table);
        String spec = specText();
        List<String> absent = new ArrayList<>();
        for (String r : table.toString().split("\n")) if (!spec.contains(r)) absent.add(r);
        if (!absent.isEmpty()) {
            fail("spec/numerics.md does not list these rows of the planted-error table (update it):\n" + String.join("\n", absent));
        }
    }

    static String row(Plant p, String[] cells) {
        return "| " + p.op() + " | " + p.term() + " | " + cells[0] + " | " + cells[1] + " |";
    }

    /** spec/numerics.md of the project (tests run in the module directory {@code src/}). */
    static String specText() {
        for (Path candidate : new Path[] {Path.of("../spec/numerics.md"), Path.of("spec/numerics.md")}) {
            if (Files.isRegularFile(candidate)) {
                try {
                    return Files.readString(candidate);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new IllegalStateException("spec/numerics.md not found from " + Path.of("").toAbsolutePath());
    }
}
