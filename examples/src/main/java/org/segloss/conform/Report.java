package org.segloss.conform;

import java.util.ArrayList;
import java.util.List;
import org.segloss.conform.CaseResult.Status;

/** The text of a conformance run, in the style of {@code check_npy.py}. */
public final class Report {
    private Report() {}

    /** One line per case: status, id, [loss family, conformance], errors or reason. */
    public static String line(CaseResult r) {
        CaseFile.Case c = r.testCase();
        String detail = r.status() == Status.UNSUPPORTED ? "unsupported: " + r.detail() : r.detail();
        return String.format("%-11s  %s  [%s, %s]  %s", r.status(), c.id(), c.loss(), c.conformanceOrStandard(), detail);
    }

    /**
     * The closing lines: {@code N passed, N failed} alone on its line (when any case had expected
     * values, or nothing was computed), then the unsupported cases, each with its reason.
     */
    public static List<String> closing(List<CaseResult> results) {
        int passed = 0, failed = 0, computed = 0;
        List<CaseResult> unsupported = new ArrayList<>();
        for (CaseResult r : results) {
            switch (r.status()) {
                case PASS -> passed++;
                case FAIL -> failed++;
                case COMPUTED -> computed++;
                case UNSUPPORTED -> unsupported.add(r);
            }
        }
        List<String> out = new ArrayList<>();
        if (passed + failed > 0 || computed == 0) out.add(passed + " passed, " + failed + " failed");
        if (computed > 0) out.add(computed + " computed without expected values");
        if (!unsupported.isEmpty()) {
            out.add(unsupported.size() + " unsupported:");
            for (CaseResult r : unsupported) out.add("  " + r.id() + ": " + r.detail());
        }
        return out;
    }

    /** Whether any case failed (the exit status of {@code segloss conform}). */
    public static boolean anyFailed(List<CaseResult> results) {
        return results.stream().anyMatch(r -> r.status() == Status.FAIL);
    }
}
