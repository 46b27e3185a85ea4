package org.segloss.conform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.segloss.conform.CaseResult.Status;
import org.segloss.conform.Mapping.Reason;

/**
 * Every case of {@code spec/vectors/cases.json} through the library. The skipped count is the
 * progress meter: it shrinks as losses are merged.
 *
 * <ul>
 *   <li>{@code standard}: must pass. Skipped only while its loss (or transform) is not in the
 *       library; any other "unsupported" (an option the mapper does not understand, an unknown
 *       reference) fails, because every correct implementation must match these.</li>
 *   <li>{@code reference_specific}: must pass when the library offers that reference's variant,
 *       skipped (with the reason) otherwise.</li>
 *   <li>{@code artifact}: optional; not in this folder, skipped unless it passes.</li>
 * </ul>
 */
class ConformanceTest {
    /** Relative to the examples module's basedir (surefire's working directory). */
    static final Path VECTORS = Path.of("../spec/vectors");

    static CaseFile load() throws IOException {
        return CaseFile.load(VECTORS.resolve("cases.json"));
    }

    @TestFactory
    Stream<DynamicTest> everyCase() throws IOException {
        CaseFile file = load();
        ConformanceRunner runner = new ConformanceRunner(file);
        return file.cases().stream().map(c -> dynamicTest(
                c.id() + " [" + c.loss() + ", " + c.conformanceOrStandard() + "]", () -> judge(runner.run(c, null))));
    }

    static void judge(CaseResult r) {
        String conformance = r.testCase().conformanceOrStandard();
        String line = Report.line(r);
        switch (r.status()) {
            case PASS -> { }
            case FAIL -> {
                if (conformance.equals("artifact")) Assumptions.abort("artifact case, matching optional: " + line);
                fail(line);
            }
            case COMPUTED -> fail("spec/vectors must hold the expected values: " + line);
            case UNSUPPORTED -> {
                boolean skip = switch (conformance) {
                    case "standard" -> r.reason() == Reason.NOT_IN_LIBRARY;
                    case "reference_specific", "artifact" -> r.reason() != Reason.UNKNOWN_REFERENCE;
                    default -> false;
                };
                if (skip) Assumptions.abort("unsupported: " + r.detail());
                fail(conformance + " case must be runnable: " + line);
            }
        }
    }

    @Test
    void theCopyIsComplete() throws IOException {
        CaseFile file = load();
        assertEquals(CaseFile.SCHEMA_VERSION, file.schemaVersion());
        assertEquals(file.numCases(), file.cases().size(), "num_cases");
        for (CaseFile.Case c : file.cases()) {
            if (c.conformanceOrStandard().equals("artifact")) continue;
            for (String f : new String[] {c.target().file(), c.input() == null ? null : c.input().file(),
                    c.expected().gradFile(), c.expected().lossFile(), c.expected().distFile()}) {
                if (f != null && !VECTORS.resolve(f).toFile().isFile()) fail(c.id() + ": missing " + f);
            }
        }
    }

    @Test
    void everyReferenceIsKnownToTheMapper() throws IOException {
        LossMapper mapper = new LossMapper();
        for (CaseFile.Case c : load().cases()) {
            if (mapper.map(c) instanceof Mapping.Unsupported u && u.reason() == Reason.UNKNOWN_REFERENCE) {
                fail(c.id() + ": " + u.detail());
            }
        }
    }

    @Test
    void noCaseFails() throws IOException {
        CaseFile file = load();
        ConformanceRunner runner = new ConformanceRunner(file);
        long failed = file.cases().stream().map(c -> runner.run(c, null)).filter(r -> r.status() == Status.FAIL).count();
        assertEquals(0, failed);
    }
}
